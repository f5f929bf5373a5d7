"""The desktop app against the real call server on loopback: typed, clicked, cut."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from parley.qt.device_preview import DevicePreview
from parley.qt.problems import ProblemKind
from parley.sdk import CallSession, EndReason, SessionState
from tests.qt.support import Bots, Servers, run


def test_join_by_typing_and_clicking_then_see_others_and_leave(
        qtbot: QtBot, servers: Servers, make_app: Any, bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    window, call = app.window, app.window.call_view
    assert window.windowTitle() == "standup (1 person) — Parley"
    assert [t.display_name() for t in call.grid.tiles()] == ["Ada Lovelace (you)"]
    assert app.controller.invite_link().startswith("parley://join/standup?server=ws%3A")

    bot = bots.join(server.url)
    qtbot.waitUntil(lambda: len(call.grid.tiles()) == 2, timeout=5000)
    assert window.windowTitle() == "standup (2 people) — Parley"
    bot.mute_audio()
    bot.raise_hand()
    qtbot.waitUntil(lambda: call.grid.tiles()[1].badges() == ["muted", "hand"], timeout=5000)

    qtbot.mouseClick(call.controls.button("mic"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: call.controls.button("mic").isChecked(), timeout=5000)
    # the button at once; the roster's own entry when the server has echoed the update
    qtbot.waitUntil(lambda: app.controller.session.local_participant.audio_muted,
                    timeout=5000)
    qtbot.waitUntil(lambda: bot.participants and any(
        p.audio_muted for p in bot.participants if not p.is_local), timeout=5000)

    run(qtbot, bot.leave_session())
    qtbot.waitUntil(lambda: len(call.grid.tiles()) == 1, timeout=5000)
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(call.controls.button("leave"), Qt.MouseButton.LeftButton)
    assert not window.showing_call() and window.join_view.message_text() == ""


def test_join_failures_are_explained(qtbot: QtBot, servers: Servers, make_app: Any) -> None:
    app = make_app(servers.start().url)  # (a full call: tests/ui/test_window.py)
    form = app.window.join_view
    form.name_edit.setText("Ada")
    form.session_edit.setText("standup")
    locked = servers.start(secret=b"s" * 32)
    form.server_edit.setText(locked.url)
    with qtbot.waitSignal(app.controller.joinFailed, timeout=10000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    assert form.message_text() == "This call needs an invite link. Ask the host for one."

    gone_url = locked.url
    run(qtbot, locked.stop())
    with qtbot.waitSignal(app.controller.joinFailed, timeout=15000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    assert form.message_text().startswith(f"Can't reach the call server at {gone_url}")


def test_closing_the_window_leaves_and_removes_every_listener(
        qtbot: QtBot, servers: Servers, make_app: Any, bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    app.join_by_typing()
    bot = bots.join(server.url)
    session = app.controller.session
    assert session.listener_count() > 0 and session.video_sink_count() == 1
    app.close()
    assert session.listener_count() == 0
    assert session.video_sink_count() == 0
    assert session.state is SessionState.ENDED
    qtbot.waitUntil(lambda: len(bot.participants) == 1, timeout=5000)  # we left for real


@pytest.mark.slow
def test_video_frames_reach_the_tiles(qtbot: QtBot, servers: Servers, make_app: Any,
                                      bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, media=True, fake_media=True)
    app.join_by_typing()
    bots.join(server.url, media=True, fake_media=True)
    grid = app.window.call_view.grid
    qtbot.waitUntil(lambda: len(grid.tiles()) == 2, timeout=5000)
    qtbot.waitUntil(lambda: not any(t.shows_avatar() for t in grid.tiles()), timeout=20000)


def test_test_call_joins_a_private_call_and_starts_the_echo(
        qtbot: QtBot, servers: Servers, make_app: Any) -> None:
    server = servers.start()
    app = make_app(server.url)
    echoed: list[str] = []

    async def echo(session: CallSession) -> None:
        echoed.append(session.session_id or "")
        return None

    app.controller.test_call.echo_starter = echo
    app.window.join_view.name_edit.setText("Ada")
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        qtbot.mouseClick(app.window.join_view.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(echoed), timeout=5000)
    assert echoed[0].startswith("test-") and echoed[0] == app.controller.session_id
    assert app.window.showing_call()
    assert app.window.call_view.title.text() == "Test call"
    assert app.window.windowTitle() == "Test call (1 person) — Parley"
    assert not app.window.call_view.copy_button.isEnabled()  # nobody else belongs here


def test_a_test_call_without_an_echo_says_so(qtbot: QtBot, servers: Servers,
                                             make_app: Any) -> None:
    app = make_app(servers.start().url)
    app.window.join_view.name_edit.setText("Ada")
    with qtbot.waitSignal(app.controller.mediaError, timeout=10000) as blocker:
        qtbot.mouseClick(app.window.join_view.test_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].kind is ProblemKind.NO_ECHO
    notice = app.window.call_view.notice
    assert notice.isVisible()
    assert notice.text() == "The echo participant is not available in this build yet."


def test_keyboard_shortcuts_toggle_mic_and_camera(qtbot: QtBot, servers: Servers,
                                                  make_app: Any) -> None:
    app = make_app(servers.start().url)
    app.join_by_typing()
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=2000)
    session = app.controller.session
    qtbot.keyClick(app.window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: session.is_audio_muted, timeout=2000)
    qtbot.keyClick(app.window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: session.is_video_paused, timeout=2000)
    controls = app.window.call_view.controls
    qtbot.waitUntil(lambda: controls.button("camera").isChecked(), timeout=2000)
    assert controls.button("mic").isChecked()
    qtbot.keyClick(app.window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not session.is_audio_muted, timeout=2000)


def test_the_preview_lets_go_of_the_devices_before_joining_and_comes_back_after(
        qtbot: QtBot, servers: Servers, make_app: Any) -> None:
    preview = DevicePreview(fake_media=True)
    app = make_app(servers.start().url, preview=preview, media=True, fake_media=True)
    pane = app.window.join_view.preview
    qtbot.waitUntil(lambda: pane.picture.image() is not None and pane.level() > 0,
                    timeout=10000)
    states: list[bool] = []
    preview.runningChanged.connect(states.append)
    app.controller.sessionJoined.connect(lambda: states.append(preview.running))
    app.join_by_typing()
    assert states[:2] == [False, False]  # stopped first, still stopped once joined
    with qtbot.waitSignal(preview.runningChanged, timeout=10000) as restarted:
        qtbot.mouseClick(app.window.call_view.controls.button("leave"),
                         Qt.MouseButton.LeftButton)
    assert restarted.args == [True] and not app.window.showing_call()


def test_tray_icon_while_in_a_call_with_leave_in_its_menu(
        qtbot: QtBot, servers: Servers, make_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    # The offscreen platform has no tray; pretend a desktop that has one.
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    app = make_app(servers.start().url)
    assert app.window.tray is None
    app.join_by_typing()
    tray = app.window.tray
    assert tray is not None and tray.isVisible()
    assert tray.toolTip() == "Parley: in call standup (1 person)"
    actions = {a.text(): a for a in tray.contextMenu().actions()}
    assert list(actions) == ["Show Parley", "Leave call"]
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        actions["Leave call"].trigger()
    assert not tray.isVisible() and not app.window.showing_call()


def test_a_join_that_hangs_can_be_cancelled(qtbot: QtBot, make_app: Any) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept the connection, never answer the handshake
        writer.close()

    listener = run(qtbot, asyncio.start_server(silent, "127.0.0.1", 0))
    port = listener.sockets[0].getsockname()[1]
    try:
        app = make_app(f"ws://127.0.0.1:{port}/ws")
        form = app.window.join_view
        form.name_edit.setText("Ada")
        form.session_edit.setText("standup")
        with qtbot.waitSignal(app.controller.busyChanged, timeout=2000):
            qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
        assert form.cancel_button.isVisible() and form.join_button.text() == "Joining…"
        with qtbot.waitSignal(app.controller.busyChanged, timeout=3000) as done:
            qtbot.mouseClick(form.cancel_button, Qt.MouseButton.LeftButton)
        assert done.args == [False]
        assert not form.cancel_button.isVisible() and form.message_text() == ""
        assert app.controller.session.state is SessionState.IDLE
    finally:
        listener.close()
        run(qtbot, listener.wait_closed())


BOT = """
import asyncio, sys
from parley.sdk import CallSession, SessionSettings
async def main():
    bot = CallSession()
    await bot.join_session("standup", SessionSettings(display_name="Grace Hopper", media=False),
                           server=sys.argv[1])
    await asyncio.Event().wait()
