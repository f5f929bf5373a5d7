"""What Parley's VP8 sender puts out against its budget, offline (issue 13).

    python -m bench vp8_rate          # ~2 minutes on one core
    PARLEY_BENCH_VP8=sender python -m bench vp8_rate     # one part: sender | options

The hard clip of bench/links.py (:func:`bench._clip.clip`: testsrc2 with temporal
noise, 640x480@30), decoded by PyAV as a camera's frames are (each marked an I
picture), on a fake clock:

- ``sender``: through :class:`~parley.media.encoder.ParleyVp8Encoder` (ladder, frame
  dropper, quality scaler) at fixed estimates for 20 s, a keyframe request every 2 s:
  the output rate over the whole run and the worst 1 s window against the budget
  (0.9 x the estimate), frames sent a second, dropped frames, the rung at the end;
- ``options``: libvpx alone (:func:`~parley.media.libvpx.vp8_context`, the picture
  type cleared) at 640x480@30 / 1.35 Mbit/s and 320x240@15 / 200 kbit/s, 5 s, a
  keyframe a second, with one option changed at a time: the mean and the worst
  333 ms against the target, drops, the mean quantiser, a keyframe's size in frames,
  CPU ms a frame.
"""

from __future__ import annotations

import fractions
import os
import time
from typing import Any

import av
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from bench._clip import clip
from parley.media.encoder import ParleyVp8Encoder
from parley.media.ladder import video_budget
from parley.media.libvpx import quantiser, vp8_context

PARTS = os.environ.get("PARLEY_BENCH_VP8", "sender,options")
ESTIMATES = (2_000_000, 1_000_000, 600_000, 450_000, 250_000, 150_000)
SECONDS = 20
OPTIONS: dict[str, dict[str, str]] = {
    "as Parley sets them": {},
    "the picture type left as decoded (the fault fixed)": {"picture": "decoded"},
    "bufsize 1000 ms": {"bufsize": "1000"},
    "bufsize 300 ms": {"bufsize": "300"},
    "overshoot-pct 5": {"overshoot-pct": "5"},
    "undershoot-pct 50": {"undershoot-pct": "50"},
    "max-intra-rate off": {"max-intra-rate": "0"},
    "max-intra-rate 150": {"max-intra-rate": "150"},
    "drop-threshold 0": {"drop-threshold": "0"},
    "drop-threshold 60": {"drop-threshold": "60"},
    "static-thresh 0": {"static-thresh": "0"},
    "noise-sensitivity 0": {"noise-sensitivity": "0"},
    "cpu-used -12": {"cpu-used": "-12"},
    "cpu-used -4": {"cpu-used": "-4"},
    "error-resilient": {"error-resilient": "1"},
    "two threads": {"threads": "2"},
}
"""A ``bufsize`` here is in ms of the target; ``threads`` sets the thread count;
``picture`` keeps the decoder's I marks, as the encoder did before it cleared them."""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def frames(count: int) -> list[av.VideoFrame]:
    with av.open(str(clip())) as source:
        out = []
        for frame in source.decode(video=0):
            out.append(frame)
            if len(out) >= count:
                break
    return out


def sender(source: list[av.VideoFrame], estimate: int) -> dict[str, Any]:
    clock = Clock()
    encoder = ParleyVp8Encoder(clock=clock)
    encoder.target_bitrate = estimate
    bits, sent = [], 0
    for i in range(SECONDS * 30):
        frame = source[i % len(source)]
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        packets = encoder.encode_packets(frame, force_keyframe=i % 60 == 59)
        bits.append(sum(packet.size for packet in packets) * 8)
        sent += bool(packets)
        clock.now += 1 / 30
    budget = video_budget(estimate, covers_audio=False)
    worst = max(sum(bits[i:i + 30]) for i in range(len(bits) - 30))
    return {"budget_kbit_s": budget // 1000,
            "out_over_budget": round(sum(bits) / SECONDS / budget, 2),
            "worst_1s_over_budget": round(worst / budget, 2),
            "fps_sent": round(sent / SECONDS, 1), "dropped": encoder.dropped,
            "keyframes": encoder.keyframes, "rung": str(encoder.ladder.rungs[
                max(encoder.ladder.index or 0, encoder.quality.cap)])}


def libvpx(source: list[av.VideoFrame], size: tuple[int, int], fps: int, rate: int,
           change: dict[str, str]) -> dict[str, Any]:
    change = dict(change)
    codec = vp8_context(size[0], size[1], rate, fps)
    codec.thread_count = int(change.pop("threads", "1"))
    decoded = change.pop("picture", "") == "decoded"
    if "bufsize" in change:
        change["bufsize"] = str(rate * int(change["bufsize"]) // 1000)
    codec.options = {**codec.options, **change}
    scaler = VideoReformatter()
    bits, qps, keys = [], [], []
    started = time.process_time()
    count = 5 * fps
    for i in range(count):
        frame = scaler.reformat(source[i * 30 // fps], width=size[0], height=size[1],
                                format="yuv420p")
        frame.pts, frame.time_base = i, fractions.Fraction(1, fps)
        if not decoded:
            frame.pict_type = PictureType.I if i % fps == fps - 1 else PictureType.NONE
        packets = list(codec.encode(frame))
        bits.append(sum(packet.size for packet in packets) * 8)
        qps += [q for q in map(quantiser, packets) if q is not None]
        keys += [packet.size * 8 for packet in packets if packet.is_keyframe]
    window = fps // 3
    worst = max(sum(bits[i:i + window]) for i in range(count - window))
    return {"mean": round(sum(bits) / 5 / rate, 2), "worst_333ms": round(worst * 3 / rate, 2),
            "dropped": sum(1 for b in bits if not b),
            "qp": round(sum(qps) / max(1, len(qps)), 1),
            "keyframe_frames": round(sum(keys) / max(1, len(keys)) / (rate / fps), 1),
            "cpu_ms": round((time.process_time() - started) / count * 1000, 2)}


def main() -> dict[str, Any]:
    source = frames(300)
    results: dict[str, Any] = {}
    if "sender" in PARTS:
        for estimate in ESTIMATES:
            results[f"sender_{estimate // 1000}k"] = sender(source, estimate)
    if "options" in PARTS:
        for size, fps, rate in (((640, 480), 30, 1_350_000), ((320, 240), 15, 200_000)):
            for name, change in OPTIONS.items():
                key = f"libvpx_{size[0]}x{size[1]}_{rate // 1000}k: {name}"
                results[key] = libvpx(source, size, fps, rate, change)
    return results


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
