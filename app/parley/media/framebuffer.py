"""The receive side's video frames: every complete frame to the decoder at once.

aiortc's video jitter buffer (``aiortc.jitterbuffer.JitterBuffer``) has two rules that
add delay on a slow link, measured with the frame stamps of ``python -m bench links``
(docs/performance.md, "Slow shaped links (round seven)"):

- *One frame per packet.* Each ``add(packet)`` hands on at most one frame, the oldest
  complete one. After a lost packet is retransmitted, the frames that queued behind it
  are all complete, yet they leave one per packet that arrives from then on. On a slow
  link a frame is one packet (160x120@10 at 60 kbit/s: 750 bytes), so the backlog never
  drains: at 150 and 250 kbit/s the glass-to-glass delay sat for seconds at exactly
  204, 404, 703 and 1303 ms, two, four, seven and thirteen frames of 100 ms.
- *A frame is complete when the next frame's first packet arrives*, not at its own
  last packet (the RTP marker bit), so every frame waits one frame period: 100 ms at
  10 fps, 42 ms at 24 fps.

:class:`FrameAssembler` keeps aiortc's contract (``add(packet) -> (pli, frame or
None)``, the same capacity, misorder and overflow rules) and changes those two: a frame
is complete at its marker packet (or, as before, when a later frame begins: an empty
filler in place of a lost last packet has no marker), and every frame complete after a
packet is handed on together, as a :class:`FrameBatch`. A frame with no data (made of
:mod:`.rtx`'s fillers alone) is dropped with a keyframe request, as
the guard :mod:`.jitter` explains (an empty packet is FFmpeg's "drain" signal).

Round nine: *no frame is decoded whose references were not all decoded*, libwebrtc's
frame buffer rule. Before, a frame with a filler in it (a packet given up on) or a frame
after a hole dropped for want of room went to the decoder; FFmpeg's VP8 decoder
refuses the damaged frame but decodes every inter frame after it against the broken
reference, so the picture smeared until the next keyframe, and the smeared frames were
shown (the 450 kbit/s link of ``python -m bench links``: 23.2 frames shown a second,
20.7 intact, docs/performance.md, "After an outage, and the start on fast links"). Now
a damaged frame is dropped, the chain counts as broken, and until a VP8 keyframe
arrives every VP8 inter frame is dropped too, each drop asking for a keyframe (a PLI;
:mod:`.rtx` sends at most one a second). A decoding failure the decoder reports breaks
the chain as well. Data that is not recognisably VP8 is handed on as before.

A batch reaches aiortc's decoder thread as one item, so the decoder must know it:
:func:`install` replaces the name ``get_decoder`` of ``aiortc.rtcrtpreceiver`` (its
decoder thread looks it up for each new codec) with a factory whose video decoders are
upstream's behind :class:`BatchDecoder`, which decodes a batch's frames one by one (and
whose Opus decoder recovers a lost packet from the next one's FEC, :mod:`.opus_fec`). An
assembler built while that is not installed hands on one frame per packet, as upstream.
No private attribute of aiortc is read or written (a packet's ``_data``, the depayloaded
payload aiortc's receiver sets before ``add()``, is read as upstream's buffer reads it).
"""

from __future__ import annotations

import logging
import time
from collections import deque

import av
from aiortc import rtcrtpreceiver
from aiortc.codecs import get_decoder as upstream_get_decoder
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add
from av.frame import Frame

from parley.media.names import Replaced
from parley.media.opus_fec import opus_decoder

logger = logging.getLogger(__name__)

MAX_MISORDER = 100
"""A packet this far behind the oldest one kept means the sender restarted (aiortc's)."""


def vp8_keyframe(data: bytes) -> bool | None:
    """Whether an encoded frame is a VP8 keyframe (True) or a VP8 inter frame, which needs
    the frames before it (False); None: it does not look like VP8 (RFC 6386 9.1: the
    frame tag's first bit is 0 for a keyframe, whose start code 9d 01 2a follows the
    3-byte tag; the version, bits 1-3, is at most 3)."""
    if not data or (data[0] >> 1) & 7 > 3:
        return None
    if data[0] & 1:
        return False
    return True if data[3:6] == b"\x9d\x01\x2a" else None


