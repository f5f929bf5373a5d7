"""The echo participant's sources: what it receives becomes what it sends.

The desktop app's "Test call" brings in a participant whose camera and
microphone are :class:`EchoTrack`s fed by the frames it decodes from the other
participant, so a new user sees and hears themself through the real call
path: capture, encode, network, decode - twice.
"""

from __future__ import annotations

import av
import numpy as np

from parley.media.playback import to_mono
from parley.media.switch import SubscriberTrack
from parley.media.synthetic import audio_frame


class EchoTrack(SubscriberTrack):
    """A source fed from outside with :meth:`feed`; recv() waits for the next frame.

    Only the latest few frames are kept: an echo that falls behind drops the
    oldest rather than adding delay. Audio is turned into the mono 48 kHz frames
    the local audio track carries.
    """

    def __init__(self, kind: str, depth: int = 3) -> None:
        super().__init__(kind, depth, on_stop=lambda _track: None)
        self._pts = 0

    def feed(self, frame: av.VideoFrame | av.AudioFrame) -> None:
        if self.readyState != "live":
            return
        if isinstance(frame, av.AudioFrame):
            samples = np.clip(to_mono(frame) * 32767.0, -32768, 32767).astype(np.int16)
            frame = audio_frame(samples, self._pts)
            self._pts += len(samples)
        self.push(frame)
