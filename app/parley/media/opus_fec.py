"""The receive side's Opus decoder, which recovers a lost packet from the next one's FEC.

Parley's sender switches Opus's in-band FEC on while a receiver reports loss
(:mod:`.opus`): each packet then also carries a low-rate copy of the frame before it
(libopus's LBRR data). aiortc decodes Opus through FFmpeg's libopus wrapper, which always
calls ``opus_decode`` with ``decode_fec=0`` and has no option to change it, so the copy
was sent and never used: a lost packet stayed a hole in the participant's audio.

:class:`FecOpusDecoder` is aiortc's ``Decoder`` contract (``decode(JitterFrame) ->
[AudioFrame]``, 48 kHz stereo ``s16`` as upstream's ``OpusDecoder`` gives) on libopus
itself, through ctypes. The receive side's audio jitter buffer (:mod:`.jitter`) hands
each packet on as it arrives, in order, so a lost packet shows here as a gap in the RTP
timestamps. When a packet follows a gap of at most :data:`MAX_GAP` samples and carries
FEC data (``opus_packet_has_lbrr``), the frame just before it is decoded from it
(``decode_fec=1``) and comes out first, with its own time, then the packet itself. Only
the last frame of a gap can be recovered. The rest of the gap (and the last frame, when
the packet has no FEC data) is *concealed*: libopus's packet-loss concealment
(``opus_decode`` without data) continues the voice for the missing time and fades it,
as libwebrtc's NetEq does, so the speaker's playout (:mod:`.playout`) gets a continuous
stream instead of a jump. A frame recovered from FEC data counts as received audio (the
call's ``audio_frames``), as NetEq does not count it as concealment either; a concealed
frame does not (:func:`concealed`). A gap longer than :data:`MAX_GAP` is a pause, not a
loss, and is left alone. A packet libopus refuses raises ``av.error.InvalidDataError``
as upstream's decoder does (aiortc's decoder thread logs it and goes on); its time
comes back from the next packet's FEC data, or is concealed.

The libopus used is the one PyAV's FFmpeg already loaded into the process (found in
``/proc/self/maps``), else the system's (``ctypes.util.find_library``). Without a
libopus that has ``opus_packet_has_lbrr`` (libopus >= 1.5), :func:`opus_decoder` gives
upstream's decoder: nothing is recovered, nothing else changes.

A receiver that decodes FEC says so in its SDP (RFC 7587's ``useinbandfec=1`` on the
Opus ``a=fmtp`` line): a browser's sender adds FEC only when the far end asks for it.
aiortc lists Opus with no parameters and answers with its own list, so :func:`install`
replaces the ``parameters`` of the Opus entry of ``aiortc.codecs.CODECS`` (what every
offer and answer is built from, and what ``getCapabilities`` reports) with the same
plus ``useinbandfec=1``, while the FEC decoder is available; :func:`uninstall` gives
upstream's back. Parley's own sender decides FEC from receiver reports, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fractions
import functools
import logging
from pathlib import Path

import av
import numpy as np
from aiortc.codecs import CODECS
from aiortc.codecs.base import Decoder
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame
from av.frame import Frame

from parley.media.names import Replaced

logger = logging.getLogger(__name__)

RATE = 48_000
CHANNELS = 2
MAX_FRAME = RATE * 120 // 1000
"""The longest Opus frame (120 ms), in samples per channel."""
SAMPLES_20MS = RATE // 50
MAX_GAP = RATE * 120 // 1000
"""A gap in the timestamps longer than this (samples) is not a lost packet but a pause
(DTX, a muted microphone) or a new stream: nothing is recovered."""
TIME_BASE = fractions.Fraction(1, RATE)
STEP = RATE // 400
"""libopus decodes a lost stretch in multiples of 2.5 ms (samples)."""
CONCEALED = "concealed"
"""The ``opaque`` of a frame made up by concealment."""


def concealed(frame: av.AudioFrame) -> bool:
    """Whether ``frame`` was made up by concealment, not decoded from what was sent."""
    return bool(frame.opaque == CONCEALED)


def _loaded_libopus() -> str | None:
    """The path of the libopus this process has loaded (PyAV's), if any (Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if "libopus" in Path(path).name:
            return path
    return None


def load_libopus() -> ctypes.CDLL | None:
    """libopus with the calls this decoder needs, or None."""
    for name in (_loaded_libopus(), ctypes.util.find_library("opus")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if not hasattr(lib, "opus_packet_has_lbrr"):
            logger.info("opus: %s has no opus_packet_has_lbrr: FEC is not decoded", name)
            continue
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decode.restype = ctypes.c_int
        lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                    ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                                    ctypes.c_int]
        lib.opus_packet_has_lbrr.restype = ctypes.c_int
        lib.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
        lib.opus_packet_get_nb_samples.restype = ctypes.c_int
        lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32,
                                                   ctypes.c_int32]
        return lib
    return None


