"""A private Xvfb display for tests that need a real X server (screen capture, the
frozen app's window)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def private_display(size: str) -> Iterator[str]:
    """Start Xvfb on a free display of ``size`` (e.g. "800x600"); yield ":N"."""
    if not sys.platform.startswith("linux"):
        pytest.skip("Xvfb is Linux-only")
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: install the Debian package xvfb "
                    "(make system-deps does)")
    # -displayfd: Xvfb picks a free display and writes its number once it is ready
    server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", f"{size}x24",
                               "-nolisten", "tcp"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        number = server.stdout.readline().strip()
        assert number.isdigit(), "Xvfb did not report its display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
