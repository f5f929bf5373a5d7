"""The receiver's video frame buffer (media/framebuffer.py): a frame reaches the decoder
when its last packet arrives, and the frames that queued behind a retransmitted packet
all reach it at once, so the picture catches up instead of staying seconds late."""

from __future__ import annotations

import fractions

import av
from aiortc import rtcrtpreceiver
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from parley.media import framebuffer
from parley.media.framebuffer import BatchDecoder, FrameAssembler, FrameBatch

TICK = 9000  # RTP ticks between frames at 10 fps


def packet(seq: int, frame: int, data: bytes = b"x", marker: bool = True,
           ssrc: int = 0) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq % 65536, timestamp=frame * TICK,
                  marker=int(marker), ssrc=ssrc)
    p._data = data  # noqa: SLF001 (what aiortc's receiver sets before add())
    return p


def timestamps(frame: JitterFrame | None) -> list[int]:
    if frame is None:
        return []
    parts = frame.parts if isinstance(frame, FrameBatch) else [frame]
    return [part.timestamp // TICK for part in parts]


def test_a_frame_is_handed_on_at_its_last_packet_not_one_frame_later() -> None:
    buffer = FrameAssembler(batch=True)
    assert buffer.add(packet(1, 1, b"a", marker=False)) == (False, None)
    pli, frame = buffer.add(packet(2, 1, b"b"))  # the marker: the frame is whole
    assert not pli and frame is not None and (frame.data, frame.timestamp) == (b"ab", TICK)
    assert timestamps(buffer.add(packet(3, 2))[1]) == [2]


def test_frames_behind_a_retransmitted_packet_all_come_out_with_it() -> None:
    """Upstream hands on one frame per later packet: with one packet a frame (a slow
    link) the four frames behind the hole stay four frames (400 ms) late for good."""
    buffer = FrameAssembler(batch=True)
    assert timestamps(buffer.add(packet(1, 1))[1]) == [1]
    for seq in range(3, 7):  # packet 2 (frame 2) was lost; frames 3-6 arrive
        assert buffer.add(packet(seq, seq)) == (False, None)
    pli, frame = buffer.add(packet(2, 2))  # its retransmission
    assert not pli and timestamps(frame) == [2, 3, 4, 5, 6]
    assert buffer.batches == 1
    assert timestamps(buffer.add(packet(7, 7))[1]) == [7]  # no backlog left


def test_without_the_batch_decoder_it_hands_on_one_frame_a_packet() -> None:
    buffer = FrameAssembler(batch=False)
    for seq in (1, 3, 4):
        buffer.add(packet(seq, seq))
    assert timestamps(buffer.add(packet(2, 2))[1]) == [2]
    assert timestamps(buffer.add(packet(5, 5))[1]) == [3]


def test_a_frame_whose_last_packet_is_a_filler_ends_when_the_next_begins() -> None:
    """rtx.py puts an empty packet (no marker) in place of one given up on: the frame
    ends when the next begins, and is not decoded (a part of it is missing)."""
    buffer = FrameAssembler(batch=True)
    buffer.add(packet(1, 1, b"a", marker=False))
    assert buffer.add(packet(2, 1, b"", marker=False)) == (False, None)
    pli, frame = buffer.add(packet(3, 2, b"x"))  # not VP8: handed on as it is
    assert pli and timestamps(frame) == [2] and buffer.damaged == 1


def test_a_frame_of_fillers_only_is_dropped_with_a_keyframe_request() -> None:
    buffer = FrameAssembler(batch=True)
    buffer.add(packet(1, 1))
    buffer.add(packet(3, 3))
    pli, frame = buffer.add(packet(2, 2, b""))
    assert pli and timestamps(frame) == [3] and buffer.empty == 1


def test_late_and_duplicate_packets_are_ignored_and_a_restart_asks_for_a_keyframe() -> None:
    buffer = FrameAssembler(batch=True)
    buffer.add(packet(500, 1))
    assert buffer.add(packet(500, 1)) == (False, None)  # a duplicate
    assert buffer.add(packet(450, 0)) == (False, None)  # late
    pli, frame = buffer.add(packet(100, 7))  # 400 behind: the sender restarted
    assert pli and timestamps(frame) == [7]


def test_numbers_wrap() -> None:
    buffer = FrameAssembler(batch=True)
    buffer.add(packet(65534, 1))
    buffer.add(packet(0, 3))
    assert timestamps(buffer.add(packet(65535, 2))[1]) == [2, 3]


def test_a_hole_older_than_the_capacity_is_given_up_with_its_whole_frame() -> None:
    buffer = FrameAssembler(capacity=8, batch=True)
    buffer.add(packet(1, 1))
    buffer.add(packet(3, 2, marker=False))  # frame 2 lost its first packet (2)
    buffer.add(packet(4, 2))
    for seq in range(5, 9):
        assert buffer.add(packet(seq, seq)) == (False, None)
    pli, frame = buffer.add(packet(10, 10))  # 2 falls out of the capacity: frame 2 goes
    assert pli and timestamps(frame) == [5, 6, 7, 8]


def test_install_puts_batch_decoders_behind_video_receivers_only() -> None:
    was = framebuffer.installed()
    framebuffer.install()
    try:
        vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
        opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2,
                                     payloadType=111)
        assert isinstance(rtcrtpreceiver.get_decoder(vp8), BatchDecoder)  # type: ignore[attr-defined]
        assert not isinstance(rtcrtpreceiver.get_decoder(opus), BatchDecoder)  # type: ignore[attr-defined]
        assert FrameAssembler().batch
        framebuffer.uninstall()
        assert not isinstance(rtcrtpreceiver.get_decoder(vp8), BatchDecoder)  # type: ignore[attr-defined]
        assert not FrameAssembler().batch
    finally:
        if was:
            framebuffer.install()


