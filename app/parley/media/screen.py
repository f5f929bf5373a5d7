"""Screen capture: PyAV x11grab on Linux, gdigrab on Windows, avfoundation on macOS.

With fake media the screen is a second synthetic pattern, so screen sharing
runs headless too.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Literal

from aiortc.mediastreams import MediaStreamTrack

from parley.media.capture import CaptureTrack
from parley.media.devices import DeviceError
from parley.media.synthetic import PatternTrack

SCREEN_FPS = 15
SCREEN_MAX_WIDTH = 1280


@dataclass(frozen=True)
class ScreenSource:
    """What to share: a whole screen, or one window (X11), as the share picker offers them."""

    kind: Literal["screen", "window"] = "screen"
    title: str = ""
    """What the person picked, for the "You are sharing ..." bar."""
    geometry: tuple[int, int, int, int] | None = None
    """A screen's (x, y, width, height) on the display; None = the whole display."""
    window_id: int = 0
    """The X11 window id of a window."""


def screen_input(source: ScreenSource | None = None) -> tuple[str, str, dict[str, str]]:
    """(file, format, options) that av.open takes for ``source`` (the main screen)."""
    options = {"framerate": str(SCREEN_FPS)}
    if sys.platform == "win32":
        return "desktop", "gdigrab", options
    if sys.platform == "darwin":
        return "Capture screen 0", "avfoundation", {**options, "capture_cursor": "1"}
    display = os.environ.get("DISPLAY")
    if not display:
        raise DeviceError("screen", "no X display to capture (DISPLAY is not set; "
                          "Wayland sessions need XWayland)")
    if source is not None and source.kind == "window" and source.window_id:
        options["window_id"] = str(source.window_id)
    elif source is not None and source.geometry is not None:
        x, y, width, height = source.geometry
        display = f"{display}+{x},{y}"
        options["video_size"] = f"{width // 2 * 2}x{height // 2 * 2}"
    return display, "x11grab", options


async def open_screen(fake: bool = False, size: tuple[int, int] = (640, 480),
                      source: ScreenSource | None = None) -> MediaStreamTrack:
    """A track of ``source`` (None: the main screen); raises DeviceError when it cannot
    be captured."""
    if fake:
        return PatternTrack(size, SCREEN_FPS, hue=200)
    file, fmt, options = screen_input(source)
    return await CaptureTrack.open("screen", file, fmt, options, max_width=SCREEN_MAX_WIDTH)
