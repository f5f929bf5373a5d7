"""Parley's encoders on a fake clock: VP8 follows the estimate below aiortc's 250 kbit/s
floor, scales and thins frames by the ladder, pauses and rate-limits keyframes; Opus
runs at voice rates, switches FEC on with loss, and stays quiet in silence (DTX)."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from parley.media.encoder import KEYFRAME_SPACING, ParleyVp8Encoder
from parley.media.ladder import PAUSE_AFTER, RUNGS, START_BUDGET, START_GROWTH, Rung
from parley.media.libvpx import fit, quantiser, vp8_context
from parley.media.opus import (
    DTX_KEEPALIVE,
    LOW_VOICE_BITRATE,
    NORMAL_HOLD,
    VOICE_BITRATE,
    ParleyOpusEncoder,
)

VIDEO_TB = fractions.Fraction(1, 90000)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frames(count: int, start: int = 0) -> list[av.VideoFrame]:
    out = []
    rng = np.random.default_rng(start)
    for i in range(start, start + count):
        image = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = i * 3000, VIDEO_TB  # 30 fps
        out.append(frame)
    return out


def run(encoder: ParleyVp8Encoder, clock: Clock, count: int, start: int = 0,
        keyframe_every: int = 0) -> list[int]:
    sizes = []
    for i, frame in enumerate(frames(count, start)):
        payloads, _ = encoder.encode(frame, bool(keyframe_every) and i % keyframe_every == 0)
        sizes.append(sum(len(p) for p in payloads))
        clock.now += 1 / 30
    return sizes


def test_target_goes_below_aiortcs_floor() -> None:
    encoder = ParleyVp8Encoder()
    encoder.target_bitrate = 120_000
    assert encoder.target_bitrate < 250_000  # aiortc would clamp to 250 kbit/s
    encoder.target_bitrate = 10_000_000
    assert encoder.target_bitrate == 1_500_000


def test_a_low_estimate_scales_and_thins_frames() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start (480x360@30)
    encoder.target_bitrate = 90_000  # budget 81k: 320x240@15, at once
    sent = [s for s in run(encoder, clock, 60) if s]
    assert str(encoder.ladder.rung) == "320x240@15"
    assert encoder.codec is not None and (encoder.codec.width, encoder.codec.height) == (320, 240)
    assert 25 <= len(sent) <= 31  # about 15 of each 30 frames, minus encoder drops


def test_a_call_starts_low_and_ramps_up_to_its_estimate_taking_each_rung_at_once() -> None:
    """480x360@24 at 270k for the second and a half before the first REMB overflowed a
    150 kbit/s uplink's queue and collapsed the call: the start sends 320x240@15 at
    START_BUDGET and grows by START_GROWTH a second, each rung without the ladder's hold."""
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    encoder.target_bitrate = 600_000  # a fast link (the start estimate is the same)
    rungs: list[object] = []
    encoder.on_rung = rungs.append
    sizes = run(encoder, clock, 15)  # 0.5 s
    assert str(encoder.ladder.rung) == "320x240@30"  # 105k after 0.12 s, 120k after 0.45
    assert sum(sizes) * 8 <= 1.3 * 0.5 * START_BUDGET * START_GROWTH ** 0.5
    sizes = run(encoder, clock, 45, 15)  # to 2 s: the ramp passes 220k at 1.94 s
    assert [str(r) for r in rungs] == ["320x240@24", "320x240@30", "480x360@24"]
    assert sum(sizes[-30:]) * 8 <= 1.3 * START_BUDGET * START_GROWTH ** 2
    run(encoder, clock, 20, 60)  # the ramp passes 265k at 2.40 s
    assert [str(r) for r in rungs] == ["320x240@24", "320x240@30", "480x360@24", "480x360@30"]
    assert encoder.codec is not None and encoder.codec.bit_rate >= 250_000


def test_a_slow_links_first_estimate_ends_the_start() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    run(encoder, clock, 30)  # 1 s of the ramp
    encoder.target_bitrate = 90_000  # the receiver's first REMB: an overuse
    run(encoder, clock, 60, 30)
    assert str(encoder.ladder.rung) == "320x240@15"  # the budget's (81k), at once
    assert encoder.codec is not None and encoder.codec.bit_rate <= 90_000


