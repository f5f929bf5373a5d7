"""Where Parley's resources (style sheets, SVG icons, the app icon) are on disk.

One rule for every way Parley runs: the resources sit in ``_resources`` beside
this package, and in a checkout, where that folder does not exist, in
``resources/`` at the top of the repository.

- Installed wheel: pyproject.toml force-includes ``resources/`` as ``parley/_resources``.
- Frozen bundle: packaging/parley.spec lays ``resources/`` out as ``parley/_resources``
  beside the bundled package too, and PyInstaller sets ``__file__`` of bundled
  modules to their place under ``sys._MEIPASS``, so the same lookup finds them.
- Checkout (and editable install): ``app/parley`` -> ``../../resources``.

This module is Qt-free so that the server, tests and packaging can use it;
``parley.qt.resources`` builds icons and style sheets on top of it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The ``parley`` package directory (inside ``sys._MEIPASS`` when frozen)."""

BUNDLED_DIR = PACKAGE_DIR / "_resources"
"""Where a wheel install and a frozen bundle keep the resources."""

CHECKOUT_DIR = PACKAGE_DIR.parent.parent / "resources"
"""Where a checkout keeps them: ``app/parley`` -> ``resources`` at the top."""

MARKER = "icons/parley.svg"
"""A file every complete resources directory has; a folder without it is skipped."""


class ResourcesNotFound(FileNotFoundError):
    """Neither the bundled nor the checkout resources directory exists."""


def resources_dir() -> Path:
    """The directory that holds Parley's resources.

    Raises:
        ResourcesNotFound: Neither the bundled nor the checkout location has them.
    """
    for candidate in (BUNDLED_DIR, CHECKOUT_DIR):
        if (candidate / MARKER).is_file():
            return candidate
    raise ResourcesNotFound(
        f"Parley's resources were not found in {BUNDLED_DIR} or {CHECKOUT_DIR}"
    )


def resource_path(name: str) -> Path:
    """The path of one resource, e.g. ``resource_path("icons/mic.svg")``.

    The path is not checked: a missing resource fails where it is opened.
    """
    return resources_dir() / name