@functools.cache
def libopus() -> ctypes.CDLL | None:
    """The process's libopus for FEC decoding (looked up once), or None."""
    return load_libopus()


class FecOpusDecoder(Decoder):
    """Opus to 48 kHz stereo s16 frames, recovering a lost frame from the next packet's
    FEC data (see the module's docstring)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
        error = ctypes.c_int()
        self._state = lib.opus_decoder_create(RATE, CHANNELS, ctypes.byref(error))
        if error.value != 0 or not self._state:
            raise RuntimeError(f"opus_decoder_create failed: {error.value}")
        self._pcm = (ctypes.c_int16 * (MAX_FRAME * CHANNELS))()
        self._samples_out = np.ctypeslib.as_array(self._pcm)  # the same memory, once
        self._next: int | None = None
        """The timestamp the next packet has if none is lost."""
        self._frame = SAMPLES_20MS
        """The last packet's duration (samples): what a concealed frame lasts."""
        self.recovered = 0
        """Frames recovered from FEC data: a diagnostic."""
        self.concealed = 0
        """Frames made up by concealment: a diagnostic."""
        self.failed = 0
        """Packets libopus refused (corrupt): a diagnostic."""

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            self._lib.opus_decoder_destroy(state)

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        data, timestamp = encoded_frame.data, encoded_frame.timestamp
        frames: list[Frame] = []
        gap = (timestamp - self._next) % (1 << 32) if self._next is not None else 0
        if 0 < gap <= MAX_GAP:
            fec = self._lib.opus_packet_has_lbrr(data, len(data)) == 1
            last = min(gap, self._samples(data) or gap) // STEP * STEP if fec else 0
            at = timestamp - gap
            while at < timestamp - last:  # what FEC cannot give back
                length = min(self._frame, timestamp - last - at) // STEP * STEP
                made_up = self._decode(None, length, fec=False, pts=at) if length else None
                if made_up is None:
                    break
                made_up.opaque = CONCEALED
                frames.append(made_up)
                self.concealed += 1
                at += made_up.samples
            if last:
                recovered = self._decode(data, last, fec=True, pts=timestamp - last)
                if recovered is not None:
                    frames.append(recovered)
                    self.recovered += 1
        own = self._decode(data, MAX_FRAME, fec=False, pts=timestamp)
        if own is not None:
            frames.append(own)
            self._frame = own.samples
            self._next = (timestamp + own.samples) % (1 << 32)
        elif not frames:  # upstream's contract: the receiver notes a decode error
            raise av.error.InvalidDataError(errno.EINVAL, "opus_decode refused a packet")
        return frames

    def _samples(self, data: bytes) -> int:
        count = int(self._lib.opus_packet_get_nb_samples(data, len(data), RATE))
        return count if count > 0 else 0

    def _decode(self, data: bytes | None, samples: int, fec: bool,
                pts: int) -> av.AudioFrame | None:
        """``data`` decoded (None: concealed) into at most ``samples`` per channel."""
        count = int(self._lib.opus_decode(self._state, data, len(data) if data else 0,
                                          self._pcm, samples, int(fec)))
        if count <= 0:
            if data is None:
                return None
            self.failed += 1
            logger.debug("opus: a packet did not decode (%d)", count)
            return None
        pcm = self._samples_out[:count * CHANNELS].copy().reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
        frame.sample_rate = RATE
        frame.pts = pts % (1 << 32)
        frame.time_base = TIME_BASE
        return frame


def opus_decoder() -> Decoder:
    """The receive side's Opus decoder: :class:`FecOpusDecoder`, or upstream's when no
    libopus with FEC calls is found."""
    lib = libopus()
    return FecOpusDecoder(lib) if lib is not None else OpusDecoder()


_OPUS = next(c for c in CODECS["audio"] if c.mimeType.lower() == "audio/opus")
_replaced = Replaced((_OPUS, "parameters", {**_OPUS.parameters, "useinbandfec": 1}))


def install() -> None:
    """Offers and answers built from now on ask for Opus FEC (``useinbandfec=1``), when
    this process can decode it (idempotent)."""
    if libopus() is not None:
        _replaced.install()


def uninstall() -> None:
    """aiortc's own Opus parameters back (the benchmarks' bare-aiortc baselines)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether Parley's SDP asks for Opus FEC."""
    return _replaced.installed