asyncio.run(main())
"""


def test_a_participant_whose_process_dies_shows_reconnecting_then_leaves(
        qtbot: QtBot, servers: Servers, make_app: Any) -> None:
    server = servers.start(departure_timeout=2.0)
    app = make_app(server.url)
    app.join_by_typing()
    bot = subprocess.Popen([sys.executable, "-c", BOT, server.url])
    try:
        grid = app.window.call_view.grid  # (the server runs on this loop: never block it)
        qtbot.waitUntil(lambda: len(grid.tiles()) == 2, timeout=20000)
        bot.kill()  # no goodbye: the server finds out from the silence
        bot.wait()
        qtbot.waitUntil(lambda: len(grid.tiles()) == 2
                        and grid.tiles()[1].badges() == ["reconnecting"], timeout=10000)
        assert app.window.call_view.overlay.isHidden()  # it is them, not us
        qtbot.waitUntil(lambda: len(grid.tiles()) == 1, timeout=20000)  # grace period over
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()


def test_test_call_with_the_sdk_echo_and_it_leaves_with_us(
        qtbot: QtBot, servers: Servers, make_app: Any) -> None:
    from parley.sdk.echo import ECHO_NAME, start_echo

    server = servers.start()
    app = make_app(server.url)
    app.controller.test_call.echo_starter = start_echo
    app.window.join_view.name_edit.setText("Ada")
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        qtbot.mouseClick(app.window.join_view.test_button, Qt.MouseButton.LeftButton)
    grid = app.window.call_view.grid
    qtbot.waitUntil(lambda: [t.display_name() for t in grid.tiles()] == ["Ada (you)", ECHO_NAME],
                    timeout=10000)
    # the echo's tile comes with the server's word; the echo itself once its join is done
    qtbot.waitUntil(lambda: app.controller.test_call.echo is not None, timeout=10000)
    echo = app.controller.test_call.echo
    assert echo is not None
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(app.window.call_view.controls.button("leave"),
                         Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: echo.state is SessionState.ENDED, timeout=5000)
    assert echo.end_reason is EndReason.LEFT  # dismissed, not left alone to time out
