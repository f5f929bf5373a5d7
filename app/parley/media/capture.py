"""PyAV capture in a reader thread, handed to the loop through a bounded queue.

The thread only decodes and calls ``loop.call_soon_threadsafe``; the loop side
keeps the newest frames and drops the oldest when the consumer falls behind.
The thread is owned like a task (as in aiortc's contrib/media.py): ``stop()`` sets
its quit flag, joins it - it closes the device on its way out - and drops the
reference, so the same camera reopened right after the preview stops never races
the old reader for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.devices import DeviceError, DeviceKind

logger = logging.getLogger(__name__)

JOIN_TIMEOUT = 1.0
"""Seconds ``stop()`` waits for the reader; it quits after its current frame, which a
working device delivers within a frame interval."""


class CaptureTrack(MediaStreamTrack):
    """Video frames from a PyAV input device (camera or screen), yuv420p."""

    kind = "video"
    stall_timeout = 5.0
    """Seconds without a frame after which the device counts as failed (unplugged)."""

    def __init__(self, container: Any, device_kind: DeviceKind,
                 max_width: int | None = None, queue_size: int = 2) -> None:
        super().__init__()
        self._container = container
        self._device_kind = device_kind
        self._max_width = max_width
        self._loop: asyncio.AbstractEventLoop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[av.VideoFrame | None] = asyncio.Queue(queue_size)
        self._stopping = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = threading.Thread(
            target=self._read, name=f"parley-{device_kind}", daemon=True)
        self._thread.start()

    @classmethod
    async def open(cls, device_kind: DeviceKind, file: str, fmt: str,
                   options: dict[str, str], max_width: int | None = None) -> CaptureTrack:
        """Open the device (in a thread: opening can block); raises DeviceError."""
        try:
            container = await asyncio.to_thread(av.open, file, format=fmt, options=options)
        except Exception as exc:
            raise DeviceError(device_kind, f"cannot open {fmt} {file!r}: {exc}") from exc
        if not container.streams.video:
            container.close()
            raise DeviceError(device_kind, f"{fmt} {file!r} has no video stream")
        return cls(container, device_kind, max_width)

    def _read(self) -> None:
        try:
            for frame in self._container.decode(video=0):
                if self._stopping.is_set():
                    break
                self._hand_over(self._convert(frame))
        except Exception as exc:
            self.error = f"{self._device_kind} failed: {exc}"
            logger.warning("%s", self.error)
        finally:
            self._container.close()
            self._hand_over(None)

    def _convert(self, frame: av.VideoFrame) -> av.VideoFrame:
        width, height = frame.width, frame.height
        if self._max_width and width > self._max_width:
            height = int(height * self._max_width / width) // 2 * 2
            width = self._max_width
        if frame.format.name == "yuv420p" and width == frame.width:
            return frame
        return frame.reformat(width=width, height=height, format="yuv420p")

    def _hand_over(self, frame: av.VideoFrame | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, frame)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stopping.set()

    def _put(self, frame: av.VideoFrame | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # drop the oldest: fresh video beats complete video
        self._queue.put_nowait(frame)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        try:
            # not asyncio.wait_for: on 3.11 it swallows a cancellation that meets a frame
            # arriving (see parley.media.microphone), so stopping could hang
            async with asyncio.timeout(self.stall_timeout):
                frame = await self._queue.get()
        except TimeoutError:
            self.error = self.error or (
                f"{self._device_kind} delivered nothing for {self.stall_timeout:g} s")
            self._release(join=False)  # its reader hangs in the device: do not wait for it
            raise MediaStreamError from None
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        """Stop the track and its reader: the device is closed when this returns."""
        self._release(join=True)

    def _release(self, join: bool) -> None:
        self._stopping.set()
        super().stop()
        thread, self._thread = self._thread, None
        if not join or thread is None or thread is threading.current_thread():
            return
        thread.join(JOIN_TIMEOUT)
        if thread.is_alive():
            logger.warning("%s reader did not stop within %g s", self._device_kind,
                           JOIN_TIMEOUT)
