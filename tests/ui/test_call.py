"""The call screen driven by a real SessionController's signals (no network needed)."""

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from parley.qt.controller import SessionController
from parley.qt.resources import IconSet, Theme
from parley.sdk import CallSession
from parley.ui.call import CallView, format_duration
from parley.ui.overlay import RECONNECTING_TEXT
from tests.qt.support import participant, run


@pytest.fixture
def view(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> tuple[CallView, SessionController]:
    controller = SessionController(CallSession())
    call = CallView(IconSet.for_theme(Theme.LIGHT))
    call.bind(controller)
    qtbot.addWidget(call)
    call.resize(1024, 700)
    call.show()
    return call, controller


def test_overlay_covers_the_call_and_disables_all_but_leave(
        qtbot: QtBot, view: tuple[CallView, SessionController]) -> None:
    call, controller = view
    controller.sessionJoined.emit()
    controller.connectionLost.emit()
    assert call.overlay.isVisible() and call.overlay.title() == RECONNECTING_TEXT
    assert call.overlay.geometry() == call.stage.rect()
    for key in ("mic", "camera", "share", "hand", "participants"):
        assert not call.controls.button(key).isEnabled()
    assert call.controls.button("leave").isEnabled()
    qtbot.waitUntil(lambda: call.overlay.detail() == "Trying for 1 s", timeout=3000)
    controller.connectionRestored.emit()
    assert not call.overlay.isVisible()
    assert all(call.controls.button(k).isEnabled() for k in ("mic", "camera", "leave"))


def test_overlay_follows_the_stage_size(qtbot: QtBot,
                                        view: tuple[CallView, SessionController]) -> None:
    call, controller = view
    controller.connectionLost.emit()
    call.resize(1200, 800)
    qtbot.waitUntil(lambda: call.overlay.geometry() == call.stage.rect(), timeout=1000)


def test_participants_flow_into_grid_panel_and_count(
        qtbot: QtBot, view: tuple[CallView, SessionController]) -> None:
    call, controller = view
    controller.participantsChanged.emit([participant("me", "Ada", is_local=True)])
    controller.participantJoined.emit(participant("b", "Grace Hopper"))
    controller.participantUpdated.emit(participant("b", "Grace Hopper", audio_muted=True,
                                                   hand_raised=True))
    assert call.participant_count() == 2 and call.count.text() == "· 2 people"
    tile = call.grid.tile("b")
    assert tile is not None and tile.badges() == ["muted", "hand"] and tile.shows_avatar()
    qtbot.mouseClick(call.controls.button("participants"), Qt.MouseButton.LeftButton)
    assert call.panel.isVisible()
    assert call.panel.lines() == ["Grace Hopper — hand raised, muted", "Ada (you)"]
    controller.participantLeft.emit(participant("b"))
    assert call.grid.tile("b") is None and call.participant_count() == 1
    controller.sessionLeft.emit()
    assert call.grid.tiles() == [] and call.count.text() == ""


def test_timer_counts_from_the_join(qtbot: QtBot,
                                    view: tuple[CallView, SessionController]) -> None:
    call, controller = view
    controller.sessionJoined.emit()
    assert call.timer_text() == "00:00"
    qtbot.waitUntil(lambda: call.timer_text() == "00:01", timeout=3000)
    assert [format_duration(s) for s in (0, 7, 754, 3723)] == [
        "00:00", "00:07", "12:34", "1:02:03"]


def test_copy_invite_link(qtbot: QtBot, view: tuple[CallView, SessionController]) -> None:
    call, _ = view
    call.set_invite("parley://join/standup")
    with qtbot.waitSignal(call.inviteCopied, timeout=1000):
        qtbot.mouseClick(call.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "parley://join/standup"
    assert call.notice.isVisible() and call.notice.text() == "Invite link copied"


def test_controls_have_tooltips_and_shortcuts(view: tuple[CallView, SessionController]) -> None:
    call, _ = view
    mic = call.controls.button("mic")
    assert mic.shortcut().toString() == "Ctrl+D" and "(Ctrl+D)" in mic.toolTip()
    assert call.controls.button("camera").shortcut().toString() == "Ctrl+E"
    call.controls.set_state(audio_muted=True, video_paused=False, sharing=False,
                            hand_raised=False)
    assert mic.isChecked() and mic.toolTip().startswith("Unmute")


def test_your_own_tile_and_list_entry_follow_your_own_media(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop, call_server: Any,
        app_settings: Any) -> None:
    """The model drives: a real session on a real server; your own tile must show it."""
    from parley.qt.options import JoinOptions
    from parley.ui.window import MainWindow

    session = CallSession()
    controller = SessionController(session, default_server=call_server.url,
                                   settings_overrides={"fake_media": True})
    window = MainWindow(controller, app_settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(controller.sessionJoined, timeout=10000):
        controller.join("standup", JoinOptions("Ada Lovelace", start_audio_muted=True,
                                               start_video_paused=True), "", "")
    call = window.call_view
    call.toggle_panel()
    qtbot.waitUntil(lambda: len(call.grid.tiles()) == 1, timeout=5000)

    def own() -> Any:
        tiles = [t for t in call.grid.tiles() if t.participant.is_local]
        assert len(tiles) == 1
        return tiles[0]

    assert own().badges() == ["muted"] and own().shows_avatar()
    assert call.panel.lines() == ["Ada Lovelace (you) — muted, camera off"]

    session.unmute_audio()
    session.resume_video()
    qtbot.waitUntil(lambda: own().badges() == [] and not own().shows_avatar(), timeout=10000)
    assert call.panel.lines() == ["Ada Lovelace (you)"]

    session.mute_audio()
    session.raise_hand()
    session.pause_video()
    qtbot.waitUntil(lambda: own().badges() == ["muted", "hand"] and own().shows_avatar(),
                    timeout=5000)
    assert call.panel.lines() == ["Ada Lovelace (you) — hand raised, muted, camera off"]
    window.close()
    run(qtbot, window.wait_closed())