def vp8_frames(count: int) -> list[bytes]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 64, 48, "yuv420p"
    codec.time_base = fractions.Fraction(1, 10)
    out = []
    for i in range(count):
        frame = av.VideoFrame(64, 48, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(i * 40) % 256]) * plane.buffer_size)
        frame.pts = i
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    return out


def test_a_batch_decodes_to_every_frame_with_its_own_time() -> None:
    data = vp8_frames(3)
    decoder = BatchDecoder(Vp8Decoder())
    batch = FrameBatch([JitterFrame(d, (4_294_967_000 + i * TICK) & 0xFFFFFFFF)
                        for i, d in enumerate(data)])
    batch.timestamp = 1000  # the receiver maps the first frame's RTP time
    frames = decoder.decode(batch)
    assert [f.pts for f in frames] == [1000, 1000 + TICK, 1000 + 2 * TICK]
    assert [f.width for f in frames] == [64] * 3


def test_a_frame_of_a_batch_that_fails_costs_a_keyframe_request_not_the_batch() -> None:
    """Two holes, the later given up on (rtx.py's filler) before the earlier is
    retransmitted: the intact frames ahead of the broken one are still shown."""
    good = vp8_frames(3)
    decoder = BatchDecoder(Vp8Decoder())
    buffer = FrameAssembler(batch=True)
    _, first = buffer.add(packet(1, 1, good[0]))  # the keyframe
    assert first is not None and len(decoder.decode(first)) == 1
    buffer.add(packet(3, 3, b"\x9d\x01\x2a broken"))  # frame 3 came damaged
    pli, batch = buffer.add(packet(2, 2, good[1]))  # frame 2's retransmission
    assert not pli and isinstance(batch, FrameBatch) and timestamps(batch) == [2, 3]
    frames = decoder.decode(batch)
    assert len(frames) == 1 and batch.failed == 1  # frame 2 shown, frame 3 not
    pli, _ = buffer.add(packet(4, 4, good[2]))
    assert pli  # the next packet asks for a keyframe, as aiortc does after a failure


