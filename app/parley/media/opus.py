"""Parley's Opus encoder: aiortc's :class:`~aiortc.codecs.opus.OpusEncoder` for voice.

aiortc's runs at a fixed 96 kbit/s. :class:`ParleyOpusEncoder` keeps upstream's
resampling, timestamps and the sender's calls and runs at 32 kbit/s voice, with in-band
FEC switched on while the receiver reports loss, and DTX done by Parley (FFmpeg's
libopus wrapper ignores ``dtx``): a silent stretch sends one packet every 400 ms, and
the frames it holds back are not encoded at all (libopus's 0.3 ms a frame, for nothing:
in a meeting most microphones are silent or muted most of the time).
:func:`parley.media.encoder.parley_encoder` builds it for the sender.

**A slow link** (the estimate below :data:`LOW_ESTIMATE`): voice drops to 24 kbit/s in
60 ms packets (:data:`SLOW_FRAME_MS`) instead of 20 ms ones, as libwebrtc's audio network
adaptor lengthens Opus frames at low bandwidth. Each packet carries about 60 bytes of
IP/UDP/RTP/SRTP headers: at 50 packets a second that is 24 kbit/s on top of the voice,
so 32 kbit/s Opus took about 56 kbit/s of a 150 kbit/s uplink, and 24 kbit/s in 60 ms
packets takes about 32 kbit/s. The cost is 40 ms more mouth-to-ear delay and 60 ms of
voice per lost packet, on a link whose queue already holds hundreds of ms; a normal link
never sees it. It is entered at once and left only after the estimate has stayed at
:data:`NORMAL_ESTIMATE` or above for :data:`NORMAL_HOLD` seconds (each change rebuilds
libopus: a sawing estimate must not flap it).
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
"""... on a slow link: the estimate below :data:`LOW_ESTIMATE`."""
LOW_ESTIMATE = 150_000
"""The total estimate (bit/s, audio and video) under which the link is slow."""
NORMAL_ESTIMATE = 225_000
"""A slow link is normal again once the estimate has been at least this ..."""
NORMAL_HOLD = 10.0
"""... for this many seconds."""
FRAME_MS = 20
"""Opus packets of 20 ms on a normal link ..."""
SLOW_FRAME_MS = 60
"""... and of 60 ms on a slow one (a third of the packets' headers)."""
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
        self._slow = False
        self._normal_since: float | None = None
        self._fec = False
        self._last_loss = -1e9
        self._silent_since: float | None = None
        self._last_sent = -1e9
        self._timestamp = 0
        self._pending = 0
        """Samples (48 kHz) libopus holds that no packet has carried yet."""
        self._held_rest = 0
        """What the held frames' length at 48 kHz left over (input rate units): no drift."""
        self.skipped = 0
        """Frames DTX held back, not encoded: a diagnostic ..."""
        self.encoded = 0
        """... and frames libopus encoded."""
        self.codec = self._context()

    def _context(self) -> Any:
        codec = av.CodecContext.create("libopus", "w")
        codec.bit_rate = self.target_bitrate
        codec.format = "s16"
        codec.layout = "stereo"
        codec.sample_rate = 48000
        codec.time_base = fractions.Fraction(1, 48000)
        options = {"application": "voip", "vbr": "on", "frame_duration": str(self.frame_ms)}
        if self._fec:
            options.update({"fec": "1", "packet_loss": "10"})
        codec.options = options
        return codec

    @property
    def fec(self) -> bool:
        return self._fec

    @property
    def slow(self) -> bool:
        """The link is slow: 24 kbit/s in 60 ms packets (the module's text)."""
        return self._slow

    @property
    def frame_ms(self) -> int:
        """The length of one packet's audio, ms."""
        return SLOW_FRAME_MS if self._slow else FRAME_MS

    @property
    def target_bitrate(self) -> int:
        return LOW_VOICE_BITRATE if self._slow else VOICE_BITRATE

    @target_bitrate.setter
    def target_bitrate(self, estimate: int) -> None:
        """The total estimate (audio and video), bit/s: below :data:`LOW_ESTIMATE` the
        link is slow at once; it is normal again after :data:`NORMAL_HOLD` seconds at
        :data:`NORMAL_ESTIMATE` or more."""
        now = self._clock()
        if estimate < LOW_ESTIMATE:
            self._slow, self._normal_since = True, None
        elif not self._slow or estimate < NORMAL_ESTIMATE:
            self._normal_since = None
        elif self._normal_since is None:
            self._normal_since = now
        elif now - self._normal_since >= NORMAL_HOLD:
            self._slow, self._normal_since = False, None

    def normal(self) -> None:
        """No estimate to go by (no peer has one): the normal voice rate at once."""
        self._slow, self._normal_since = False, None

    def report_loss(self, fraction: float) -> None:
        """The receiver's loss fraction (0-1) from a receiver report."""
        now = self._clock()
        if fraction > FEC_ON_LOSS:
            self._last_loss = now

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        assert isinstance(frame, av.AudioFrame)
        now = self._clock()
        fec = now - self._last_loss < FEC_OFF_AFTER
        if fec != self._fec or self.target_bitrate != self.codec.bit_rate:
            self._fec = fec
            logger.info("opus: %d bit/s in %d ms packets, fec %s", self.target_bitrate,
                        self.frame_ms, "on" if fec else "off")
            self._rebuild()
        silent = audio_level_dbov(frame) <= SILENCE_DBOV
        if not silent:
            self._silent_since = None
        elif self._silent_since is None:
            self._silent_since = now
        if self._silent_since is not None and now - self._silent_since >= DTX_AFTER \
                and now - self._last_sent < DTX_KEEPALIVE:
            self.skipped += 1
            if self._pending:  # what libopus holds from before the gap belongs before it
                self._rebuild()
            held = frame.samples * 48000 + self._held_rest  # its length at 48 kHz, exact
            self._timestamp += held // (frame.sample_rate or 48000)
            self._held_rest = held % (frame.sample_rate or 48000)
            return [], None  # type: ignore[return-value]  # held back, not encoded
        packets: list[Any] = []
        self.encoded += 1
        for resampled in self.resampler.resample(frame):
            self._pending += resampled.samples
            packets += self.codec.encode(resampled)
        if not packets:
            return [], None  # type: ignore[return-value]  # upstream's "nothing yet"
        timestamp = self._timestamp
        carried = sum(packet_samples(p) for p in packets)
        self._timestamp += carried
        self._pending = max(0, self._pending - carried)
        self._last_sent = now
        return [bytes(p) for p in packets], timestamp

    def _rebuild(self) -> None:
        """A new libopus (a new rate, FEC, frame length; or after a DTX gap): what the old
        one held back (< 1 packet) is dropped, and the timestamps skip it."""
        self.codec = self._context()
        self._timestamp += self._pending
        self._pending = 0


def packet_samples(packet: Any) -> int:
    """The samples (48 kHz) an Opus packet from libopus holds: its duration (in the
    encoder's 1/48000 time base), 20 ms when it has none."""
    duration = getattr(packet, "duration", None)
    return int(duration) if duration else 960