class FrameBatch(JitterFrame):
    """Several frames handed on by one ``add()``: ``data`` and ``timestamp`` are the
    first one's, :attr:`parts` all of them in order."""

    def __init__(self, parts: list[JitterFrame]) -> None:
        super().__init__(parts[0].data, parts[0].timestamp)
        self.parts = parts
        """The frames, oldest first, each with its own RTP timestamp."""
        self.failed = 0
        """Frames of it the decoder could not decode (set from the decoder's thread)."""


class FrameAssembler(JitterBuffer):
    """Video RTP packets in, complete encoded frames out, all at once.

    Args:
        capacity: Packets kept at most (a power of 2, as upstream's).
        batch: Hand on every complete frame at once (needs :func:`install`'s decoder);
            None: whenever that decoder is installed.
    """

    def __init__(self, capacity: int = 128, prefetch: int = 0, is_video: bool = True,
                 batch: bool | None = None) -> None:
        super().__init__(capacity, 0, is_video)
        self.batch = installed() if batch is None else batch
        self.empty = 0
        """Frames with no data dropped (each asked for a keyframe)."""
        self.batches = 0
        """Calls that handed on more than one frame: a diagnostic."""
        self.damaged = 0
        """Frames dropped because a packet of theirs was given up on (a filler in them)."""
        self.undecodable = 0
        """Inter frames dropped because a frame before them was lost: a keyframe is
        awaited (libwebrtc's frame buffer rule)."""
        self.broken = False
        """A frame was lost since the last keyframe: inter frames are not decodable."""
        self._broken_at = 0.0
        self._skipped = 0  # frames not decoded since the chain broke
        self._kept: dict[int, RtpPacket] = {}
        self._sent: deque[FrameBatch] = deque(maxlen=8)  # batches whose decoding to check
        self._next: int | None = None  # the sequence number the next frame starts at
        self._ssrc: int | None = None  # the stream whose frames it assembles

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        pli = self._decode_failed()
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                if self._late(seq):  # a retransmission of a stream already replaced
                    return pli, None
                logger.info("video: stream %d replaced by %d: a keyframe awaited",
                            self._ssrc, packet.ssrc)
                pli = self._restart()
            self._ssrc = packet.ssrc
        if self._next is None:
            self._next = seq
        ahead = uint16_add(seq, -self._next)
        if ahead >= 0x8000:  # behind the next frame's start
            if self._late(seq):
                return False, None  # late (a frame already handed on, or given up on)
            pli = self._restart()  # far behind: the sender restarted its numbering
            self._next, ahead = seq, 0
        if ahead >= self.capacity:
            self._drop_oldest(uint16_add(seq, -self.capacity + 1))
            pli = self._break()
        self._kept[seq] = packet
        frames: list[JitterFrame] = []
        while self.batch or not frames:
            taken = self._take_frame()
            if taken is None:
                break
            frame, damaged = taken
            if not frame.data:  # only fillers (rtx.py): a lost picture
                self.empty += 1
                pli = self._break()
            elif damaged:  # a filler in it: undecodable, and so is what refers to it
                self.damaged += 1
                pli = self._break()
            elif self.broken and (key := vp8_keyframe(frame.data)) is False:
                self.undecodable += 1
                self._skipped += 1
                pli = True  # ask again (rtx.py spaces PLIs): the keyframe may be lost too
            else:
                if self.broken and key:
                    self._mended()
                frames.append(frame)
        if not frames:
            return pli, None
        if len(frames) == 1:
            return pli, frames[0]
        self.batches += 1
        batch = FrameBatch(frames)
        self._sent.append(batch)
        return pli, batch

    def _decode_failed(self) -> bool:
        """A frame of a batch handed on failed to decode: ask for a keyframe, as aiortc's
        receiver does on the next packet after a frame it handed on failed."""
        failed = any(batch.failed for batch in self._sent)
        if failed:
            self._sent.clear()
            self._break()
        return failed

    def _late(self, seq: int) -> bool:
        """``seq`` is a little behind the next frame's start: a packet come too late."""
        return self._next is not None and uint16_add(seq, -self._next) >= 0x8000 and \
            uint16_add(self._next, -seq) < MAX_MISORDER

    def _restart(self) -> bool:
        """A new numbering and new references: the sender restarted, or another stream
        came on the same receiver (an SFU's m-line reused for another feed). Janus
        numbers a new feed on from the old one, so the old one's last packets, dropped by
        the receiver while the m-line was inactive, left a hole before the new one's
        first packet that neither a retransmission nor a filler (:mod:`.rtx`, which finds
        no timestamp of the new stream before it) closed: every frame was held until 512
        packets later (aiortc's capacity: 17 s of a small camera), and a viewer saw
        nothing of a participant who republished. True (a keyframe request is due: an
        inter frame refers to the old stream's frames)."""
        self._kept.clear()
        self._next = None
        return self._break()

    def _break(self) -> bool:
        """A frame was lost: until a keyframe, no inter frame can be decoded. True (a
        keyframe request is due)."""
        if not self.broken:
            self.broken, self._broken_at, self._skipped = True, time.monotonic(), 0
        return True

    def _mended(self) -> None:
        self.broken = False
        logger.info("video: a keyframe after %.2f s, %d frames not decoded meanwhile",
                    time.monotonic() - self._broken_at, self._skipped)

    def _take_frame(self) -> tuple[JitterFrame, bool] | None:
        """The frame starting at the next sequence number, if all of it is here, and
        whether a packet of it is a filler (given up on)."""
        assert self._next is not None
        seq = self._next
        packets: list[RtpPacket] = []
        while seq in self._kept:
            packet = self._kept[seq]
            if packets and packet.timestamp != packets[0].timestamp:
                break  # a later frame began: this one is whole
            packets.append(packet)
            seq = uint16_add(seq, 1)
            if packet.marker:
                break  # its last packet
        else:
            return None  # a packet of it is missing, or not all of it came yet
        for packet in packets:
            del self._kept[packet.sequence_number]
        self._next = seq
        parts = [getattr(p, "_data", p.payload) for p in packets]
        frame = JitterFrame(data=b"".join(parts), timestamp=packets[0].timestamp)
        return frame, not all(parts)

    def _drop_oldest(self, keep_from: int) -> None:
        """Drop the packets before ``keep_from`` and the rest of the frame it falls in
        (up to a packet known to begin a frame: after a marker or a new timestamp)."""
        assert self._next is not None
        seq, last = self._next, None
        while uint16_add(seq, -keep_from) >= 0x8000 or (seq in self._kept and (
                last is None or not (last.marker or last.timestamp != self._kept[seq].timestamp))):
            last = self._kept.pop(seq, None)
            seq = uint16_add(seq, 1)
        self._next = seq


