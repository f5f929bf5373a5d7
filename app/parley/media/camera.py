"""The camera: a PyAV capture of the configured device (default 640x480@30)."""

from __future__ import annotations

import sys

from parley.media.capture import CaptureTrack
from parley.media.devices import camera_input


async def open_camera(device: str | None = None, size: tuple[int, int] = (640, 480),
                      fps: int = 30) -> CaptureTrack:
    """Open a camera by id (see :func:`~parley.media.devices.list_cameras`).

    Raises DeviceError when the device is missing or refuses the mode.
    """
    file, fmt = camera_input(device)
    options = {"video_size": f"{size[0]}x{size[1]}", "framerate": str(fps)}
    if sys.platform == "darwin":
        options["pixel_format"] = "uyvy422"  # avfoundation refuses its default on many Macs
    return await CaptureTrack.open("camera", file, fmt, options)