def test_below_the_floor_nothing_is_sent_and_the_watcher_hears() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    rungs: list[object] = []
    encoder.on_rung = rungs.append
    encoder.target_bitrate = 40_000
    run(encoder, clock, int(PAUSE_AFTER * 30))  # the last rung for a while
    assert sum(run(encoder, clock, 30)) == 0
    assert rungs == [RUNGS[-1], None]


def test_keyframe_requests_are_rate_limited() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
    encoder.target_bitrate = 500_000
    run(encoder, clock, 90, keyframe_every=2)  # a request every 2 frames for 3 s
    assert encoder.keyframes <= 3 / KEYFRAME_SPACING + 1


def test_a_decoded_frame_is_a_keyframe_only_when_one_is_due() -> None:
    # a decoder marks each frame an I picture; FFmpeg's libvpx would force a keyframe
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
    encoder.target_bitrate = 500_000
    for i, frame in enumerate(frames(45)):
        frame.pict_type = av.video.frame.PictureType.I
        encoder.encode_packets(frame, force_keyframe=i == 40)  # as the shared encoder
        # left as it came: the frame may be shared with other encoders and senders
        assert frame.pict_type == av.video.frame.PictureType.I
        assert (frame.pts, frame.time_base) == (i * 3000, VIDEO_TB)
        clock.now += 1 / 30
    assert encoder.keyframes == 2  # the first, and the one asked for


def test_content_too_hard_for_the_budget_is_held_at_it() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    encoder.target_bitrate = 300_000
    sizes = run(encoder, clock, 120, keyframe_every=30)  # noise, and a PLI a second
    budget = encoder.target_bitrate
    assert sum(sizes[30:]) * 8 / 3 <= 1.15 * budget
    assert encoder.dropped > 0 and sum(1 for s in sizes[30:] if s) >= 3 * 5


def test_the_quantiser_is_read_from_each_packet() -> None:
    codec = vp8_context(640, 480, 100_000, 30)
    qps = []
    for i, frame in enumerate(frames(5)):  # noise at 100 kbit/s: near the ceiling
        frame = frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = i, fractions.Fraction(1, 30)
        qps += [quantiser(packet) for packet in codec.encode(frame)]
    assert qps and all(q is not None and 40 <= q <= 56 for q in qps[1:]), qps


def easy_frames(count: int) -> list[av.VideoFrame]:
    """A plain picture (a gradient, a square moving across it): a webcam's desk."""
    base = np.tile(np.linspace(40, 200, 640, dtype=np.uint8), (480, 1))
    out = []
    for i in range(count):
        image = np.repeat(base[:, :, None], 3, axis=2)
        image[200:280, 4 * i % 560:4 * i % 560 + 80] = (200, 60, 60)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = i * 3000, VIDEO_TB
        out.append(frame)
    return out


def sent_rungs(encoder: ParleyVp8Encoder, clock: Clock, source: list[av.VideoFrame]) -> list[str]:
    rungs = [str(encoder.ladder.rungs[max(encoder.ladder.index or 0, encoder.quality.cap)])]
    encoder.on_rung = lambda rung: rungs.append(str(rung))
    for frame in source:
        encoder.encode(frame)
        clock.now += 1 / 30
    return rungs


def test_plain_video_climbs_to_640x480_at_30_with_the_budget() -> None:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
    encoder.target_bitrate = 1_000_000
    rungs = sent_rungs(encoder, clock, easy_frames(240))  # 8 s
    # the start estimate's 270k is 480x360@30's; then one step at a time, by quality
    assert rungs == ["480x360@30", "640x480@30"]
    assert encoder.codec is not None and (encoder.codec.width, encoder.codec.height) == (640, 480)


def test_hard_video_is_never_put_on_640x480_its_budget_cannot_carry() -> None:
    # noise at 1.5 Mbit/s: 640x480@30 would run at the quantiser's ceiling and be taken
    # back by the quality scaler, with dropped frames and a keyframe each way
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    encoder.target_bitrate = 1_700_000
    rungs = sent_rungs(encoder, clock, frames(180))  # 6 s
    assert "640x480@30" not in rungs
    assert encoder.ladder.rung == RUNGS[0]  # the budget alone would have taken it


