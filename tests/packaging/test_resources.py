"""parley.resources finds the resources from a checkout and from an installed wheel.

(The frozen bundle is the third place: tests/packaging/test_bundle.py runs the
bundle's own check, which asserts they come from inside the bundle.)
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import parley.resources as resources
from tests.packaging.conftest import ROOT, tree


def test_a_checkout_uses_the_top_level_resources_folder() -> None:
    assert resources.resources_dir() == ROOT / "resources"
    assert resources.resource_path("icons/parley.svg").is_file()
    assert resources.resource_path("themes/dark.qss").read_text(encoding="utf-8")


def test_the_bundled_location_wins_over_the_checkout(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "parley.svg").write_text("<svg/>")
    monkeypatch.setattr(resources, "BUNDLED_DIR", tmp_path)
    assert resources.resources_dir() == tmp_path


def test_no_resources_anywhere_says_where_it_looked(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "BUNDLED_DIR", tmp_path / "a")
    monkeypatch.setattr(resources, "CHECKOUT_DIR", tmp_path / "b")
    with pytest.raises(resources.ResourcesNotFound, match=r"a or .*b"):
        resources.resources_dir()


def test_the_resource_helper_does_not_import_qt() -> None:
    code = ("import sys, parley.resources as r; r.resources_dir(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'PySide6', 'shiboken6', 'qasync', 'av', 'aiortc'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_an_installed_wheel_finds_its_own_resources(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "wheels"), str(ROOT)], check=True)
    wheel = next((tmp_path / "wheels").glob("parley-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"parley/resources.py", "parley/_resources/icons/parley.svg",
            "parley/_resources/themes/light.qss"} <= names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(site), str(wheel)], check=True)
    # The venv's editable install points at app/; the target dir must shadow it.
    code = ("import parley, parley.resources as r, parley.qt.resources as q; "
            "print(parley.__file__); print(r.resources_dir()); "
            "print(q.resource_path('themes/light.qss'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin",
                              "QT_QPA_PLATFORM": "offscreen"}).stdout.split()
    package, found, sheet = (Path(line) for line in out)
    assert package.is_relative_to(site)
    assert found == site / "parley" / "_resources"
    assert sheet == found / "themes" / "light.qss"
    assert tree(found) == tree(ROOT / "resources")
