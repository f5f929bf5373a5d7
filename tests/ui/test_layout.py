import itertools

import pytest
from PySide6.QtCore import QRect

from parley.ui.layout import SPACING, grid_rects, grid_shape, spotlight_rects

AREA = QRect(0, 0, 1280, 720)


@pytest.mark.parametrize("count,cols,rows", [(1, 1, 1), (2, 2, 1), (3, 2, 2), (4, 2, 2),
                                             (5, 3, 2), (9, 3, 3), (16, 4, 4)])
def test_grid_shape_in_a_wide_window(count: int, cols: int, rows: int) -> None:
    assert grid_shape(count, AREA.width(), AREA.height())[:2] == (cols, rows)


def test_two_people_stack_in_a_tall_window() -> None:
    assert grid_shape(2, 600, 900)[:2] == (1, 2)


def test_two_people_sit_side_by_side_in_any_landscape_window() -> None:
    # 740x556 (a 1024-wide window with a side panel): 16:9 tiles would stack; taller
    # tiles side by side are bigger, as in Meet.
    cols, rows, w, h = grid_shape(2, 740, 556)
    assert (cols, rows) == (2, 1) and w == (740 - SPACING) // 2 and h == w
    rects = grid_rects(2, QRect(0, 0, 740, 556))
    assert rects[0].top() == rects[1].top() and not rects[0].intersects(rects[1])


@pytest.mark.parametrize("count", range(1, 17))
def test_tiles_are_equal_16_9_inside_and_apart(count: int) -> None:
    rects = grid_rects(count, AREA)
    assert len(rects) == count
    w, h = rects[0].width(), rects[0].height()
    assert abs(w / h - 16 / 9) < 0.02
    for r in rects:
        assert (r.width(), r.height()) == (w, h)
        assert AREA.contains(r)
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b)


def test_five_tiles_centre_the_short_last_row() -> None:
    rects = grid_rects(5, AREA)
    top, bottom = rects[:3], rects[3:]
    assert len({r.top() for r in top}) == 1 and len({r.top() for r in bottom}) == 1
    left_gap = bottom[0].left() - AREA.left()
    right_gap = AREA.right() - bottom[-1].right()
    assert abs(left_gap - right_gap) <= 1
    assert bottom[1].left() - bottom[0].right() - 1 == SPACING


def test_spotlight_gives_the_presenter_the_stage() -> None:
    rects = spotlight_rects(4, AREA)
    main, thumbs = rects[0], rects[1:]
    assert main.width() > AREA.width() * 0.75 and main.height() == AREA.height()
    for t in thumbs:
        assert t.left() > main.right() and AREA.contains(t)
        assert t.width() < main.width() / 3
    assert spotlight_rects(1, AREA) == [AREA]
