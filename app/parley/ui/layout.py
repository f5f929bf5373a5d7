"""Where the video tiles go: a re-flowing grid, and a spotlight for a shared screen.

Pure geometry on QRect, so it is tested without building any widget.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect

ASPECT = 16 / 9
SPACING = 8


def grid_shape(count: int, width: int, height: int,
               spacing: int = SPACING, aspect: float = ASPECT) -> tuple[int, int, int, int]:
    """(columns, rows, tile width, tile height) that make ``count`` tiles largest.

    Every column count is tried; the one giving the biggest 16:9 tile wins. Two people
    always sit side by side in a landscape area, as Meet does: where two 16:9 tiles side
    by side would be smaller than stacked ones, the tiles grow taller (up to square).
    """
    if count <= 0 or width <= 0 or height <= 0:
        return 0, 0, 0, 0
    best = (1, count, 0, 0)
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        cell_w = (width - (cols - 1) * spacing) / cols
        cell_h = (height - (rows - 1) * spacing) / rows
        tile_w = min(cell_w, cell_h * aspect)
        if tile_w > best[2]:
            best = (cols, rows, int(tile_w), int(tile_w / aspect))
    if count == 2 and width >= height and best[0] == 1:
        cell_w = (width - spacing) // 2
        best = (2, 1, cell_w, min(height, cell_w))
    return best


def grid_rects(count: int, area: QRect, spacing: int = SPACING,
               aspect: float = ASPECT) -> list[QRect]:
    """The rectangles of ``count`` equal tiles, centred in ``area``, rows filled in order.

    A last row with fewer tiles is centred horizontally.
    """
    cols, rows, tile_w, tile_h = grid_shape(count, area.width(), area.height(), spacing, aspect)
    if cols == 0 or tile_w <= 0:
        return [QRect() for _ in range(count)]
    block_h = rows * tile_h + (rows - 1) * spacing
    top = area.top() + (area.height() - block_h) // 2
    rects: list[QRect] = []
    for row in range(rows):
        in_row = min(cols, count - row * cols)
        row_w = in_row * tile_w + (in_row - 1) * spacing
        left = area.left() + (area.width() - row_w) // 2
        y = top + row * (tile_h + spacing)
        for col in range(in_row):
            rects.append(QRect(left + col * (tile_w + spacing), y, tile_w, tile_h))
    return rects


def spotlight_rects(count: int, area: QRect, spacing: int = SPACING,
                    aspect: float = ASPECT) -> list[QRect]:
    """The first tile (the shared screen) large, the others as a strip on the right.

    The strip takes at most a fifth of the width (and at most 240 px); thumbnails
    shrink when there are more of them than fit its height.
    """
    if count <= 1:
        return [QRect(area)] if count == 1 else []
    others = count - 1
    strip_w = min(240, area.width() // 5)
    thumb_h = min(int(strip_w / aspect), (area.height() - (others - 1) * spacing) // others)
    thumb_w = int(thumb_h * aspect)
    main = QRect(area.left(), area.top(), area.width() - strip_w - spacing, area.height())
    strip_left = main.right() + 1 + spacing + (strip_w - thumb_w) // 2
    block_h = others * thumb_h + (others - 1) * spacing
    top = area.top() + (area.height() - block_h) // 2
    thumbs = [
        QRect(strip_left, top + i * (thumb_h + spacing), thumb_w, thumb_h) for i in range(others)
    ]
    return [main, *thumbs]


def pip_rect(area: QRect, corner: str = "bottom-right", fraction: float = 0.22,
             margin: int = 16, aspect: float = ASPECT) -> QRect:
    """The floating self-view of a 1:1 call: a small 16:9 tile in one corner of ``area``
    (``corner`` is "top-left", "top-right", "bottom-left" or "bottom-right")."""
    width = max(96, min(320, int(area.width() * fraction)))
    height = int(width / aspect)
    left = area.left() + margin if "left" in corner else area.right() - margin - width + 1
    top = area.top() + margin if corner.startswith("top") else area.bottom() - margin - height + 1
    return QRect(left, top, width, height)


def nearest_corner(area: QRect, x: int, y: int) -> str:
    """The corner of ``area`` nearest to the point (where a dragged self-view snaps)."""
    vertical = "top" if y < area.center().y() else "bottom"
    horizontal = "left" if x < area.center().x() else "right"
    return f"{vertical}-{horizontal}"
