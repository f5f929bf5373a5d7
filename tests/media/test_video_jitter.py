"""The video jitter buffer's guard (media/jitter.py VideoJitterBuffer), on real VP8
payloads from aiortc's encoder: a frame reaches the decoder only if it is whole and
builds on whole frames; after a packet lost for good, nothing until a whole keyframe
(what the viewer sees: the last good picture, never a smear)."""

from __future__ import annotations

import fractions

import av
import numpy as np
from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload
from aiortc.rtp import RtpPacket

from parley.media.jitter import VideoJitterBuffer


def vp8_frames(count: int) -> list[list[bytes]]:
    """The RTP payloads of ``count`` VP8 frames of noise (several packets each): a
    keyframe, then P-frames, from aiortc's own encoder."""
    encoder, rng, frames = Vp8Encoder(), np.random.default_rng(1), []
    for i in range(count):
        picture = av.VideoFrame.from_ndarray(
            rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), format="rgb24")
        picture.pts, picture.time_base = i * 3000, fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(picture, force_keyframe=i in (0, 4))
        frames.append(payloads)
    return frames


class Stream:
    """Packets of VP8 frames as aiortc's receiver hands them to its jitter buffer."""

    def __init__(self) -> None:
        self.seq, self.buffer = 0, VideoJitterBuffer()
        self.out: list[int] = []
        self.plis = 0

    def send(self, index: int, payloads: list[bytes], lose: set[int] = frozenset(),
             filler_ts: int | None = None) -> None:
        for k, payload in enumerate(payloads):
            self.seq += 1
            lost = k in lose
            packet = RtpPacket(payload_type=97, sequence_number=self.seq,
                               timestamp=(filler_ts if lost and filler_ts is not None
                                          else index * 3000),
                               marker=int(k == len(payloads) - 1 and not lost),
                               payload=b"" if lost else payload)
            packet._data = b"" if lost else vp8_depayload(payload)  # noqa: SLF001 (the receiver's)
            pli, frame = self.buffer.add(packet)
            self.plis += pli
            if frame is not None:
                self.out.append(frame.timestamp // 3000)


def test_a_whole_vp8_stream_is_handed_on_frame_by_frame() -> None:
    stream, frames = Stream(), vp8_frames(4)
    for i, payloads in enumerate(frames):
        stream.send(i, payloads)
    stream.send(4, [b"\x10\x00"])  # the next frame's first packet completes the last one
    assert stream.out == [0, 1, 2, 3] and stream.plis == 0


def test_after_a_lost_packet_nothing_is_decoded_until_a_whole_keyframe() -> None:
    # frame 1 loses a middle packet for good (rtx.py's filler takes its place): frames 1-3
    # would decode against a picture the decoder never had; keyframe 4 and on are whole
    stream, frames = Stream(), vp8_frames(6)
    assert len(frames[1]) >= 3
    for i, payloads in enumerate(frames):
        stream.send(i, payloads, lose={1} if i == 1 else set())
    stream.send(6, [b"\x10\x00"])
    assert stream.out == [0, 4, 5]
    assert stream.buffer.damaged == 3 and stream.plis >= 1


def test_a_frame_whose_last_packet_went_to_the_next_frame_is_not_whole() -> None:
    # the filler of frame 2's last packet carries frame 3's timestamp (rtx.py takes the
    # nearest one it knows): frame 2 lacks its marker, so it is no whole frame either
    stream, frames = Stream(), vp8_frames(6)
    for i, payloads in enumerate(frames):
        last = len(payloads) - 1
        stream.send(i, payloads, lose={last} if i == 2 else set(),
                    filler_ts=3 * 3000 if i == 2 else None)
    stream.send(6, [b"\x10\x00"])
    assert stream.out == [0, 1, 4, 5]
