"""The call screen, driven by the model: a real CallSession on a real call server.

Each test changes the session (or clicks what a person clicks) and asserts what the
screen shows: the tiles, your own tile, the participants list, the overlay, the bar.
"""

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from parley.sdk import SessionState
from parley.ui.call import format_duration
from parley.ui.overlay import RECONNECTING_TEXT
from tests.qt.support import App, Bots, Servers, run


def test_your_own_tile_and_list_entry_follow_your_own_media(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    """The own-tile bug: you muted, unmuted, turned the camera on, raised a hand on the
    session, and your own tile and list entry never showed it."""
    app = make_app(servers.start().url, media=True, fake_media=True)
    form = app.window.join_view
    form.mic_off_check.setChecked(True)
    form.camera_off_check.setChecked(True)
    app.join_by_typing()
    call, session = app.window.call_view, app.session
    call.toggle_panel()
    own = app.own_tile
    assert own().badges() == ["muted"] and own().shows_avatar()
    assert call.panel.lines() == ["Ada Lovelace (you) — muted, camera off"]

    session.unmute_audio()
    session.resume_video()
    qtbot.waitUntil(lambda: own().badges() == [] and not own().shows_avatar(), timeout=10000)
    assert call.panel.lines() == ["Ada Lovelace (you)"]
    assert not call.controls.button("mic").isChecked()

    session.mute_audio()
    session.raise_hand()
    session.pause_video()
    qtbot.waitUntil(lambda: own().badges() == ["muted", "hand"] and own().shows_avatar(),
                    timeout=5000)
    assert call.panel.lines() == ["Ada Lovelace (you) — hand raised, muted, camera off"]
    assert call.controls.button("mic").isChecked() and call.controls.button("hand").isChecked()


def test_the_buttons_change_your_own_tile_and_what_the_others_see(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    bot = bots.join(server.url)
    controls = app.window.call_view.controls
    assert controls.button("mic").shortcut().toString() == "Ctrl+D"
    assert controls.button("camera").shortcut().toString() == "Ctrl+E"
    assert controls.button("mic").toolTip() == "Mute microphone (Ctrl+D)"
    qtbot.mouseClick(controls.button("mic"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(controls.button("hand"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.own_tile().badges() == ["muted", "hand"], timeout=5000)
    assert controls.button("mic").isChecked() and controls.button("hand").isChecked()
    assert controls.button("mic").toolTip() == "Unmute microphone (Ctrl+D)"
    qtbot.waitUntil(lambda: [(p.audio_muted, p.hand_raised) for p in bot.participants
                             if not p.is_local] == [(True, True)], timeout=5000)
    qtbot.mouseClick(controls.button("hand"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.own_tile().badges() == ["muted"], timeout=5000)
    assert not controls.button("hand").isChecked()


def test_others_flow_into_the_grid_the_panel_and_the_count(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    call = app.window.call_view
    assert call.count.text() == "· 1 person"
    bot = bots.join(server.url)
    qtbot.waitUntil(lambda: call.participant_count() == 2, timeout=5000)
    bot.mute_audio()
    bot.raise_hand()
    them = bot.local_participant.id
    qtbot.waitUntil(lambda: call.grid.tile(them) is not None
                    and call.grid.tile(them).badges() == ["muted", "hand"], timeout=5000)
    assert call.grid.tile(them).shows_avatar() and call.count.text() == "· 2 people"
    qtbot.mouseClick(call.controls.button("participants"), Qt.MouseButton.LeftButton)
    assert call.panel.isVisible()
    assert call.panel.lines() == ["Grace Hopper — hand raised, muted", "Ada Lovelace (you)"]
    run(qtbot, bot.leave_session())
    qtbot.waitUntil(lambda: call.grid.tile(them) is None, timeout=5000)
    assert call.participant_count() == 1 and call.panel.lines() == ["Ada Lovelace (you)"]
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(call.controls.button("leave"), Qt.MouseButton.LeftButton)
    assert call.grid.tiles() == [] and call.count.text() == ""


def test_the_overlay_covers_a_lost_call_and_leaves_with_the_restore(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    call = app.window.call_view
    with qtbot.waitSignal(app.controller.connectionLost, timeout=10000):
        run(qtbot, server.stop(graceful=False))
    assert call.overlay.isVisible() and call.overlay.title() == RECONNECTING_TEXT
    assert call.overlay.geometry() == call.stage.rect()
    for key in ("mic", "camera", "share", "hand", "participants"):
        assert not call.controls.button(key).isEnabled()
    assert call.controls.button("leave").isEnabled()
    assert app.controller.state is SessionState.RECONNECTING
    assert app.window.windowTitle() == "standup (1 person) — reconnecting — Parley"
    app.window.resize(1200, 800)
    qtbot.waitUntil(lambda: call.overlay.geometry() == call.stage.rect(), timeout=1000)
    qtbot.waitUntil(lambda: call.overlay.detail() == "Trying for 1 s of 30", timeout=3000)
    with qtbot.waitSignal(app.controller.connectionRestored, timeout=15000):
        servers.start(port=server.port)
    assert not call.overlay.isVisible()
    assert all(call.controls.button(k).isEnabled() for k in ("mic", "camera", "leave"))
    assert app.controller.state is SessionState.JOINED and app.window.showing_call()


def test_the_timer_counts_from_the_join(qtbot: QtBot, servers: Servers,
                                        make_app: Callable[..., App]) -> None:
    app = make_app(servers.start().url)
    app.join_by_typing()
    call = app.window.call_view
    assert call.timer_text() == "00:00"
    qtbot.waitUntil(lambda: call.timer_text() == "00:01", timeout=3000)
    assert [format_duration(s) for s in (0, 7, 754, 3723)] == [
        "00:00", "00:07", "12:34", "1:02:03"]


def test_copy_the_invite_link_of_the_call(qtbot: QtBot, servers: Servers,
                                          make_app: Callable[..., App]) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    call = app.window.call_view
    assert call.copy_button.isEnabled()
    with qtbot.waitSignal(call.inviteCopied, timeout=1000) as copied:
        qtbot.mouseClick(call.copy_button, Qt.MouseButton.LeftButton)
    link = copied.args[0]
    assert link.startswith("parley://join/standup?server=ws%3A%2F%2F127.0.0.1%3A")
    assert QGuiApplication.clipboard().text() == link == app.controller.invite_link()
    assert call.notice.isVisible() and call.notice.text() == "Invite link copied"


def test_the_call_tells_the_session_how_large_each_remote_tile_is(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    """What the call receives of someone (through the SFU: the camera layer) follows the
    size of their tile: the screen says it to the session on every re-flow."""
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    call, session = app.window.call_view, app.session
    bot = bots.join(server.url)
    them = bot.local_participant.id
    qtbot.waitUntil(lambda: call.grid.tile(them) is not None, timeout=5000)
    ratio = call.grid.devicePixelRatioF()

    def told() -> bool:
        tile = call.grid.tile(them)
        return tile is not None and session.participant_view(them) == (
            round(tile.width() * ratio), round(tile.height() * ratio))

    qtbot.waitUntil(told, timeout=5000)
    before = session.participant_view(them)
    app.window.resize(app.window.width() // 2 + 40, app.window.height())
    qtbot.waitUntil(lambda: told() and session.participant_view(them) != before,
                    timeout=5000)
    me = session.local_participant
    assert me is not None and session.participant_view(me.id) is None  # not your own
