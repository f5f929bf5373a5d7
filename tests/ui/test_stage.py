"""The stage as the model changes it: the 1:1 self view, side by side, pin, speaker view,
network quality from session.stats(), and your own screen share (picker, bar, border)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from parley.ui.banners import SHARING_TEXT
from parley.ui.share_picker import SharePicker
from tests.qt.support import App, Bots, Servers, run


def test_a_one_to_one_call_floats_you_and_the_switch_puts_you_side_by_side(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    grid, controls = app.window.call_view.grid, app.window.call_view.controls
    assert grid.mode() == "grid"  # alone: your own tile fills the stage
    bot = bots.join(server.url)
    them = bot.local_participant.id
    qtbot.waitUntil(lambda: grid.mode() == "floating", timeout=5000)
    own = app.own_tile()
    assert own.is_floating() and own.geometry().width() < grid.width() / 3
    assert grid.tile(them).geometry().width() > grid.width() * 0.9
    controls.floating_action.trigger()  # "Floating self view in 1:1 calls" off: the grid
    assert grid.mode() == "grid" and not own.is_floating()
    left, right = grid.tiles()
    assert left.geometry().top() == right.geometry().top()  # side by side
    app.window.call_view.toggle_panel()  # narrower stage: still side by side
    qtbot.waitUntil(lambda: grid.width() < 800, timeout=2000)
    left, right = grid.tiles()
    assert left.geometry().top() == right.geometry().top()
    assert left.geometry().right() < right.geometry().left()


def test_pin_and_speaker_view_with_real_participants(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    grid, controls = app.window.call_view.grid, app.window.call_view.controls
    grace, alan = bots.join(server.url), bots.join(server.url, name="Alan Turing")
    qtbot.waitUntil(lambda: len(grid.tiles()) == 3, timeout=5000)
    controls.view_actions["speaker"].trigger()
    assert grid.stage_id() == grace.local_participant.id  # nobody spoke: the first other
    tile = grid.tile(alan.local_participant.id)
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)  # the keyboard pins the focused tile
    assert grid.pinned_id() == alan.local_participant.id == grid.stage_id()
    assert grid.tiles()[0] is tile and "pinned" in tile.accessibleDescription()
    run(qtbot, alan.leave_session())  # the pinned one leaves: the pin goes with them
    qtbot.waitUntil(lambda: grid.pinned_id() == "" and len(grid.tiles()) == 2, timeout=5000)
    assert grid.stage_id() == grace.local_participant.id  # speaker view still
    controls.view_actions["grid"].trigger()
    assert grid.mode() == "floating"  # two people again, no stage: the 1:1 view


@pytest.mark.slow
def test_network_quality_from_the_session_stats_with_the_numbers_in_the_tooltip(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, media=True, fake_media=True)
    app.join_by_typing()
    bot = bots.join(server.url, media=True, fake_media=True)
    them = bot.local_participant.id
    grid = app.window.call_view.grid
    qtbot.waitUntil(lambda: grid.tile(them) is not None and grid.tile(them).quality() == "good"
                    and "fps" in grid.tile(them).toolTip(), timeout=20000)
    tip = grid.tile(them).toolTip()
    assert "Network: good — RTT" in tip and "loss 0.0 %" in tip and "fps" in tip
    stats = app.session.stats()[them]
    assert stats.state == "connected" and stats.fps > 20
    assert app.own_tile().quality() == ""  # none for yourself
    bot.pause_video()  # a paused camera sends 5 fps of black: not graded as poor
    qtbot.waitUntil(lambda: "fps" not in grid.tile(them).toolTip(), timeout=10000)
    assert grid.tile(them).quality() == "good"


def test_share_your_screen_from_the_picker_with_the_bar_and_the_border(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, media=True, fake_media=True)
    app.join_by_typing()
    bots.join(server.url)
    call = app.window.call_view
    qtbot.mouseClick(call.controls.button("share"), Qt.MouseButton.LeftButton)
    picker = app.window.dialog
    assert isinstance(picker, SharePicker) and picker.isVisible()
    assert picker.titles()[0] == "Entire screen" and picker.thumbnails_shown() >= 1
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)  # the first choice, from the keyboard
    qtbot.waitUntil(lambda: app.session.screen_sharing, timeout=10000)
    bar = call.sharing_bar
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    assert bar.label.text() == SHARING_TEXT and bar.detail.text() == "— Entire screen"
    own = app.own_tile()
    assert own.shows_sharing_border() and "presenting" in own.badges()
    # No mirror of a mirror: your own tile shows your camera, the stage is not yours.
    local = app.session.local_participant.id
    assert app.controller.video.shown_track(local) == "camera"
    assert call.grid.stage_id() != local
    qtbot.mouseClick(bar.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not app.session.screen_sharing and not bar.isVisible(),
                    timeout=5000)
    assert not own.shows_sharing_border()


def test_a_cancelled_picker_shares_nothing(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    app = make_app(servers.start().url, media=True, fake_media=True)
    app.join_by_typing()
    qtbot.mouseClick(app.window.call_view.controls.button("share"), Qt.MouseButton.LeftButton)
    picker = app.window.dialog
    assert isinstance(picker, SharePicker)
    qtbot.keyClick(picker, Qt.Key.Key_Escape)
    assert app.window.dialog is None and not app.session.screen_sharing
