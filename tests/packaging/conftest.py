"""The frozen bundle, built once per test session (or reused when up to date).

The build starts in the background as soon as collection has finished, at a lower CPU
priority, while the tests before tests/packaging run (most of them wait on timers and
sockets, not the CPU); the `bundle` fixture then waits for it. It is `make installer`'s
own ``build.py installer`` (on Linux; ``bundle`` elsewhere): the bundle, then the .tar.gz
(gzip level 9) that the download-budget and install tests read. The same steps as
before, only earlier: nothing about them is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

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


class _Build:
    """The one ``build.py`` run of this session, started in the background."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.log: IO[str] | None = None

    def start(self, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("w+")
        # nice: the build takes the CPU the running tests leave idle, not theirs
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        what = "installer" if sys.platform.startswith("linux") else "bundle"
        self.process = subprocess.Popen(
            [*nice, sys.executable, str(PACKAGING / "build.py"), what],
            stdout=self.log, stderr=subprocess.STDOUT, text=True, cwd=ROOT)

    def finish(self) -> tuple[int, str]:
        """Wait for the build (starting it now if it was not); its exit code and output."""
        if self.process is None:
            self.start(BUILD_LOG)
        assert self.process is not None and self.log is not None
        try:
            code = self.process.wait(BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        self.log.seek(0)
        return code, self.log.read()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.log is not None:
            self.log.close()


BUILD_LOG = ROOT / "build" / "bundle-build.log"
_build = _Build()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the build now if any selected test needs the bundle."""
    if importlib.util.find_spec("PyInstaller") is None or session.config.option.collectonly:
        return  # the fixture fails with the fix; a --collect-only run builds nothing
    if any("bundle" in getattr(item, "fixturenames", ()) for item in session.items):
        _build.start(BUILD_LOG)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _build.stop()  # a run stopped early (-x, ^C) leaves no PyInstaller behind


@pytest.fixture(scope="session")
def bundle() -> Path:
    """dist/Parley, built by packaging/build.py (the `make installer` output)."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: run `make package-deps` "
                    "(pip install -e '.[package]')")
    code, output = _build.finish()
    sys.stdout.write(output)
    assert code == 0, output
    folder = ROOT / "dist" / "Parley"
    assert os.access(folder / ("Parley.exe" if sys.platform == "win32" else "Parley"), os.X_OK)
    return folder


@pytest.fixture(scope="session")
def linux_archive(bundle: Path) -> Path:
    """The Linux .tar.gz this session's ``build.py installer`` packed from ``bundle``."""
    _code, output = _build.finish()
    packed = re.findall(r"^build\.py: packed (\S+\.tar\.gz) ", output, re.MULTILINE)
    assert len(packed) == 1, output
    return Path(packed[0])
