"""The test pattern carries its counter and capture time, even through VP8."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
import pytest

from parley.media import synthetic
from parley.media.synthetic import (
    AUDIO_RATE,
    PatternTrack,
    ToneTrack,
    black_frame,
    draw_pattern,
    read_pattern,
)


def test_roundtrip_on_a_raw_plane() -> None:
    luma = np.full((240, 320), 100, dtype=np.uint8)
    now = time.time()
    draw_pattern(luma, 123456, now)
    frame = av.VideoFrame.from_ndarray(np.vstack([luma, np.full((120, 320), 128, np.uint8)]),
                                       format="yuv420p")
    counter, ts = read_pattern(frame)  # type: ignore[misc]
    assert counter == 123456
    assert abs(ts - now) < 0.001


def test_capture_time_is_rebuilt_across_the_32_bit_wrap() -> None:
    luma = np.zeros((240, 320), dtype=np.uint8)
    then = 1_700_000_000.0
    draw_pattern(luma, 7, then)
    frame = av.VideoFrame.from_ndarray(np.vstack([luma, np.full((120, 320), 128, np.uint8)]),
                                       format="yuv420p")
    assert read_pattern(frame, now=then + 3600) == (7, then)


@pytest.mark.parametrize("frame", [black_frame(320, 240), black_frame()])
def test_a_black_frame_carries_no_pattern(frame: av.VideoFrame) -> None:
    assert read_pattern(frame) is None


def test_rgb_frames_are_read_too() -> None:
    track = PatternTrack((320, 240), 30)
    frame = asyncio.run(track.recv())
    rgb = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
    assert read_pattern(rgb) is not None


@pytest.mark.parametrize("size,kbps", [((640, 480), 500), ((320, 240), 150)])
async def test_pattern_survives_vp8(size: tuple[int, int], kbps: int) -> None:
    track = PatternTrack(size, fps=30)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height = size
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, 90000)
    encoder.bit_rate = kbps * 1000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    decoder = av.CodecContext.create("libvpx", "r")
    sent: dict[int, float] = {}  # counter -> capture time, read from the frame as sent
    pts: dict[int, int] = {}
    got = []
    for _ in range(15):
        before = time.time()
        frame = await track.recv()
        after = time.time()
        original = read_pattern(frame)
        assert original is not None
        counter, sent[counter] = original
        pts[counter] = frame.pts
        assert before - 0.001 <= sent[counter] <= after + 0.001  # stamped when captured
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                result = read_pattern(decoded)
                if result is not None:
                    got.append(result)
    track.stop()
    assert len(got) >= 13, f"only {len(got)} of {len(sent)} frames decoded"
    assert [c for c, _ in got] == sorted(c for c, _ in got)
    assert all(abs(ts - sent[c]) < 0.0011 for c, ts in got)  # to the millisecond
    # the pts runs on the same clock as the stamped capture time
    assert all(abs((pts[c] - pts[0]) / 90000 - (sent[c] - sent[0])) < 0.0011 for c in sent)


async def test_pattern_is_paced_and_moves() -> None:
    track = PatternTrack((320, 240), fps=30)
    start = time.monotonic()
    frames = [await track.recv() for _ in range(10)]
    elapsed = time.monotonic() - start
    assert elapsed > 0.25  # 9 periods of 33 ms: paced, not as fast as possible
    below = [f.to_ndarray()[120:240].astype(int) for f in (frames[0], frames[-1])]
    assert np.abs(below[0] - below[1]).sum() > 0  # the bar moved


def dominant_hz(samples: np.ndarray, rate: int = AUDIO_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


async def test_tone_is_48k_mono_20ms_at_its_frequency() -> None:
    track = ToneTrack(660.0)
    frames = [await track.recv() for _ in range(10)]
    assert {(f.sample_rate, f.samples, len(f.layout.channels)) for f in frames} == {
        (48000, 960, 1)}
    assert [f.pts for f in frames] == [960 * i for i in range(10)]
    samples = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(float)
    assert abs(dominant_hz(samples) - 660.0) < 10


def _round_eight_picture(size: tuple[int, int], counter: int, capture_ts: float,
                         u: int, v: int) -> npt.NDArray[np.uint8]:
    """The pattern as PatternTrack drew it up to round eight: a yuv420p buffer made a
    frame by ``from_ndarray``, its code band drawn with ``np.kron``."""
    w, h = size
    buf = np.empty((h * 3 // 2, w), dtype=np.uint8)
    luma = buf[:h]
    luma[:] = np.linspace(40, 200, w, dtype=np.float32).astype(np.uint8)
    bar = (counter * max(2, w // 90)) % w
    luma[h // 4 :, bar : bar + max(4, w // 32)] = 235
    buf[h:] = u
    buf[h + h // 4 :] = v
    value = synthetic._payload(counter, capture_ts)
    bits = np.array([(value >> (63 - i)) & 1 for i in range(64)], dtype=np.uint8)
    grid = np.where(bits.reshape(4, 16) == 1, 235, 16).astype(np.uint8)
    bw, bh = w // 16, (h // 4) // 4
    luma[: bh * 4, : bw * 16] = np.kron(grid, np.ones((bh, bw), dtype=np.uint8))
    return np.asarray(av.VideoFrame.from_ndarray(buf, format="yuv420p").to_ndarray())


@pytest.mark.parametrize("size", [(640, 480), (480, 360), (320, 240), (240, 180), (160, 120),
                                  (1280, 720)])
async def test_the_pattern_is_the_same_picture_drawn_in_place(
        size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake camera draws straight into its frames (round nine, for CPU): a viewer
    sees exactly the pictures it showed before, frame after frame, in every tint."""
    for hue in (0, 200):
        track = PatternTrack(size, fps=1000, hue=hue)
        angle = 2 * np.pi * hue / 360
        u, v = int(128 + 40 * np.cos(angle)), int(128 + 40 * np.sin(angle))
        for step in range(3):
            now = 1_764_000_000.123 + 0.0331 * step
            monkeypatch.setattr(synthetic.time, "time", lambda now=now: now)
            frame = await track.recv()
            monkeypatch.undo()
            expected = _round_eight_picture(size, step, now, u, v)
            assert np.array_equal(frame.to_ndarray(), expected), (size, hue, step)
            assert read_pattern(frame, now=now) == (step, round(now * 1000) / 1000) or \
                read_pattern(frame, now=now) == (step, int(now * 1000) / 1000)
