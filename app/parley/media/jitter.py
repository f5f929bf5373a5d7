"""The receive side's audio jitter buffer: each Opus packet goes to the decoder at once.

aiortc's receiver builds ``JitterBuffer(capacity=16, prefetch=4)`` for audio: a frame
is handed to the decoder only once four later frames have arrived, and a frame counts
as complete only when the next packet is seen. That is a fixed 80-100 ms on every call,
whatever the network does (issue 14 measured it as the largest single part of the
mouth-to-ear delay). An Opus packet is a whole frame, so nothing needs assembling:
:class:`AudioJitterBuffer` releases every packet the moment it arrives, in order, and
the timing jitter is absorbed after decoding by the speaker's adaptive playout buffer
(:mod:`parley.media.playout`), which is small when the network is calm and grows with
the measured jitter, as libwebrtc's NetEq does. A packet older than one already
released (reordered, or a duplicate) is dropped: it would be played out of order.

Video gets :class:`~parley.media.framebuffer.FrameAssembler` (aiortc's rules, but a frame
is complete at its marker packet and every complete frame is handed on at once: see
there), which has one guard (:class:`VideoJitterBuffer` is its name here): a frame
with no data is not handed to the decoder. Such a frame is made of the empty packets
:mod:`parley.media.rtx` puts in place of packets given up on (a whole small frame lost
on a short link); handed on, it reaches FFmpeg's VP8 decoder as an empty packet, which
is FFmpeg's "drain" signal: the decoder then refuses every later packet ("End of
file") and the participant's video stays frozen for the rest of the call (seen under
the SFU on a 300 kbit/s link, tests/faults/test_sfu_layers_link.py). It is dropped
instead, and a keyframe asked for (a PLI), as for any lost picture.

Why replacing a name, and where (aiortc 1.x): the receiver creates its jitter buffer in
its constructor from the name ``JitterBuffer`` of ``aiortc.rtcrtpreceiver``, with no
parameter to choose it. :func:`install` replaces that one module-level name with a
factory that gives audio an :class:`AudioJitterBuffer` (a subclass of aiortc's own) and
video upstream's buffer behind the guard above, as :mod:`parley.media.rtx` replaces ``get_encoder``;
:func:`uninstall` restores upstream (the benchmark's bare-aiortc baseline). No private
attribute of the receiver is read or written.
"""

from __future__ import annotations

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

from parley.media.framebuffer import FrameAssembler
from parley.media.names import Replaced


class AudioJitterBuffer(JitterBuffer):
    """Audio packets in, the same packets out at once, in sequence order.

    It keeps aiortc's ``add()`` contract: ``(pli_flag, frame or None)`` per packet.
    """

    def __init__(self, capacity: int = 16, prefetch: int = 0, is_video: bool = False) -> None:
        super().__init__(capacity, 0, is_video)
        self.last_sequence: int | None = None
        """The sequence number of the packet released last."""
        self.dropped = 0
        """Packets dropped because they came after a later one (reordered) or twice."""

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        last = self.last_sequence
        if last is not None:
            ahead = uint16_add(packet.sequence_number, -last)
            if ahead == 0 or ahead >= 0x8000:  # a duplicate, or behind what was played
                self.dropped += 1
                return False, None
        self.last_sequence = packet.sequence_number
        # the receiver depayloads into ``_data`` before add(); upstream's buffer reads
        # the same attribute when it joins a frame's packets
        data: bytes = getattr(packet, "_data", packet.payload)
        return False, JitterFrame(data=data, timestamp=packet.timestamp)


class VideoJitterBuffer(FrameAssembler):
    """The video frame buffer (:mod:`.framebuffer`), which never hands on a frame with
    no data: :class:`~parley.media.framebuffer.FrameAssembler` drops one itself, counts
    it in ``empty`` and asks for a keyframe."""


def _jitter_buffer(capacity: int, prefetch: int = 0, is_video: bool = False) -> JitterBuffer:
    if is_video:
        return VideoJitterBuffer(capacity, prefetch, is_video)
    return AudioJitterBuffer(capacity)


_replaced = Replaced((rtcrtpreceiver, "JitterBuffer", _jitter_buffer))


def install() -> None:
    """Give every receiver built from now on Parley's audio jitter buffer (idempotent)."""
    _replaced.install()


def uninstall() -> None:
    """Give aiortc back its own jitter buffer (for receivers built from now on)."""
    _replaced.uninstall()


def installed() -> bool:
    """Whether receivers get :class:`AudioJitterBuffer`."""
    return _replaced.installed
