"""The versions of Parley and of what it runs on (``parley --version``, the About box)."""

from __future__ import annotations

import platform
from importlib import metadata


def parley_version() -> str:
    try:
        return metadata.version("parley")
    except metadata.PackageNotFoundError:  # run from a tree that was never installed
        return "unknown"


def versions() -> dict[str, str]:
    """Name -> version, Parley first."""
    import PySide6
    from PySide6 import QtCore

    found = {"Parley": parley_version(), "Python": platform.python_version(),
             "Qt": QtCore.qVersion(), "PySide6": PySide6.__version__}
    for package in ("aiortc", "av", "aiohttp", "qasync"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "missing"
    found["Platform"] = platform.platform()
    return found
