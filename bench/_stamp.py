"""The frame stamp of bench/links.py's clip: each frame's number in large black and white
blocks in its top-left corner, which both stacks' receivers read back (glass-to-glass).

The stamp is :data:`ROWS` x :data:`COLS` cells, each 1/20 of the picture's width and
1/15 of its height (32 x 32 pixels at 640x480, 8 x 8 at 160x120), so it is found at the
same place at every size either stack scales the video to. A cell is black (bit 0) or
white (bit 1); the 20 bits are the frame number (:data:`NUMBER_BITS`) and a check of it
(the low :data:`CHECK_BITS` of its CRC-32), so a stamp that VP8 smeared is refused
rather than misread (1 in 1024 of the damaged ones pass by chance). A reader looks only
at the middle half of each cell, away from the blur at its edges.

- :func:`draw` writes the stamp into a yuv420p frame's planes (the clip is made with it);
- :func:`read` reads it from a decoded frame's luma (Parley's ends);
- :data:`READER_JS` is the same reader for a browser page (the Chromium pair), which
  hands the raw bits back for :func:`number` to check.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

ROWS, COLS = 2, 10
X_CELLS, Y_CELLS = 20, 15
"""A cell is 1/X_CELLS of the width and 1/Y_CELLS of the height."""
NUMBER_BITS, CHECK_BITS = 10, 10
BLACK, WHITE = 16, 235
"""Luma of a 0 cell and a 1 cell (video range)."""
SAMPLE = 8
"""Pixels a cell is scaled to by the browser reader (it averages the middle 4 x 4)."""


def _check(number: int) -> int:
    return zlib.crc32(number.to_bytes(2, "big")) & ((1 << CHECK_BITS) - 1)


def bits(number: int) -> int:
    """The stamp's 20 bits for a frame number (0 .. 1023)."""
    if not 0 <= number < 1 << NUMBER_BITS:
        raise ValueError(f"frame number {number} does not fit the stamp")
    return number << CHECK_BITS | _check(number)


def number(raw: int) -> int | None:
    """The frame number in a stamp's raw bits, or None when its check fails."""
    value, check = raw >> CHECK_BITS, raw & ((1 << CHECK_BITS) - 1)
    if raw < 0 or value >= 1 << NUMBER_BITS or _check(value) != check:
        return None
    return value


def _cells(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of each cell, most significant bit first."""
    out = []
    for i in range(ROWS * COLS):
        row, col = divmod(i, COLS)
        out.append((col * width // X_CELLS, row * height // Y_CELLS,
                    (col + 1) * width // X_CELLS, (row + 1) * height // Y_CELLS))
    return out


def draw(planes: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8],
                       npt.NDArray[np.uint8]], frame_number: int) -> None:
    """Stamp ``frame_number`` into a yuv420p picture's (Y, U, V) planes, in place."""
    luma, u, v = planes
    height, width = luma.shape
    raw = bits(frame_number)
    for i, (x0, y0, x1, y1) in enumerate(_cells(width, height)):
        on = raw >> (ROWS * COLS - 1 - i) & 1
        luma[y0:y1, x0:x1] = WHITE if on else BLACK
        u[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = 128
        v[y0 // 2:(y1 + 1) // 2, x0 // 2:(x1 + 1) // 2] = 128


def read_bits(luma: npt.NDArray[np.uint8]) -> int:
    """The raw bits of the stamp in a picture's luma (any size)."""
    height, width = luma.shape
    raw = 0
    for x0, y0, x1, y1 in _cells(width, height):
        w, h = x1 - x0, y1 - y0
        middle = luma[y0 + h // 4:y1 - h // 4, x0 + w // 4:x1 - w // 4]
        raw = raw << 1 | int(float(middle.mean()) > (BLACK + WHITE) / 2)
    return raw


def read(luma: npt.NDArray[np.uint8]) -> int | None:
    """The frame number stamped in a picture's luma, or None when unreadable."""
    height, width = luma.shape
    if width < X_CELLS * 4 or height < Y_CELLS * 4:
        return None
    return number(read_bits(luma))


READER_JS = f"""
// bench/_stamp.py's reader: the raw bits of the stamp in a <video>'s current frame
const stampCanvas = new OffscreenCanvas({COLS * SAMPLE}, {ROWS * SAMPLE});
const stampContext = stampCanvas.getContext("2d", {{willReadFrequently: true}});
function readStamp(video) {{
  const w = video.videoWidth, h = video.videoHeight;
  if (!w || !h) return -1;
  stampContext.drawImage(video, 0, 0, w * {COLS} / {X_CELLS}, h * {ROWS} / {Y_CELLS},
                         0, 0, {COLS * SAMPLE}, {ROWS * SAMPLE});
  const px = stampContext.getImageData(0, 0, {COLS * SAMPLE}, {ROWS * SAMPLE}).data;
  let raw = 0;
  for (let row = 0; row < {ROWS}; row++) {{
    for (let col = 0; col < {COLS}; col++) {{
      let sum = 0;
      for (let y = {SAMPLE // 4}; y < {SAMPLE - SAMPLE // 4}; y++) {{
        for (let x = {SAMPLE // 4}; x < {SAMPLE - SAMPLE // 4}; x++) {{
          const at = 4 * ((row * {SAMPLE} + y) * {COLS * SAMPLE} + col * {SAMPLE} + x);
          sum += px[at] + px[at + 1] + px[at + 2];
        }}
      }}
      raw = raw * 2 + (sum / ({(SAMPLE // 2) ** 2} * 3) > 128 ? 1 : 0);
    }}
  }}
  return raw;
}}
"""