def test_capture_smaller_than_the_rung_is_never_upscaled() -> None:
    assert fit(320, 240, RUNGS[0]) == (320, 240)
    assert fit(1280, 720, Rung(320, 240, 24, 0)) == (320, 180)


def audio(silent: bool, pts: int) -> av.AudioFrame:
    samples = np.zeros((1, 960 * 2), dtype=np.int16)
    if not silent:
        samples[:] = (np.sin(np.arange(960 * 2) / 5) * 8000).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
    frame.sample_rate, frame.pts = 48000, pts
    return frame


def test_opus_voice_rate_fec_on_loss_and_dtx() -> None:
    clock = Clock()
    encoder = ParleyOpusEncoder(clock=clock)
    assert encoder.target_bitrate == VOICE_BITRATE and not encoder.fec
    sent = []
    for i in range(100):  # 2 s of speech, then 2 s of silence
        payloads, _ = encoder.encode(audio(i >= 50, i * 960))
        sent.append(bool(payloads))
        clock.now += 0.02
    assert all(sent[1:50])
    quiet = sent[70:]  # DTX: one packet per keep-alive interval
    assert 0 < sum(quiet) <= len(quiet) * 0.02 / DTX_KEEPALIVE + 1
    encoder.report_loss(0.05)
    encoder.encode(audio(False, 100 * 960))
    assert encoder.fec


@pytest.mark.parametrize("slow", [False, True])
def test_dtx_encodes_nothing_it_holds_back_and_the_timestamps_run_on(slow: bool) -> None:
    """A silent microphone (most of a meeting's) costs no libopus time between its
    keep-alive packets; after the gap the packets' timestamps are where the audio is,
    in 20 ms and in 60 ms packets (whose libopus holds part of a packet back: 51 frames
    of speech and 10 of silence leave it one or two frames at the gap)."""
    clock = Clock()
    encoder = ParleyOpusEncoder(clock=clock)
    if slow:
        encoder.target_bitrate = 100_000
    offsets, sent = set(), []
    for i in range(201):  # 1 s of speech, 2 s of silence, 1 s of speech
        talking = i < 51 or i >= 151
        payloads, timestamp = encoder.encode(audio(not talking, i * 960))
        sent.append(bool(payloads))
        if payloads and talking:
            # the packet ends with frame i: its start is that many samples before
            offsets.add(i * 960 - timestamp)
        clock.now += 0.02
    frame_samples = encoder.frame_ms * 48
    assert offsets == {frame_samples - 960}  # the same before the gap and after it
    # libopus encoded the speech, and of the silence its first 0.2 s and the keep-alives
    keepalive_encodes = int(2.0 / DTX_KEEPALIVE + 1) * encoder.frame_ms // 20
    assert encoder.encoded <= 101 + 10 + keepalive_encodes
    assert 0 < sum(sent[71:151]) <= 80 * 0.02 / DTX_KEEPALIVE + 1
    assert sum(sent[151:]) >= 50 * 20 // encoder.frame_ms - 2


def test_dtx_held_frames_of_another_rate_keep_the_timestamps_exact() -> None:
    """44.1 kHz in 1024-sample frames (an aiortc MediaPlayer's): each held frame is
    1114.56 samples at 48 kHz; rounding each down would drift half a second an hour."""
    clock = Clock()
    encoder = ParleyOpusEncoder(clock=clock)

    def frame(silent: bool, i: int) -> av.AudioFrame:
        samples = np.zeros((1, 1024 * 2), dtype=np.int16)
        if not silent:
            samples[:] = (np.sin(np.arange(1024 * 2) / 5) * 8000).astype(np.int16)
        out = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        out.sample_rate, out.pts = 44100, i * 1024
        return out

    stamps = []
    for i in range(10_000):  # 232 s of silence, then speech
        payloads, timestamp = encoder.encode(frame(i < 9990, i))
        if payloads and i >= 9990:
            stamps.append(timestamp)
        clock.now += 1024 / 44100
    # the last packet starts within a packet of where its audio is (48 kHz)
    error = stamps[-1] + 960 - 10_000 * 1024 * 48000 // 44100
    assert abs(error) <= 960, error  # rounding each held frame down: 5,500 samples behind


