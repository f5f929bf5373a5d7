"""libvpx through PyAV, as Parley builds it: :func:`vp8_context` (aiortc's settings with
Parley's buffer, dropping and thread count), its clock (:data:`TICKS`), the size a frame
is sent at on a rung (:func:`fit`) and the quantiser FFmpeg reports for a packet
(:func:`quantiser`). :class:`~parley.media.encoder.ParleyVp8Encoder` drives them; the
benches (``bench/vp8_rate.py``) use them to measure libvpx alone."""

from __future__ import annotations

import fractions
from typing import Any

import av

from parley.media.ladder import Rung

TICKS = 120
"""libvpx's clock runs at this many ticks a second, and a frame advances it by one period
of its rung's rate (4 ticks at 30 fps, 5 at 24, 8 at 15): a change of rate at one size
(320x240@30 -> @24 -> @20 -> @15, 480x360@30 -> @24) needs no rebuild (a keyframe), libvpx
reads the new rate from the timestamps. With one tick a frame, a libvpx built at 24 fps
kept its 24 fps share a frame at 30 fps (1.25x its rate, the excess dropped) and one
built at 30 fps half its share at 15 fps (round nine)."""


def fit(width: int, height: int, rung: Rung) -> tuple[int, int]:
    """The size a ``width`` x ``height`` frame is sent at on ``rung``: scaled down (never
    up) to fit the rung's box, aspect kept, even."""
    scale = min(1.0, rung.width / width, rung.height / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def quantiser(packet: av.Packet[Any]) -> int | None:
    """The quantiser (libvpx's 0-63 scale) FFmpeg reports for an encoded ``packet``;
    None where this PyAV cannot read packet side data (older versions)."""
    has = getattr(packet, "has_sidedata", None)
    if has is None or not has("quality_stats"):
        return None
    stats = bytes(packet.get_sidedata("quality_stats"))
    # AVPacketSideData QUALITY_STATS: a little-endian uint32 in FFmpeg's lambda units
    return int.from_bytes(stats[:4], "little") // QP2LAMBDA if len(stats) >= 4 else None


QP2LAMBDA = 118
"""FFmpeg's FF_QP2LAMBDA: the quality in its stats is the quantiser times this."""


def vp8_context(width: int, height: int, bitrate: int, fps: int) -> Any:
    """A libvpx encoder as aiortc configures one (its comments apply), with a 500 ms
    rate-control buffer, frame dropping when the buffer runs dry, one thread."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = width, height
    codec.bit_rate = bitrate
    codec.pix_fmt = "yuv420p"
    codec.framerate = fractions.Fraction(fps, 1)
    codec.time_base = fractions.Fraction(1, TICKS)
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        "bufsize": str(bitrate // 2),  # rc_buf_sz = bufsize * 1000 / bit_rate = 500 ms
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
        "max-intra-rate": "300",  # a keyframe may take at most 3 frames' share
        "drop-threshold": "30",
    }
    codec.thread_count = 1
    return codec