def vp8_stream(count: int, keyframes: set[int]) -> list[bytes]:
    """``count`` VP8 frames of a moving picture, keyframes at the indices given."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 64, 48, "yuv420p"
    codec.time_base = fractions.Fraction(1, 10)
    codec.options = {"lag-in-frames": "0", "deadline": "realtime"}
    out = []
    for i in range(count):
        frame = av.VideoFrame(64, 48, "yuv420p")
        for n, plane in enumerate(frame.planes):
            plane.update(bytes([(i * 40 + n * 7) % 256]) * plane.buffer_size)
        frame.pts = i
        frame.pict_type = av.video.frame.PictureType.I if i in keyframes else \
            av.video.frame.PictureType.NONE
        out += [bytes(p) for p in codec.encode(frame)]
    assert len(out) == count
    return out


def test_the_vp8_frame_tag_tells_keyframes_from_inter_frames() -> None:
    stream = vp8_stream(3, {0})
    assert framebuffer.vp8_keyframe(stream[0]) is True
    assert framebuffer.vp8_keyframe(stream[1]) is False
    assert framebuffer.vp8_keyframe(b"") is None
    assert framebuffer.vp8_keyframe(b"\x00\x00\x00\x01\x67") is None  # H.264 Annex B


def test_after_a_lost_frame_nothing_is_decoded_until_a_keyframe() -> None:
    """The user sees the picture stop, then go on from a keyframe, instead of a smear:
    the inter frames after a frame given up on refer to it, and libwebrtc's frame buffer
    never decodes them. Each of them asks for a keyframe (rtx.py spaces the PLIs)."""
    stream = vp8_stream(7, {0, 4})
    decoder = BatchDecoder(Vp8Decoder())
    buffer = FrameAssembler(batch=True)
    shown = []

    def arrive(seq: int, data: bytes) -> bool:
        pli, frame = buffer.add(packet(seq, seq, data))
        if frame is not None:
            shown.extend(timestamps(frame))
            decoder.decode(frame)
        return pli

    assert not arrive(1, stream[0])  # the keyframe
    assert not arrive(2, stream[1])
    assert arrive(3, b"")  # frame 3 given up on: rtx.py's filler
    assert arrive(4, stream[3]) and arrive(5, stream[3])  # refer to frame 3: not decoded
    assert not arrive(6, stream[4])  # the keyframe the PLIs asked for
    assert not arrive(7, stream[5])
    assert shown == [1, 2, 6, 7]
    assert buffer.undecodable == 2 and not buffer.broken


def test_a_frame_damaged_by_a_filler_is_not_decoded_nor_what_follows_it() -> None:
    stream = vp8_stream(4, {0, 3})
    buffer = FrameAssembler(batch=True)
    buffer.add(packet(1, 1, stream[0]))
    buffer.add(packet(2, 2, stream[1][:20], marker=False))
    buffer.add(packet(3, 2, b"", marker=False))  # the rest of frame 2 given up on
    pli, frame = buffer.add(packet(4, 3, stream[2]))  # frame 2 ends: damaged; 3 refers to it
    assert pli and frame is None and buffer.damaged == 1 and buffer.broken
    pli, frame = buffer.add(packet(5, 4, stream[3]))
    assert not pli and timestamps(frame) == [4] and not buffer.broken


def test_a_hole_dropped_for_room_breaks_the_chain_too() -> None:
    stream = vp8_stream(3, {0})
    buffer = FrameAssembler(capacity=8, batch=True)
    buffer.add(packet(1, 1, stream[0]))
    for seq in range(3, 9):  # packet 2 never comes
        buffer.add(packet(seq, seq, stream[1]))
    pli, frame = buffer.add(packet(10, 10, stream[2]))  # 2 falls out of the capacity
    assert pli and frame is None and buffer.broken


# An m-line Janus reuses for another feed (a participant republished): the new stream
# starts afresh. Janus numbers the new feed's packets on from the old one's, and the old
# one's last packets, sent while the subscriber had made the m-line inactive, never reach
# the buffer: the hole before the new stream held every frame of it (the republish test,
# tests/sfu/test_republish.py: 1 run in 8, a viewer black for 15 s). Packets as that
# test's trace showed them.
OLD, NEW = 3201575453, 4201107420  # the m-line's SSRCs in Janus's offers, before and after
KEY = b"\x10\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00"  # a VP8 keyframe's first bytes
INTER = b"\x31\x10\x00\xe4\x41\xef"  # a VP8 inter frame's


def test_a_new_feed_on_a_reused_m_line_plays_from_its_keyframe_despite_the_hole() -> None:
    buffer = FrameAssembler(capacity=512, batch=True)  # as aiortc's receiver builds it
    assert buffer.add(packet(1, 0, KEY, ssrc=OLD))[1] is not None
    for seq in range(2, 27):  # the old feed; 27 and 28 dropped (the m-line inactive)
        assert buffer.add(packet(seq, seq, INTER, ssrc=OLD))[1] is not None

    # the new feed numbered on from the old one: its first frame refers to frames the
    # decoder never had, so it is dropped and a keyframe asked for
    pli, frame = buffer.add(packet(29, 50, INTER, ssrc=NEW))
    assert pli and frame is None
    pli, frame = buffer.add(packet(30, 51, KEY, ssrc=NEW))
    assert frame is not None and frame.data == KEY and not buffer.broken
    for seq in range(31, 40):
        pli, frame = buffer.add(packet(seq, seq + 21, INTER, ssrc=NEW))
        assert not pli and frame is not None and frame.data == INTER


def test_a_late_packet_of_the_replaced_feed_is_dropped() -> None:
    buffer = FrameAssembler(capacity=512, batch=True)
    assert buffer.add(packet(1, 0, KEY, ssrc=OLD))[1] is not None
    assert buffer.add(packet(5, 3, KEY, ssrc=NEW))[1] is not None
    assert buffer.add(packet(2, 1, INTER, ssrc=OLD)) == (False, None)  # a retransmission
    pli, frame = buffer.add(packet(6, 4, INTER, ssrc=NEW))  # the new one plays on
    assert not pli and frame is not None and frame.data == INTER
