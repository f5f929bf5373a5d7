"""The frozen bundle, built once per test session (or reused when up to date)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
BUILD_TIMEOUT = 1200  # a fresh build takes ~20 s here; a busy CI machine may need far more

sys.path.insert(0, str(PACKAGING))  # build.py, libraries.py, elfstrip.py, icons.py


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (less placeholders) by relative path, with its bytes."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*"))
            if f.is_file() and f.name != ".keep"}


def frozen_env(home: Path, **extra: str) -> dict[str, str]:
    """A bare environment: no venv, no PYTHONPATH, nothing of the checkout."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def bundle() -> Path:
    """dist/Parley, built by packaging/build.py (the `make installer` output)."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: run `make package-deps` "
                    "(pip install -e '.[package]')")
    result = subprocess.run([sys.executable, str(PACKAGING / "build.py"), "bundle"],
                            capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=ROOT)
    sys.stdout.write(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = ROOT / "dist" / "Parley"
    assert os.access(folder / ("Parley.exe" if sys.platform == "win32" else "Parley"), os.X_OK)
    return folder
