"""The hard clip both pairs of bench/links.py send, and that bench/vp8_rate.py encodes.

:func:`clip`: testsrc2's moving pattern with temporal noise, 640x480@30, 10 s, each
frame stamped with its number (bench/_stamp.py) in its top-left corner, made with PyAV
once and cached under the temp directory (never in the repository: it is 138 MB). VP8
needs well over 1 Mbit/s for it to look good. It loops (Chromium's
``--use-file-for-fake-video-capture`` and Parley's ``file:`` camera both restart it),
so a frame number comes back every :data:`CLIP_FRAMES` frames.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bench import _stamp

if TYPE_CHECKING:
    import av

CLIP_SIZE, CLIP_FPS, CLIP_SECONDS = (640, 480), 30, 10
CLIP_FRAMES = CLIP_FPS * CLIP_SECONDS
CLIP_NOISE = 20
"""ffmpeg's noise filter strength (0-100), changing every frame: the texture that makes
the clip expensive to encode."""


def clip() -> Path:
    """The cached clip (made on first use, ~10 s)."""
    import av

    w, h = CLIP_SIZE
    folder = Path(tempfile.gettempdir()) / "parley-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"clip-{w}x{h}-{CLIP_FPS}fps-{CLIP_SECONDS}s-n{CLIP_NOISE}-stamped.y4m"
    if path.exists():
        return path
    partial = path.with_suffix(f".{os.getpid()}.part")
    source = av.open(f"testsrc2=size={w}x{h}:rate={CLIP_FPS}:duration={CLIP_SECONDS},"
                     f"noise=alls={CLIP_NOISE}:allf=t", format="lavfi")
    with source, av.open(str(partial), "w", format="yuv4mpegpipe") as out:
        stream = out.add_stream("rawvideo", rate=CLIP_FPS)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for index, frame in enumerate(source.decode(video=0)):
            picture = frame.reformat(format="yuv420p")
            out.mux(stream.encode(stamped(picture, index)))
        out.mux(stream.encode())
    partial.rename(path)
    return path


def stamped(picture: av.VideoFrame, index: int) -> av.VideoFrame:
    """A yuv420p frame with ``index`` stamped into it (bench/_stamp.py)."""
    import av

    w, h = picture.width, picture.height
    planes = np.asarray(picture.to_ndarray(), dtype=np.uint8)  # Y rows, then U's, V's
    u = planes[h:h * 5 // 4].reshape(h // 2, w // 2)
    v = planes[h * 5 // 4:].reshape(h // 2, w // 2)
    _stamp.draw((planes[:h], u, v), index)
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")
