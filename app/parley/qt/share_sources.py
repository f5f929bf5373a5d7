"""What can be shared: each screen, and each window where the platform lists them.

Screens come from Qt (``QGuiApplication.screens()``, thumbnails by
``QScreen.grabWindow(0)``). Windows are listed on X11 only, through python-xlib: the
window manager's ``_NET_CLIENT_LIST`` where there is one, else the root window's
mapped, named children; their thumbnails are ``QScreen.grabWindow(id)``. Elsewhere
(Wayland, macOS, Windows) the picker offers the screens, whose capture the media layer
knows. Listing never raises: a window that vanished meanwhile is left out.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QScreen

from parley.media.screen import ScreenSource

__all__ = ["ScreenSource", "ShareChoice", "screens", "share_choices", "windows"]

log = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 240


@dataclass(frozen=True)
class ShareChoice:
    """One thing the picker offers."""

    source: ScreenSource
    thumbnail: QImage


def _thumbnail(screen: QScreen, window: int = 0) -> QImage:
    image = screen.grabWindow(window).toImage()
    if image.isNull():
        return image
    return image.scaledToWidth(THUMBNAIL_WIDTH, Qt.TransformationMode.SmoothTransformation)


def screens() -> list[ShareChoice]:
    """Every screen, in Qt's order (the primary one first)."""
    found = []
    ordered = sorted(QGuiApplication.screens(),
                     key=lambda s: s is not QGuiApplication.primaryScreen())
    for number, screen in enumerate(ordered, 1):
        g, ratio = screen.geometry(), screen.devicePixelRatio()
        geometry = (round(g.x() * ratio), round(g.y() * ratio), round(g.width() * ratio),
                    round(g.height() * ratio))
        title = "Entire screen" if len(ordered) == 1 else f"Screen {number} ({screen.name()})"
        whole = len(ordered) == 1
        found.append(ShareChoice(ScreenSource("screen", title, None if whole else geometry),
                                 _thumbnail(screen)))
    return found


def x11_windows(exclude: frozenset[int] = frozenset()) -> list[tuple[int, str]]:
    """(window id, title) of the X11 windows one could share, ``exclude`` left out."""
    if QGuiApplication.platformName() != "xcb" or not os.environ.get("DISPLAY"):
        return []
    try:
        from Xlib import X, display
        from Xlib.error import XError
    except ImportError:
        return []
    try:
        dpy = display.Display()
    except Exception as exc:  # no X server after all, or no access
        log.info("cannot list windows: %s", exc)
        return []
    try:
        root = dpy.screen().root
        clients = root.get_full_property(dpy.intern_atom("_NET_CLIENT_LIST"), X.AnyPropertyType)
        candidates = list(clients.value) if clients is not None else [
            child.id for child in root.query_tree().children]
        found = []
        for wid in candidates:
            if wid in exclude:
                continue
            try:
                title = _window_title(dpy, dpy.create_resource_object("window", wid), X)
            except XError:
                continue  # it went away while we looked
            if title:
                found.append((int(wid), title))
        return found
    finally:
        dpy.close()


def _window_title(dpy: Any, window: Any, x: Any) -> str:
    attributes = window.get_attributes()
    if attributes.map_state != x.IsViewable or attributes.override_redirect:
        return ""
    geometry = window.get_geometry()
    if geometry.width < 64 or geometry.height < 48:
        return ""
    name = window.get_full_property(dpy.intern_atom("_NET_WM_NAME"),
                                    dpy.intern_atom("UTF8_STRING"))
    if name is not None and name.value:
        value = name.value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    legacy = window.get_wm_name()
    return str(legacy) if legacy else ""


def windows(exclude: frozenset[int] = frozenset()) -> list[ShareChoice]:
    """The shareable windows with thumbnails (X11 only; [] elsewhere)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return []
    return [ShareChoice(ScreenSource("window", title, window_id=wid), _thumbnail(screen, wid))
            for wid, title in x11_windows(exclude)]


def share_choices(own_windows: frozenset[int] = frozenset()) -> list[ShareChoice]:
    """Screens, then windows (Parley's own windows last: sharing them is allowed, and
    the others then see the call; you never see your own screen in it)."""
    found = windows()
    return (screens() + [c for c in found if c.source.window_id not in own_windows]
            + [c for c in found if c.source.window_id in own_windows])
