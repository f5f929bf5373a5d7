"""The adaptive playout queue (pure: media/playout.py) and the audio jitter buffer
(media/jitter.py): small when the network is calm, as large as the jitter when it is
not, shrinking again once the jitter has passed; packets released at once, in order."""

from __future__ import annotations

import random

from aiortc import rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from parley.media import jitter
from parley.media.jitter import AudioJitterBuffer, VideoJitterBuffer
from parley.media.playout import MAX_MARGIN, PlayoutTarget

BLOCK = 960
RATE = 48000
PERIOD = BLOCK / RATE


def feed(target: PlayoutTarget, seconds: float, late: float = 0.0, start: float = 0.0,
         seed: int = 1) -> None:
    """Frames every 20 ms of media time, each arriving up to ``late`` s after its due
    time (uniformly at random), and the device pulling a block every 20 ms."""
    rng = random.Random(seed)
    for index in range(round(seconds / PERIOD)):
        media = start + index * PERIOD
        target.arrived(10.0 + media + rng.uniform(0, late), media)
        target.taken(10.0 + media + 0.005, queued=BLOCK + target.margin, playing=True)


def test_a_calm_network_queues_one_block_and_nothing_more() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 5.0, late=0.0005)
    assert target.margin <= RATE // 1000  # under 1 ms beyond the block
    assert target.prime <= BLOCK + RATE // 1000


def test_the_margin_grows_to_cover_the_jitter() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 5.0, late=0.060)
    # 95 % of arrivals up to 60 ms late: the margin covers most of the 60 ms, not all
    assert 0.045 * RATE <= target.margin <= 0.062 * RATE, target.margin


def test_the_margin_shrinks_once_the_jitter_has_passed() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 4.0, late=0.060)
    assert target.margin > 0.045 * RATE
    feed(target, 4.0, late=0.0005, start=4.0)
    assert target.margin <= RATE // 1000


def test_the_margin_has_a_ceiling() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 4.0, late=1.0)
    assert target.margin == MAX_MARGIN


def test_a_single_late_frame_does_not_set_the_margin() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    for index in range(100):
        media = index * PERIOD
        target.arrived(media + (0.2 if index == 70 else 0.0), media)
    assert target.margin == 0


def test_a_new_stream_starts_the_measurement_over() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 2.0, late=0.060)
    # a reconnection: media time starts again from another origin, arrivals are calm
    for index in range(20):
        media = 5000.0 + index * PERIOD
        target.arrived(20.0 + index * PERIOD, media)
    assert target.network_jitter < 0.001


def test_an_unused_queue_is_dropped_down_to_the_margin_once_a_second() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    excess = []
    for index in range(target.shrink_every):
        media = index * PERIOD
        target.arrived(media, media)
        # 100 ms queued before each pull, all but one block of it never needed
        excess.append(target.taken(media + 0.001, queued=BLOCK + RATE // 10, playing=True))
    assert excess[:-1] == [0] * (target.shrink_every - 1)
    assert excess[-1] == RATE // 10 - target.margin
    assert target.dropped == excess[-1]


def test_a_queue_within_the_margin_is_left_alone() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    feed(target, 3.0, late=0.040)
    margin = target.margin
    drops = [target.taken(20.0 + i * PERIOD, queued=BLOCK + margin, playing=True)
             for i in range(2 * target.shrink_every)]
    assert drops == [0] * (2 * target.shrink_every)


def test_a_backlog_at_the_start_is_dropped_down_to_the_prime_and_one_frame() -> None:
    target = PlayoutTarget(BLOCK // 2, RATE)
    assert target.starting(target.prime) == 0
    assert target.starting(target.prime + BLOCK) == 0  # a whole frame more: not a backlog
    assert target.starting(8 * BLOCK) == 8 * BLOCK - target.prime - BLOCK
    assert target.dropped == 8 * BLOCK - target.prime - BLOCK


def test_a_queue_that_is_not_playing_is_never_cut() -> None:
    target = PlayoutTarget(BLOCK, RATE)
    drops = [target.taken(i * PERIOD, queued=RATE // 10, playing=False)
             for i in range(3 * target.shrink_every)]
    assert drops == [0] * (3 * target.shrink_every)


def packet(sequence: int) -> RtpPacket:
    p = RtpPacket(payload_type=111, sequence_number=sequence, timestamp=sequence * 960)
    p._data = bytes([sequence % 256])  # noqa: SLF001 (what aiortc's receiver sets before add())
    return p


def test_the_audio_jitter_buffer_releases_each_packet_at_once_in_order() -> None:
    buffer = AudioJitterBuffer()
    released = [buffer.add(packet(seq))[1] for seq in (65534, 65535, 0, 2, 1, 2, 3)]
    got = [None if frame is None else frame.timestamp // 960 for frame in released]
    # across the wrap; 1 came after 2 (played already: dropped), the second 2 a duplicate
    assert got == [65534, 65535, 0, 2, None, None, 3]
    assert buffer.dropped == 2
    assert released[0] is not None and released[0].data == bytes([65534 % 256])


def test_install_gives_audio_receivers_parley_s_buffer_and_video_upstream_s() -> None:
    was = jitter.installed()
    jitter.install()
    try:
        assert isinstance(rtcrtpreceiver.JitterBuffer(capacity=16, prefetch=4),
                          AudioJitterBuffer)
        video = rtcrtpreceiver.JitterBuffer(capacity=128, is_video=True)
        assert type(video) is VideoJitterBuffer  # upstream's, behind the empty-frame guard
        jitter.uninstall()
        assert type(rtcrtpreceiver.JitterBuffer(capacity=16, prefetch=4)) is JitterBuffer
    finally:
        if was:
            jitter.install()


def video_packet(sequence: int, timestamp: int, data: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=sequence, timestamp=timestamp)
    p._data = data  # noqa: SLF001 (what aiortc's receiver sets before add())
    return p


def test_a_video_frame_of_filler_packets_never_reaches_the_decoder() -> None:
    """An empty packet drains FFmpeg's VP8 decoder for good ("End of file" for every
    later frame: the video froze); a frame of packets given up on is dropped instead and
    a keyframe asked for, and the frames after it are decoded as before."""
    buffer = VideoJitterBuffer()
    assert buffer.add(video_packet(1, 3000, b"")) == (False, None)  # rtx.py's fillers
    assert buffer.add(video_packet(2, 3000, b"")) == (False, None)
    assert buffer.add(video_packet(3, 6000, b"vp8")) == (True, None)  # dropped, PLI
    assert buffer.empty == 1
    pli, frame = buffer.add(video_packet(4, 9000, b"more"))
    assert not pli and frame is not None and (frame.data, frame.timestamp) == (b"vp8", 6000)
