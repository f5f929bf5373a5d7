"""The main window's screens and messages, driven by a real session on a real server."""

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from parley.qt.controller import SessionController
from parley.qt.settings import AppSettings
from parley.sdk import CallSession, SessionState
from parley.ui.window import CONNECTION_LOST_TEXT, TIMED_OUT_TEXT, MainWindow
from tests.qt.support import App, Bots, Servers, run


def _end_by_closing(qtbot: QtBot, app: App, servers: Servers) -> None:
    with qtbot.waitSignal(app.controller.connectionClosed, timeout=15000):
        run(qtbot, servers.started[0].stop(graceful=False))


def _end_by_idling(qtbot: QtBot, app: App, servers: Servers) -> None:
    with qtbot.waitSignal(app.controller.sessionTimedOut, timeout=10000):
        pass  # alone for idle_timeout_period


def _end_by_leaving(qtbot: QtBot, app: App, servers: Servers) -> None:
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(app.window.call_view.controls.button("leave"),
                         Qt.MouseButton.LeftButton)


@pytest.mark.parametrize("end,overrides,message,style", [
    (_end_by_closing, {"reconnect_timeout": 1.0}, CONNECTION_LOST_TEXT, "errorLabel"),
    (_end_by_idling, {"idle_timeout_period": 1.0}, TIMED_OUT_TEXT, "noticeLabel"),
    (_end_by_leaving, {}, "", None),
], ids=["closed", "timed-out", "left"])
def test_call_endings_return_to_the_join_screen_with_fields_kept(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App],
        end: Callable[[QtBot, App, Servers], None], overrides: dict[str, float], message: str,
        style: str | None) -> None:
    app = make_app(servers.start().url, **overrides)
    app.join_by_typing()
    end(qtbot, app, servers)
    form = app.window.join_view
    assert not app.window.showing_call() and app.window.windowTitle() == "Parley"
    assert form.message_text() == message
    if style:
        assert form.message.objectName() == style
    assert (form.name_edit.text(), form.session_edit.text()) == ("Ada Lovelace", "standup")
    assert not app.window.call_view.overlay.isVisible()
    assert app.controller.state is SessionState.ENDED


def test_busy_while_joining_then_the_failure_explained(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    full = servers.start(max_participants=1)
    bots.join(full.url)
    app = make_app(full.url)
    form = app.window.join_view
    form.name_edit.setText("Ada")
    form.session_edit.setText("standup")
    busy: list[bool] = []
    app.controller.busyChanged.connect(lambda on: busy.append(form.is_busy()))
    with qtbot.waitSignal(app.controller.joinFailed, timeout=10000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    assert busy == [True, False]  # the form showed it was busy, then let go
    assert form.message_text() == ("This call is full. Try again later or ask the host for "
                                   "another call.")
    assert form.join_button.isEnabled() and not app.window.showing_call()


def test_the_window_title_names_the_call(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url)
    assert app.window.windowTitle() == "Parley"
    app.join_by_typing(session="standup")
    assert app.window.windowTitle() == "standup (1 person) — Parley"
    bots.join(server.url)
    qtbot.waitUntil(lambda: app.window.windowTitle() == "standup (2 people) — Parley",
                    timeout=5000)
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        app.controller.leave()
    assert app.window.windowTitle() == "Parley"


@pytest.fixture
def window(qtbot: QtBot, qloop: object, app_settings: AppSettings) -> MainWindow:
    controller = SessionController(CallSession(), default_server="ws://127.0.0.1:1/ws")
    win = MainWindow(controller, app_settings)
    qtbot.addWidget(win)
    win.show()
    return win


def test_join_click_saves_the_form(qtbot: QtBot, window: MainWindow,
                                   app_settings: AppSettings) -> None:
    form = window.join_view
    form.name_edit.setText("Ada")
    form.session_edit.setText("standup")
    form.server_edit.setText("ws://127.0.0.1:1/ws")
    form.camera_off_check.setChecked(True)
    controller = window.call_view.controller
    assert controller is not None
    with qtbot.waitSignal(controller.joinFailed, timeout=10000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    assert form.message_text() == ("Can't reach the call server at ws://127.0.0.1:1/ws. "
                                   "Check the address and your network.")
    saved = app_settings.load_join()
    assert (saved.name, saved.session, saved.start_video_paused) == ("Ada", "standup", True)


def test_closing_the_window_drops_every_listener(qtbot: QtBot, window: MainWindow) -> None:
    controller = window.call_view.controller
    assert controller is not None
    session = controller.session
    assert session.listener_count() > 0 and session.video_sink_count() == 1
    with qtbot.waitSignal(window.closed, timeout=1000):
        window.close()
    assert session.listener_count() == 0
    assert session.video_sink_count() == 0
    assert controller.disposed
