"""The echo participant's sources: what it receives becomes what it sends.

The desktop app's "Test call" brings in a participant whose camera and
microphone are :class:`EchoTrack`s fed by the frames it decodes from the other
participant, so a new user sees and hears themself through the real call
path: capture, encode, network, decode - twice.
"""

from __future__ import annotations

import asyncio
from collections import deque

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.playback import to_mono
from parley.media.synthetic import audio_frame


class EchoTrack(MediaStreamTrack):
    """A source fed from outside; recv() waits for the next fed frame.

    Only the latest few frames are kept: an echo that falls behind drops the
    oldest rather than adding delay.
    """

    def __init__(self, kind: str, depth: int = 3) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[av.VideoFrame | av.AudioFrame] = deque(maxlen=depth)
        self._ready = asyncio.Event()
        self._pts = 0

    def feed(self, frame: av.VideoFrame | av.AudioFrame) -> None:
        if self.readyState != "live":
            return
        if isinstance(frame, av.AudioFrame):
            samples = np.clip(to_mono(frame) * 32767.0, -32768, 32767).astype(np.int16)
            frame = audio_frame(samples, self._pts)
            self._pts += len(samples)
        self._frames.append(frame)
        self._ready.set()

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._ready.set()
