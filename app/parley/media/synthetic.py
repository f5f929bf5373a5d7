"""Synthetic sources: a moving test pattern that carries a frame counter and its
capture time in the picture, and a tone. Both pace themselves on real time.

The pattern's top quarter is a 16 x 4 grid of black/white blocks holding 64 bits:
a 24-bit frame counter, the low 32 bits of the capture time in milliseconds and
an 8-bit CRC. Blocks are tens of pixels wide, so the code survives VP8; a reader
averages the middle of each block and thresholds it.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from parley.media.pacer import Pacer

VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
TONE_AMPLITUDE = 0.3
"""The synthetic tone's peak, of full scale (its RMS is this / sqrt(2))."""

_COLS, _ROWS = 16, 4
_BITS = _COLS * _ROWS
_BLACK, _WHITE = 16, 235
_CRC_XOR = 0xA5  # an all-black (or paused) picture must not decode


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc ^ _CRC_XOR


def _payload(counter: int, capture_ts: float) -> int:
    body = ((counter & 0xFFFFFF) << 32) | (int(capture_ts * 1000) & 0xFFFFFFFF)
    return (body << 8) | _crc8(body.to_bytes(7, "big"))


def _band(width: int, height: int) -> tuple[int, int]:
    """Block width and height of the code grid for a picture size."""
    return width // _COLS, (height // 4) // _ROWS


