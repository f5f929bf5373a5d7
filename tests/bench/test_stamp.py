"""The frame stamp of bench/links.py's clip (bench/_stamp.py): every frame of the clip
carries its number, and a receiver reads it back even after VP8 at a low rate and the
ladder's smallest size; a damaged stamp is refused, not misread."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest
from av.video.frame import PictureType
from bench._clip import stamped

from bench import _stamp
from parley.media.libvpx import vp8_context


def _clip_frames(count: int) -> list[av.VideoFrame]:
    """The clip's first frames, unstamped: testsrc2 with temporal noise, 640x480."""
    with av.open("testsrc2=size=640x480:rate=30,noise=alls=20:allf=t",
                 format="lavfi") as source:
        frames = []
        for frame in source.decode(video=0):
            frames.append(frame.reformat(format="yuv420p"))
            if len(frames) == count:
                return frames
    raise AssertionError("lavfi gave too few frames")


def test_every_number_survives_its_own_bits() -> None:
    for n in range(1 << _stamp.NUMBER_BITS):
        assert _stamp.number(_stamp.bits(n)) == n
    with pytest.raises(ValueError, match="does not fit"):
        _stamp.bits(1 << _stamp.NUMBER_BITS)


def test_a_stamp_with_a_flipped_cell_is_refused() -> None:
    refused = sum(_stamp.number(_stamp.bits(n) ^ (1 << cell)) is None
                  for n in range(300) for cell in range(_stamp.ROWS * _stamp.COLS))
    assert refused == 300 * _stamp.ROWS * _stamp.COLS


@pytest.mark.parametrize(("size", "bitrate", "fps"), [
    ((160, 120), 30_000, 10),  # below the ladder's lowest rung's rate
    ((320, 240), 100_000, 15),
    ((640, 480), 300_000, 30),
])
def test_the_number_is_read_after_scaling_and_vp8_at_a_low_rate(
        size: tuple[int, int], bitrate: int, fps: int) -> None:
    width, height = size
    encoder = vp8_context(width, height, bitrate, fps)
    decoder = av.CodecContext.create("libvpx", "r")
    read, sent = [], []
    for i, picture in enumerate(_clip_frames(20)):
        number = 137 + 13 * i
        frame = stamped(picture, number).reformat(width=width, height=height)
        frame.pts, frame.time_base = i, fractions.Fraction(1, fps)
        frame.pict_type = PictureType.NONE
        sent.append(number)
        for packet in encoder.encode(frame):
            for decoded in decoder.decode(packet):
                read.append(_stamp.read(decoded.to_ndarray()[:height]))
    assert len(read) >= 5, "the encoder put out frames"
    assert None not in read
    assert set(read) <= set(sent) and read == sorted(read)


def test_a_picture_without_a_stamp_reads_as_none() -> None:
    assert _stamp.read(_clip_frames(1)[0].to_ndarray()[:480]) is None
    assert _stamp.read(np.zeros((60, 80), dtype=np.uint8)) is None  # too small to hold one
