"""The switchable track hands senders frames an encoder does not take for keyframe requests."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from aiortc.codecs.h264 import H264Encoder
from av.video.frame import PictureType

from parley.media.clip import ClipTrack
from parley.media.switch import SwitchableTrack


def _moving_clip(path: Path, frames: int) -> Path:
    texture = np.random.default_rng(1).integers(0, 255, (240, 360, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for n in range(frames):
            image = np.ascontiguousarray(texture[:, n:n + 320])  # a slow pan
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")
                                  .reformat(format="yuv420p")))
        out.mux(stream.encode())
    return path


def _nal_types(payloads: list[bytes]) -> set[int]:
    """The H.264 NAL unit types in RTP payloads (single, STAP-A and FU-A starts)."""
    types = set()
    for payload in payloads:
        kind = payload[0] & 0x1F
        if kind == 24:  # STAP-A: 16-bit sizes, each followed by a NAL unit
            i = 1
            while i + 2 < len(payload):
                size = int.from_bytes(payload[i:i + 2], "big")
                types.add(payload[i + 2] & 0x1F)
                i += 2 + size
        elif kind == 28:  # FU-A: the type is in the FU header of the first fragment
            if payload[1] & 0x80:
                types.add(payload[1] & 0x1F)
        else:
            types.add(kind)
    return types


async def test_decoded_frames_reach_an_h264_sender_unmarked(tmp_path: Path) -> None:
    clip = ClipTrack(str(_moving_clip(tmp_path / "pan.y4m", 30)), fps=200)
    first = await clip.recv()
    assert first.pict_type == PictureType.I  # what the decoder hands over
    track = SwitchableTrack("video", "camera")
    track.set_source(clip)
    reader = track.subscribe()
    encoder = H264Encoder()
    keyframes = 0
    try:
        for _ in range(30):
            frame = await reader.recv()
            assert isinstance(frame, av.VideoFrame)
            assert frame.pict_type == PictureType.NONE
            payloads, _ = encoder.encode(frame)
            keyframes += 5 in _nal_types(payloads)  # IDR slice
    finally:
        reader.stop()
        await track.stop()
    assert 1 <= keyframes <= 2  # the first frame (x264 may add one), not every frame