def draw_pattern(luma: npt.NDArray[np.uint8], counter: int, capture_ts: float) -> None:
    """Write the code for (counter, capture_ts) into the top band of a luma plane."""
    height, width = luma.shape
    bw, bh = _band(width, height)
    value = _payload(counter, capture_ts)
    # the 64 bits, most significant first, each a block of bh x bw
    bits = np.unpackbits(np.frombuffer(value.to_bytes(_BITS // 8, "big"), dtype=np.uint8))
    grid = np.where(bits.reshape(_ROWS, _COLS) == 1, _WHITE, _BLACK).astype(np.uint8)
    luma[: bh * _ROWS, : bw * _COLS] = grid.repeat(bh, axis=0).repeat(bw, axis=1)


def _luma(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    if frame.format.name in ("yuv420p", "yuvj420p", "gray"):
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8)
        return rows.reshape(frame.height, plane.line_size)[:, : frame.width]
    return np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)


def read_pattern(frame: av.VideoFrame, now: float | None = None) -> tuple[int, float] | None:
    """Decode (counter, capture_ts) from a pattern frame, or None when it carries none.

    The capture time is rebuilt from its low 32 bits of milliseconds as the value
    nearest to ``now`` (default: the current time), so it is exact within ±24 days.
    """
    luma = _luma(frame)
    bw, bh = _band(frame.width, frame.height)
    if bw < 4 or bh < 4:
        return None
    band = luma[: bh * _ROWS, : bw * _COLS].astype(np.float32)
    cells = band.reshape(_ROWS, bh, _COLS, bw)
    y0, y1, x0, x1 = bh // 4, bh - bh // 4, bw // 4, bw - bw // 4
    means = cells[:, y0:y1, :, x0:x1].mean(axis=(1, 3))
    value = 0
    for bit in (means.reshape(-1) > (_BLACK + _WHITE) / 2):
        value = (value << 1) | int(bit)
    body, crc = value >> 8, value & 0xFF
    if _crc8(body.to_bytes(7, "big")) != crc:
        return None
    counter, low = body >> 32, body & 0xFFFFFFFF
    now_ms = int((time.time() if now is None else now) * 1000)
    ms = (now_ms & ~0xFFFFFFFF) | low
    ms = min((ms - (1 << 32), ms, ms + (1 << 32)), key=lambda m: abs(m - now_ms))
    return counter, ms / 1000


class PatternTrack(MediaStreamTrack):
    """A moving test pattern (yuv420p) with its frame counter and capture time."""

    kind = "video"

    def __init__(self, size: tuple[int, int] = (640, 480), fps: int = 30,
                 hue: int = 0) -> None:
        super().__init__()
        self.width, self.height = size
        self.counter = 0
        self._pacer = Pacer(1 / fps)
        self._start = time.time()
        w, h = self.width, self.height
        # a grey ramp below the code band, tinted per participant (hue)
        ramp = np.linspace(40, 200, w, dtype=np.float32)
        self._ramp = np.broadcast_to(ramp.astype(np.uint8), (h, w))
        angle = 2 * math.pi * (hue % 360) / 360
        self._u = int(128 + 40 * math.cos(angle))
        self._v = int(128 + 40 * math.sin(angle))

    async def recv(self) -> av.VideoFrame:
        await self._pacer.wait()
        w, h = self.width, self.height
        # drawn straight into the frame's planes: no picture-sized buffer copied into it
        frame = av.VideoFrame(w, h, "yuv420p")
        luma = _plane(frame, 0, h, w)
        luma[:] = self._ramp
        bar = (self.counter * max(2, w // 90)) % w
        luma[h // 4 :, bar : bar + max(4, w // 32)] = _WHITE
        _plane(frame, 1, (h + 1) // 2, (w + 1) // 2)[:] = self._u
        _plane(frame, 2, (h + 1) // 2, (w + 1) // 2)[:] = self._v
        capture_ts = time.time()
        draw_pattern(luma, self.counter, capture_ts)
        frame.pts = int((capture_ts - self._start) * 90000)
        frame.time_base = VIDEO_TIME_BASE
        self.counter += 1
        return frame


def _plane(frame: av.VideoFrame, index: int, rows: int, width: int) -> npt.NDArray[np.uint8]:
    """A writable view of one of ``frame``'s planes, ``rows`` x ``width`` (its padding
    past each row's end left out)."""
    plane = frame.planes[index]
    data = np.frombuffer(memoryview(plane), dtype=np.uint8)
    return data[: rows * plane.line_size].reshape(rows, plane.line_size)[:, :width]


class ToneTrack(MediaStreamTrack):
    """A sine tone, 48 kHz mono s16, 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = TONE_AMPLITUDE) -> None:
        super().__init__()
        self.frequency = frequency
        self._amplitude = amplitude
        self._pacer = Pacer(AUDIO_SAMPLES / AUDIO_RATE)
        self._samples = 0

    async def recv(self) -> av.AudioFrame:
        await self._pacer.wait()
        t = (np.arange(AUDIO_SAMPLES) + self._samples) / AUDIO_RATE
        wave = np.sin(2 * np.pi * self.frequency * t) * (self._amplitude * 32767)
        frame = audio_frame(wave.astype(np.int16), self._samples)
        self._samples += AUDIO_SAMPLES
        return frame


def audio_frame(samples: npt.NDArray[np.int16], pts: int) -> av.AudioFrame:
    """A 48 kHz mono s16 frame of the given samples."""
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples))
    frame.planes[0].update(samples.tobytes())
    frame.sample_rate = AUDIO_RATE
    frame.pts = pts
    frame.time_base = AUDIO_TIME_BASE
    return frame


def sender_frame(frame: av.AudioFrame) -> av.AudioFrame:
    """``frame`` (s16, mono or stereo) as the senders take it: s16 stereo, both channels
    equal, so the level is what it was. aiortc's Opus encoder upmixes a mono frame to
    stereo at -3 dB a channel (swresample's centre mix level) and a decoded frame's two
    equal channels average back to that, so every hop lost 3 dB; a stereo frame goes
    through its resampler untouched."""
    if frame.layout.name == "stereo":
        return frame
    mono = frame.to_ndarray().reshape(-1)
    stereo = av.AudioFrame(format="s16", layout="stereo", samples=frame.samples)
    stereo.planes[0].update(np.repeat(mono, 2).tobytes())
    stereo.sample_rate = frame.sample_rate
    stereo.pts = frame.pts
    stereo.time_base = frame.time_base
    return stereo


def black_frame(width: int = 160, height: int = 120) -> av.VideoFrame:
    """A small black yuv420p frame (what a paused camera sends)."""
    buf = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    buf[:height] = _BLACK
    return av.VideoFrame.from_ndarray(buf, format="yuv420p")