def test_opus_on_a_slow_link_sends_24_kbit_s_in_60_ms_packets_until_it_is_fast_again() -> None:
    """At 150 kbit/s 32 kbit/s Opus in 50 packets a second took 56 kbit/s of the link
    with its headers: a slow link gets a third of the packets, at the lower voice rate,
    and keeps them while its estimate saws."""
    clock = Clock()
    encoder = ParleyOpusEncoder(clock=clock)

    def speak(frames: int, start: int) -> list[tuple[int, int]]:
        out = []  # (bytes, timestamp) of each packet
        for i in range(start, start + frames):
            payloads, timestamp = encoder.encode(audio(False, i * 960))
            out += [(len(p), timestamp) for p in payloads]
            clock.now += 0.02
        return out

    speak(10, 0)
    assert (encoder.target_bitrate, encoder.frame_ms) == (VOICE_BITRATE, 20)
    encoder.target_bitrate = 130_000  # the estimate is short
    assert (encoder.target_bitrate, encoder.frame_ms) == (LOW_VOICE_BITRATE, 60)
    sent = speak(150, 10)  # 3 s
    assert 45 <= len(sent) <= 51  # one packet per 60 ms
    stamps = [t for _, t in sent]
    assert {b - a for a, b in zip(stamps, stamps[1:], strict=False)} == {2880}
    assert sum(size for size, _ in sent) * 8 / 3 <= 1.2 * LOW_VOICE_BITRATE
    for _ in range(int(NORMAL_HOLD) + 2):  # sawing: up to 200k, down, up again
        encoder.target_bitrate = 200_000
        clock.now += 1.0
    encoder.target_bitrate = 140_000
    assert encoder.slow
    encoder.target_bitrate = 400_000
    clock.now += NORMAL_HOLD - 0.5
    encoder.target_bitrate = 400_000
    assert encoder.slow  # not for long enough yet
    clock.now += 0.5
    encoder.target_bitrate = 400_000
    assert not encoder.slow and encoder.frame_ms == 20
    after = speak(10, 200)
    assert len(after) >= 8 and after[1][1] - after[0][1] == 960


def test_a_new_frame_rate_at_the_same_size_is_read_by_libvpx_without_a_rebuild() -> None:
    """A rung change that keeps the size (320x240@30 -> @20 here, after the ladder's
    hold at the lower budget) keeps libvpx; it must then spend its rate on the new
    rung's frames: with one tick a frame it kept the old rung's share a frame, half
    the budget at 15 fps (and 1.25 x it, dropped by the frame dropper, at 24 -> 30)."""
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
    encoder.target_bitrate = 167_000  # budget 150k: 320x240@30
    run(encoder, clock, 60)
    assert str(encoder.ladder.rung) == "320x240@30"
    encoder.target_bitrate = 111_000  # budget 99.9k: under the 120k floor, not far
    run(encoder, clock, 27, 60)  # libvpx is rebuilt at the lower rate, the rung kept
    assert str(encoder.ladder.rung) == "320x240@30"
    codec, keyframes = encoder.codec, encoder.keyframes
    assert codec is not None and codec.bit_rate <= 100_000
    sizes = run(encoder, clock, 90, 87)  # the hold is over: 320x240@20, the same size
    assert 0.85 * 99_900 <= sum(sizes[30:]) * 8 / 2 <= 1.15 * 99_900
    # ... and the quality scaler does not take it for a rung too big (240x180@15)
    assert str(encoder.ladder.rungs[max(encoder.ladder.index or 0, encoder.quality.cap)]) \
        == "320x240@20"
    assert (encoder.codec, encoder.keyframes) == (codec, keyframes)  # no rebuild


