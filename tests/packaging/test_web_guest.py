"""The browser guest's static files ship in the wheel and in the bundle, beside
parley/web/__init__.py, where parley.web.STATIC_DIR (so the server) finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from parley.web import ASSETS, PAGE, STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
FILES = {PAGE, *ASSETS}


def test_the_wheel_carries_the_web_guest(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    wheel = zipfile.ZipFile(next(tmp_path.glob("parley-*.whl")))
    for name in FILES:
        assert wheel.read(f"parley/web/{name}") == (STATIC_DIR / name).read_bytes(), name


def test_the_bundle_carries_the_web_guest(bundle: Path) -> None:
    web = bundle / "_internal" / "parley" / "web"
    assert {f.name for f in web.iterdir() if f.is_file()} >= FILES
    for name in FILES:
        assert (web / name).read_bytes() == (STATIC_DIR / name).read_bytes(), name
