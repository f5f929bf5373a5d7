"""What each unit of a participant's media work costs, measured off line (no pacing, no
network): the CPU of one VP8 encode per layer, one Opus encode, one VP8 and one Opus
decode, with Parley's encoders on the mesh bench's own synthetic media. Per-thread CPU
clocks measure them, so a loaded machine slows them down but hardly changes them:
bench/mesh_cpu.py multiplies them into the encoding and decoding a fully delivered
4-party call needs per captured frame, for each mode.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.codecs.opus import OpusDecoder
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame

from parley.media.encoder import ParleyVp8Encoder
from parley.media.ladder import VIDEO_MAX
from parley.media.layering import LOW_MAX, LOW_RUNGS
from parley.media.opus import ParleyOpusEncoder
from parley.media.synthetic import PatternTrack, ToneTrack, sender_frame


def _cpu(work: Callable[[], Any], runs: int) -> float:
    """Milliseconds of this thread's CPU per call of ``work``."""
    started = time.thread_time()
    for _ in range(runs):
        work()
    return (time.thread_time() - started) * 1000 / runs


async def _media(size: tuple[int, int], fps: int, seconds: float) -> tuple[list[Any], list[Any]]:
    video, audio = PatternTrack(size, fps), ToneTrack(440.0)
    frames = [await video.recv() for _ in range(int(seconds * fps))]
    tones = [sender_frame(await audio.recv()) for _ in range(int(seconds * 50))]
    return frames, tones


def _encode(encoder: ParleyVp8Encoder, frames: list[av.VideoFrame], fps: int,
            clock: list[float]) -> list[av.Packet[Any]]:
    out: list[av.Packet[Any]] = []
    for frame in frames:
        clock[0] += 1 / fps
        out += encoder.encode_packets(frame)
    return out


def unit_costs(size: tuple[int, int], fps: int, seconds: float = 4.0) -> dict[str, Any]:
    """CPU ms per: full-layer encode, low-layer encode (per frame it encodes), Opus
    encode (20 ms), VP8 decode (full layer), Opus decode."""
    frames, tones = asyncio.run(_media(size, fps, seconds))
    clock = [0.0]
    full = ParleyVp8Encoder(lambda: clock[0])
    low = ParleyVp8Encoder(lambda: clock[0], rungs=LOW_RUNGS)
    full.target_bitrate, low.target_bitrate = 2 * VIDEO_MAX, LOW_MAX
    settle = _encode(full, frames[: fps], fps, clock)  # the rate window, the keyframe
    started = time.thread_time()
    packets = _encode(full, frames, fps, clock)
    full_ms = (time.thread_time() - started) * 1000 / max(1, len(frames))
    _encode(low, frames[: fps], fps, clock)
    low_encodes = low.encodes
    started = time.thread_time()
    _encode(low, frames, fps, clock)
    low_ms = (time.thread_time() - started) * 1000 / max(1, low.encodes - low_encodes)
    opus = ParleyOpusEncoder(lambda: clock[0])
    payloads: list[bytes] = []
    opus_ms = _cpu(lambda: payloads.extend(opus.encode(tones[len(payloads) % len(tones)])[0]),
                   len(tones))
    decoder, voice = Vp8Decoder(), OpusDecoder()
    for i, packet in enumerate(settle):  # from the keyframe on
        decoder.decode(JitterFrame(bytes(packet), i))
    queue = iter([JitterFrame(bytes(p), i) for i, p in enumerate(packets)])
    vp8_decode_ms = _cpu(lambda: decoder.decode(next(queue)), len(packets))
    heard = iter([JitterFrame(p, 960 * i) for i, p in enumerate(payloads)])
    opus_decode_ms = _cpu(lambda: voice.decode(next(heard)), len(payloads))
    return {"vp8_encode_full": round(full_ms, 3), "vp8_encode_low": round(low_ms, 3),
            "opus_encode": round(opus_ms, 3), "vp8_decode": round(vp8_decode_ms, 3),
            "opus_decode": round(opus_decode_ms, 3),
            "full_layer": str(full.ladder.rung), "full_kbps": round(
                sum(p.size for p in packets) * 8 / seconds / 1000)}


def full_call(units: dict[str, Any], fps: int, peers: int = 3) -> dict[str, float]:
    """Encoding and decoding ms per participant per captured frame of a fully delivered
    call: per-peer encoders (one VP8 and one Opus encode per peer) against encode-once
    (one of each, all peers on the full layer; ``_with_low``: the low layer as well, at
    its 15 fps, as when one peer's link is weak)."""
    opus_per_frame = 50 / fps  # 20 ms audio frames per video frame
    decode = peers * (units["vp8_decode"] + units["opus_decode"] * opus_per_frame)
    once = units["vp8_encode_full"] + units["opus_encode"] * opus_per_frame
    return {
        "per_peer_sender_side_ms": round(peers * once, 2),
        "once_sender_side_ms": round(once, 2),
        "once_with_low_sender_side_ms": round(once + units["vp8_encode_low"] * 15 / fps, 2),
        "receiver_side_ms": round(decode, 2),
    }
