"""Screen capture: PyAV x11grab on Linux, gdigrab on Windows, avfoundation on macOS.

With fake media the screen is a second synthetic pattern, so screen sharing
runs headless too.
"""

from __future__ import annotations

import os
import sys

from aiortc.mediastreams import MediaStreamTrack

from parley.media.capture import CaptureTrack
from parley.media.devices import DeviceError
from parley.media.synthetic import PatternTrack

SCREEN_FPS = 15
SCREEN_MAX_WIDTH = 1280


def screen_input() -> tuple[str, str, dict[str, str]]:
    """(file, format, options) that av.open takes for the main screen here."""
    options = {"framerate": str(SCREEN_FPS)}
    if sys.platform == "win32":
        return "desktop", "gdigrab", options
    if sys.platform == "darwin":
        return "Capture screen 0", "avfoundation", {**options, "capture_cursor": "1"}
    display = os.environ.get("DISPLAY")
    if not display:
        raise DeviceError("screen", "no X display to capture (DISPLAY is not set; "
                          "Wayland sessions need XWayland)")
    return display, "x11grab", options


async def open_screen(fake: bool = False, size: tuple[int, int] = (640, 480)) -> MediaStreamTrack:
    """A track of the main screen; raises DeviceError when it cannot be captured."""
    if fake:
        return PatternTrack(size, SCREEN_FPS, hue=200)
    file, fmt, options = screen_input()
    return await CaptureTrack.open("screen", file, fmt, options, max_width=SCREEN_MAX_WIDTH)
