import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from parley.ui.grid import MARGIN, Layout, VideoGrid
from parley.ui.layout import grid_rects, pip_rect, spotlight_rects
from tests.qt.support import participant


def _grid(qtbot: QtBot, floating_self: bool = False) -> VideoGrid:
    grid = VideoGrid()
    qtbot.addWidget(grid)
    grid.set_floating_self(floating_self)  # the geometry of the plain grid (1:1 below)
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


def test_a_one_to_one_call_floats_your_self_view_and_it_snaps_to_a_corner(
        qtbot: QtBot) -> None:
    grid = _grid(qtbot, floating_self=True)
    grid.set_participants([participant("me", is_local=True), participant("a")])
    me, them = grid.tile("me"), grid.tile("a")
    assert me is not None and them is not None
    assert grid.mode() == "floating" and me.is_floating() and not them.is_floating()
    assert them.geometry() == _area(grid)
    assert me.geometry() == pip_rect(_area(grid), "bottom-right")
    me.dragged.emit("me", -(me.geometry().topLeft() - _area(grid).topLeft()))
    me.dropped.emit("me")
    assert grid.self_view_corner() == "top-left"
    assert me.geometry() == pip_rect(_area(grid), "top-left")
    grid.add_participant(participant("b"))  # a third person: back to the grid
    assert grid.mode() == "grid" and not me.is_floating()
    grid.remove_participant(participant("b"))
    grid.set_floating_self(False)  # the switch to the grid
    assert grid.mode() == "grid"
    assert [t.geometry() for t in grid.tiles()] == grid_rects(2, _area(grid))


def test_pin_puts_anyone_on_the_stage_until_unpinned(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True), participant("a"),
                           participant("b", screen_sharing=True)])
    assert grid.stage_id() == "b"  # the presenter
    tile = grid.tile("a")
    assert tile is not None
    with qtbot.waitSignal(tile.pinRequested, timeout=1000):
        tile.menu().actions()[0].trigger()  # "Pin to stage"
    assert grid.pinned_id() == "a" and grid.stage_id() == "a" and tile.is_pinned()
    assert [t.participant_id for t in grid.tiles()] == ["a", "me", "b"]
    assert [t.geometry() for t in grid.tiles()] == spotlight_rects(3, _area(grid))
    assert "pinned" in tile.badges() and tile.menu().actions()[0].text() == "Unpin"
    grid.pin("a")  # again: unpinned
    assert grid.pinned_id() == "" and grid.stage_id() == "b"


def test_speaker_view_gives_the_dominant_speaker_the_stage(qtbot: QtBot) -> None:
    grid = _grid(qtbot)
    grid.set_participants([participant("me", is_local=True), participant("a"),
                           participant("b")])
    grid.set_layout(Layout.SPEAKER)
    assert grid.stage_id() == "a"  # nobody spoke yet: the first of the others
    grid.set_dominant("b")
    assert grid.stage_id() == "b" and grid.tiles()[0].participant_id == "b"
    grid.set_dominant("")  # silence: the last speaker keeps the stage
    grid.set_dominant("me")  # you never take your own stage
    assert grid.stage_id() == "b"
    grid.set_layout(Layout.GRID)
    assert grid.stage_id() == "" and grid.mode() == "grid"
