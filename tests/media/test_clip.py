"""A video file as the camera (``file:<path>``): paced, yuv420p, looped at its end."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from parley.media.clip import ClipTrack, clip_path
from parley.media.devices import DeviceError


def _clip(path: Path, frames: int) -> Path:
    with av.open(str(path), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(frames):
            grey = np.full((48, 64, 3), 40 * n, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(grey, format="rgb24")
                                  .reformat(format="yuv420p")))
        out.mux(stream.encode())
    return path


def test_a_camera_id_names_a_clip_only_with_the_prefix() -> None:
    assert clip_path("file:/tmp/a.y4m") == "/tmp/a.y4m"
    assert clip_path("/dev/video0") is None and clip_path(None) is None


async def test_the_clip_loops_paced_in_yuv420p(tmp_path: Path) -> None:
    track = ClipTrack(str(_clip(tmp_path / "c.y4m", 3)), fps=100)
    frames = [await track.recv() for _ in range(7)]
    track.stop()
    levels = [int(f.to_ndarray()[0, 0]) for f in frames]
    assert levels[:3] == levels[3:6] and levels[6] == levels[0]  # from the start again
    assert len(set(levels[:3])) == 3
    assert all(f.format.name == "yuv420p" and f.width == 64 for f in frames)
    pts = [f.pts for f in frames]
    assert pts == sorted(pts) and pts[-1] > pts[0]


def test_an_unreadable_clip_is_a_camera_error(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="cannot open the clip"):
        ClipTrack(str(tmp_path / "missing.y4m"))
