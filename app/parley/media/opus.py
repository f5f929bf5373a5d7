"""Parley's Opus encoder: aiortc's :class:`~aiortc.codecs.opus.OpusEncoder` for voice.

aiortc's runs at a fixed 96 kbit/s. :class:`ParleyOpusEncoder` keeps upstream's
resampling, timestamps and the sender's calls and runs at 32 kbit/s voice (24 kbit/s
when the estimate is short), with in-band FEC switched on while the receiver reports
loss, and DTX done by Parley (FFmpeg's libopus wrapper ignores ``dtx``): a silent
stretch sends one packet every 400 ms. :func:`parley.media.encoder.parley_encoder`
builds it for the sender.
"""

from __future__ import annotations

import fractions
import logging
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.codecs.opus import OpusEncoder
from av.frame import Frame

from parley.media.level import audio_level_dbov

logger = logging.getLogger(__name__)

VOICE_BITRATE = 32_000
"""Opus for voice, bit/s."""
LOW_VOICE_BITRATE = 24_000
"""... when the estimate is below :data:`LOW_ESTIMATE`."""
LOW_ESTIMATE = 150_000
FEC_ON_LOSS = 0.01
"""In-band FEC is switched on when the reported loss exceeds this fraction ..."""
FEC_OFF_AFTER = 10.0
"""... and off again after this many seconds without loss."""
SILENCE_DBOV = -60
"""A frame quieter than -60 dBov is silence for DTX."""
DTX_AFTER = 0.2
DTX_KEEPALIVE = 0.4
"""During silence (after DTX_AFTER s of it) one packet goes out every DTX_KEEPALIVE s."""


class ParleyOpusEncoder(OpusEncoder):
    """aiortc's Opus encoder for voice: 24-32 kbit/s, FEC while loss is seen, DTX."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._bitrate = VOICE_BITRATE
        self._fec = False
        self._last_loss = -1e9
        self._silent_since: float | None = None
        self._last_sent = -1e9
        self._timestamp = 0
        self.skipped = 0
        """Packets DTX did not send: a diagnostic."""
        self.codec = self._context()

    def _context(self) -> Any:
        codec = av.CodecContext.create("libopus", "w")
        codec.bit_rate = self._bitrate
        codec.format = "s16"
        codec.layout = "stereo"
        codec.sample_rate = 48000
        codec.time_base = fractions.Fraction(1, 48000)
        options = {"application": "voip", "vbr": "on"}
        if self._fec:
            options.update({"fec": "1", "packet_loss": "10"})
        codec.options = options
        return codec

    @property
    def fec(self) -> bool:
        return self._fec

    @property
    def target_bitrate(self) -> int:
        return self._bitrate

    @target_bitrate.setter
    def target_bitrate(self, estimate: int) -> None:
        """The total estimate, when a REMB names audio too: voice stays at 32 kbit/s
        unless the estimate is short."""
        self._bitrate = LOW_VOICE_BITRATE if estimate < LOW_ESTIMATE else VOICE_BITRATE

    def report_loss(self, fraction: float) -> None:
        """The receiver's loss fraction (0-1) from a receiver report."""
        now = self._clock()
        if fraction > FEC_ON_LOSS:
            self._last_loss = now

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert isinstance(frame, av.AudioFrame)
        now = self._clock()
        fec = now - self._last_loss < FEC_OFF_AFTER
        if fec != self._fec or self._bitrate != self.codec.bit_rate:
            self._fec = fec
            logger.info("opus: %d bit/s, fec %s", self._bitrate, "on" if fec else "off")
            self.codec = self._context()
        silent = audio_level_dbov(frame) <= SILENCE_DBOV
        if not silent:
            self._silent_since = None
        elif self._silent_since is None:
            self._silent_since = now
        packets: list[Any] = []
        for resampled in self.resampler.resample(frame):
            packets += self.codec.encode(resampled)
        if not packets:
            return [], None  # type: ignore[return-value]  # upstream's "nothing yet"
        timestamp = self._timestamp
        self._timestamp += 960 * len(packets)  # 20 ms at 48 kHz per packet
        if self._silent_since is not None and now - self._silent_since >= DTX_AFTER \
                and now - self._last_sent < DTX_KEEPALIVE:
            self.skipped += len(packets)
            return [], None  # type: ignore[return-value]
        self._last_sent = now
        return [bytes(p) for p in packets], timestamp
