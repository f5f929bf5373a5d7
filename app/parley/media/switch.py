"""One local source, many peers: :class:`SwitchableTrack`.

A switchable track reads its current source in one owned pump task and hands
each frame to every subscriber (one per peer connection's sender). Muting audio
replaces samples with silence (audio goes out as s16 stereo, two equal channels:
:func:`~parley.media.synthetic.sender_frame`) and pausing video sends small black frames at a
low rate, like a browser track with ``enabled = false``: packets keep flowing
(the far side sees no stall) and nothing is renegotiated. Swapping the source (a
camera that failed, screen sharing) is just as cheap. Every frame is restamped
on the track's own clock, so timestamps stay monotonic across switches, and a video
frame is converted to yuv420p (what VP8 encodes) once, before it is shared, with the
decoder's picture-type mark cleared (no encoder takes it for a keyframe request).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.frame import PictureType

from parley.media.pacer import Pacer
from parley.media.synthetic import (
    AUDIO_RATE,
    AUDIO_SAMPLES,
    AUDIO_TIME_BASE,
    VIDEO_TIME_BASE,
    audio_frame,
    black_frame,
    sender_frame,
)

logger = logging.getLogger(__name__)

PAUSED_FPS = 5
_SILENCE = np.zeros(AUDIO_SAMPLES, dtype=np.int16)


class SubscriberTrack(MediaStreamTrack):
    """What one RTCRtpSender reads: the latest frames of a :class:`SwitchableTrack`."""

    def __init__(self, kind: str, depth: int, on_stop: Callable[[SubscriberTrack], None]) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[av.VideoFrame | av.AudioFrame] = deque(maxlen=depth)
        self._ready = asyncio.Event()
        self._on_stop = on_stop

    def push(self, frame: av.VideoFrame | av.AudioFrame) -> None:
        self._frames.append(frame)  # a slow reader loses the oldest frames
        self._ready.set()

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            self._ready.set()
            self._on_stop(self)


class SwitchableTrack:
    """A local audio or video track whose source and enabled state can change live."""

    def __init__(self, kind: Literal["audio", "video"], name: str, filler: bool = True,
                 on_frame: Callable[[av.VideoFrame], None] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.filler = filler
        """Without a source: send silence / black (True) or nothing at all (False)."""
        self._has_source = asyncio.Event()
        self.enabled = True
        """False: audio sends silence, video sends small black frames."""
        self._source: MediaStreamTrack | None = None
        self._subscribers: set[SubscriberTrack] = set()
        self._on_frame = on_frame
        self._filler = Pacer(AUDIO_SAMPLES / AUDIO_RATE if kind == "audio" else 1 / PAUSED_FPS)
        self._t0 = time.monotonic()
        self._last_pts = -1
        self._samples = 0
        self._task: asyncio.Task[None] | None = None
        self.on_source_ended: Callable[[MediaStreamTrack], None] | None = None
        """Called when the current source ends by itself (a device that failed)."""

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def set_source(self, source: MediaStreamTrack | None) -> MediaStreamTrack | None:
        """Use a new source (None: silence / black); returns the previous one, not stopped."""
        previous, self._source = self._source, source
        if source is not None:
            self._has_source.set()
        else:
            self._has_source.clear()
        return previous

    def subscribe(self) -> SubscriberTrack:
        """A new reader for one peer connection; stop it to unsubscribe."""
        sub = SubscriberTrack(self.kind, 8 if self.kind == "audio" else 1,
                              self._subscribers.discard)
        self._subscribers.add(sub)
        self.start()
        return sub

    def start(self) -> None:
        """Start reading the source (also with no subscriber: the local preview)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._pump(), name=self.name)

    async def stop(self) -> None:
        """Stop the pump, every subscriber and the source."""
        for sub in list(self._subscribers):
            sub.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        source, self._source = self._source, None
        if source is not None:
            source.stop()

    async def _pump(self) -> None:
        while True:
            frame = await self._next()
            if isinstance(frame, av.AudioFrame):
                frame = sender_frame(frame)  # unity gain through aiortc's Opus encoder
            elif frame.format.name != "yuv420p":
                # once here, not in every sender's encoder: the frame is shared
                frame = frame.reformat(format="yuv420p")
            self._stamp(frame)
            for sub in list(self._subscribers):
                sub.push(frame)
            if self._on_frame is not None and isinstance(frame, av.VideoFrame):
                self._on_frame(frame)

    async def _next(self) -> av.VideoFrame | av.AudioFrame:
        source = self._source
        if source is None and not self.filler:
            await self._has_source.wait()
            return await self._next()
        if source is None or (self.kind == "video" and not self.enabled):
            await self._filler.wait()
            if self.kind == "audio":
                return audio_frame(_SILENCE, 0)
            return black_frame()  # a fresh object each time: pts is set per frame
        try:
            frame = await source.recv()
        except MediaStreamError:
            if source is self._source:
                logger.warning("%s: source %s ended", self.name, type(source).__name__)
                self.set_source(None)
                if self.on_source_ended is not None:
                    self.on_source_ended(source)
            return await self._next()
        assert isinstance(frame, av.VideoFrame | av.AudioFrame)
        if isinstance(frame, av.AudioFrame) and not self.enabled:
            return audio_frame(np.zeros(frame.samples, dtype=np.int16), 0)
        return frame

    def _stamp(self, frame: av.VideoFrame | av.AudioFrame) -> None:
        if isinstance(frame, av.AudioFrame):
            frame.pts = self._samples
            frame.time_base = AUDIO_TIME_BASE
            self._samples += frame.samples
        else:
            pts = max(int((time.monotonic() - self._t0) * 90000), self._last_pts + 1)
            frame.pts = self._last_pts = pts
            frame.time_base = VIDEO_TIME_BASE
            # a decoder (clip, camera) marks each frame an I picture, and FFmpeg's encoder
            # wrappers turn that mark into a forced keyframe; the frame is ours to clear
            frame.pict_type = PictureType.NONE
