import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from parley.ui.grid import MARGIN, VideoGrid
from parley.ui.layout import grid_rects, spotlight_rects
from tests.qt.support import participant


def _grid(qtbot: QtBot) -> VideoGrid:
    grid = VideoGrid()
    qtbot.addWidget(grid)
    grid.resize(1280, 720)
    grid.show()
    return grid


def _area(grid: VideoGrid):  # type: ignore[no-untyped-def]
    return grid.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)


@pytest.mark.parametrize("count", [1, 2, 5, 16])
def test_grid_reflows_for_n_tiles(qtbot: QtBot, count: int) -> None:
    grid = _grid(qtbot)
    people = [participant(f"p{i}", is_local=i == 0) for i in range(count)]
    grid.set_participants(people)
    tiles = grid.tiles()
    assert [t.participant_id for t in tiles] == [p.id for p in people]
    assert [t.geometry() for t in tiles] == grid_rects(count, _area(grid))
    assert all(t.isVisible() for t in tiles)


def test_joins_leaves_and_resizes_reflow(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True), participant("a")])
    grid.add_participant(participant("b"))
    assert [t.geometry() for t in grid.tiles()] == grid_rects(3, _area(grid))
    grid.remove_participant(participant("a"))
    assert [t.participant_id for t in grid.tiles()] == ["me", "b"]
    grid.resize(600, 900)
    assert [t.geometry() for t in grid.tiles()] == grid_rects(2, _area(grid))
    assert grid.tiles()[0].geometry().top() < grid.tiles()[1].geometry().top()  # stacked


def test_a_shared_screen_takes_the_spotlight_and_gives_it_back(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True), participant("a"),
                           participant("b")])
    grid.update_participant(participant("b", screen_sharing=True))
    assert grid.spotlight_id() == "b"
    assert [t.participant_id for t in grid.tiles()] == ["b", "me", "a"]
    assert [t.geometry() for t in grid.tiles()] == spotlight_rects(3, _area(grid))
    grid.update_participant(participant("b"))
    assert grid.spotlight_id() == ""
    assert [t.geometry() for t in grid.tiles()] == grid_rects(3, _area(grid))


def test_dominant_speaker_and_frames_for_the_unknown(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True), participant("a")])
    grid.set_dominant("a")
    assert [t.is_dominant() for t in grid.tiles()] == [False, True]
    with qtbot.waitSignal(grid.framePainted, timeout=1000) as blocker:
        grid.set_frame("gone", QImage(4, 4, QImage.Format.Format_RGB888))
    assert blocker.args == ["gone"]  # released at once, so the bridge never waits on it


def test_your_own_shared_screen_does_not_take_the_stage(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True, screen_sharing=True),
                           participant("a")])
    assert grid.spotlight_id() == ""
    assert [t.geometry() for t in grid.tiles()] == grid_rects(2, _area(grid))
    assert grid.tiles()[0].badges() == ["presenting"]
