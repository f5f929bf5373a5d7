"""A video file as the camera: :class:`ClipTrack`, for benchmarks that must send the same
hard clip as another stack (bench/links.py: Parley and Chromium, one Y4M file).

A camera id of the form ``file:<path>`` (:data:`CLIP_PREFIX`) opens the file with PyAV
instead of a device, with fake media or without. Frames are paced in real time at the
configured rate, yuv420p at the clip's own size, and the clip loops at its end (as
Chromium's ``--use-file-for-fake-video-capture`` does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamTrack

from parley.media.devices import DeviceError
from parley.media.pacer import Pacer

CLIP_PREFIX = "file:"
"""A camera id starting with this names a video file, not a device."""
_TIME_BASE = Fraction(1, 90000)


def clip_path(camera: str | None) -> str | None:
    """The file a camera id names (``file:<path>``), or None for a device."""
    if camera is not None and camera.startswith(CLIP_PREFIX):
        return camera[len(CLIP_PREFIX):]
    return None


class ClipTrack(MediaStreamTrack):
    """A video file, looped and paced at ``fps``; raises DeviceError when unreadable.

    Decoding is on the loop: a raw (Y4M) clip costs a copy a frame, nothing more.
    """

    kind = "video"

    def __init__(self, path: str, fps: int = 30) -> None:
        super().__init__()
        self.path = path
        self._pacer = Pacer(1 / fps)
        self._start = time.time()
        self._container: Any = None
        self._frames: Iterator[av.VideoFrame] = iter(())
        self._open()

    def _open(self) -> None:
        if self._container is not None:
            self._container.close()
        try:
            self._container = av.open(self.path)
        except Exception as exc:
            raise DeviceError("camera", f"cannot open the clip {self.path!r}: {exc}") from exc
        if not self._container.streams.video:
            raise DeviceError("camera", f"the clip {self.path!r} has no video")
        self._frames = self._container.decode(video=0)

    async def recv(self) -> av.VideoFrame:
        await self._pacer.wait()
        frame = next(self._frames, None)
        if frame is None:  # the end: from the start again
            self._open()
            frame = next(self._frames)
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        frame.pts = int((time.time() - self._start) * 90000)
        frame.time_base = _TIME_BASE
        return frame

    def stop(self) -> None:
        super().stop()
        if self._container is not None:
            self._container.close()
            self._container = None