def test_a_budget_that_falls_a_little_reaches_libvpx_and_a_wobble_does_not() -> None:
    """libvpx cannot change its rate in place, so each change is a rebuild (a keyframe).
    A budget 15 % under libvpx's rate that was left to it made the frame dropper drop the
    excess for as long as it lasted (12 % of the frames); a REMB's wobble must not cost
    a keyframe either."""
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
    encoder.target_bitrate = 160_000  # budget 144k: 320x240@30
    run(encoder, clock, 60)
    assert encoder.codec is not None
    rate, keyframes = encoder.codec.bit_rate, encoder.keyframes
    for i, frame in enumerate(frames(90, 60)):  # +-6 % every frame, for 3 s
        encoder.target_bitrate = 150_000 if i % 2 else 170_000
        encoder.encode(frame)
        clock.now += 1 / 30
    assert (encoder.codec.bit_rate, encoder.keyframes) == (rate, keyframes)
    encoder.target_bitrate = 136_000  # budget 122k, 0.85 x libvpx's rate
    run(encoder, clock, 90, 150)
    assert encoder.codec.bit_rate <= 123_000
    assert encoder.keyframes == keyframes + 1  # one rebuild


def test_the_quality_scaler_does_not_judge_a_rung_held_under_its_floor() -> None:
    """The ladder keeps a rung through a brief dip under its floor (ladder.DOWN_HOLD);
    the quantiser is then the budget's, and a quality cap, which only a very low
    quantiser lifts again, would have held the rung down for the rest of the call."""
    def sawing(dips: bool) -> tuple[str, str]:
        clock = Clock()
        encoder = ParleyVp8Encoder(clock=clock, ramp=False)  # past the start
        encoder.target_bitrate = 300_000  # budget 270k: 480x360@30, near its floor
        for i, frame in enumerate(frames(180)):  # noise: a quantiser near the ceiling
            if dips and i >= 30:  # 0.9 s a little under the floor (238.5k), 0.1 s over
                encoder.target_bitrate = 300_000 if i % 30 >= 27 else 265_000
            encoder.encode(frame)
            clock.now += 1 / 30
        return str(encoder.ladder.rung), str(encoder.ladder.rungs[encoder.quality.cap])

    assert sawing(dips=True) == ("480x360@30", "480x360@30")  # held, and not judged
    assert sawing(dips=False)[1] != "480x360@30"  # judged over its floor: noise is capped


def test_a_collapsed_estimate_pauses_though_the_encoder_puts_out_less_than_it() -> None:
    # a 90 kbit/s link: the estimate fell to 20k while the last rung's frames were being
    # dropped for it; what the encoder put out was under the estimate, but held there by
    # the budget, not the content's choice: video pauses (the tile's notice), it does not
    # go on at the floor's rate
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)
    rungs: list[object] = []
    encoder.on_rung = rungs.append
    encoder.target_bitrate = 60_000  # the last rung's budget (54k)
    run(encoder, clock, 90)
    assert encoder.ladder.rung == RUNGS[-1]
    encoder.target_bitrate = 20_000
    run(encoder, clock, int((PAUSE_AFTER + 1) * 30), 90)
    assert rungs[-1] is None
    assert sum(run(encoder, clock, 30, 200)) == 0


def test_a_still_picture_under_its_estimate_keeps_its_rung() -> None:
    # a still picture puts out far less than its estimate; an estimate that then falls
    # below the rung's floor (aiortc's REMB follows what arrives) is no sign of a slow
    # link, and the rung is kept
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock, ramp=False)
    encoder.target_bitrate = 110_000  # 320x240@15's budget (99k)
    grey = np.full((480, 640, 3), 128, dtype=np.uint8)
    still = []
    for i in range(int((PAUSE_AFTER + 4) * 30)):
        frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
        frame.pts, frame.time_base = i * 3000, VIDEO_TB
        still.append(frame)
    for frame in still[:90]:
        encoder.encode(frame)
        clock.now += 1 / 30
    kept = encoder.ladder.rung
    assert kept is not None
    encoder.target_bitrate = 45_000  # under the last rung's floor, well over the output
    sent = []
    for frame in still[90:]:
        sent.append(sum(len(p) for p in encoder.encode(frame)[0]))
        clock.now += 1 / 30
    assert encoder.ladder.rung == kept and sum(1 for size in sent if size) >= 15 * 2