class BatchDecoder(Decoder):
    """An upstream video decoder that also decodes a :class:`FrameBatch`, frame by frame.

    The receiver maps the batch's (its first frame's) RTP timestamp to the stream's time
    before decoding; each later frame's is that plus its own RTP offset. A frame that
    fails to decode is logged and counted in the batch (its assembler asks for a
    keyframe on the next packet) and the others are decoded and shown, as they would
    have been one by one; a batch none of whose frames decodes raises, as upstream's
    decoder would.
    """

    def __init__(self, inner: Decoder) -> None:
        self.inner = inner

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        if not isinstance(encoded_frame, FrameBatch):
            return self.inner.decode(encoded_frame)
        first = encoded_frame.parts[0].timestamp
        frames: list[Frame] = []
        error: av.FFmpegError | None = None
        for part in encoded_frame.parts:
            offset = (part.timestamp - first) & 0xFFFFFFFF
            try:
                frames += self.inner.decode(
                    JitterFrame(part.data, encoded_frame.timestamp + offset))
            except av.FFmpegError as exc:
                logger.warning("failed to decode a video frame of a batch: %s", exc)
                encoded_frame.failed += 1
                error = exc
        if error is not None and encoded_frame.failed == len(encoded_frame.parts):
            raise error
        return frames


def parley_decoder(codec: RTCRtpCodecParameters) -> Decoder:
    """aiortc's decoder factory, its video decoders behind :class:`BatchDecoder`, and
    Opus decoded with its FEC data (:mod:`.opus_fec`)."""
    mime = codec.mimeType.lower()
    if mime == "audio/opus":
        return opus_decoder()
    decoder = upstream_get_decoder(codec)
    if mime.startswith("video/"):
        return BatchDecoder(decoder)
    return decoder


_replaced = Replaced((rtcrtpreceiver, "get_decoder", parley_decoder))


def install() -> None:
    """Let receivers' decoders take batches (process-wide, idempotent): assemblers built
    from now on hand on every complete frame at once."""
    _replaced.install()


def uninstall() -> None:
    """Give aiortc back its decoders (assemblers built from now on: one frame per add)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether receivers' decoders take batches."""
    return _replaced.installed
