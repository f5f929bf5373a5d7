"""The main window's screens and messages, driven by a real controller's signals."""

import asyncio

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from parley.qt.controller import SessionController
from parley.qt.settings import AppSettings
from parley.sdk import CallSession
from parley.ui.window import CONNECTION_LOST_TEXT, TIMED_OUT_TEXT, MainWindow
from tests.qt.support import participant


@pytest.fixture
def window(qtbot: QtBot, qloop: asyncio.AbstractEventLoop,
           app_settings: AppSettings) -> MainWindow:
    controller = SessionController(CallSession(), default_server="ws://127.0.0.1:1/ws")
    win = MainWindow(controller, app_settings)
    qtbot.addWidget(win)
    win.show()
    return win


def _controller(win: MainWindow) -> SessionController:
    return win._controller


def _fill(win: MainWindow) -> None:
    win.join_view.name_edit.setText("Ada")
    win.join_view.session_edit.setText("standup")
    win.join_view.server_edit.setText("ws://127.0.0.1:1/ws")


@pytest.mark.parametrize("ending,message,style", [
    ("connectionClosed", CONNECTION_LOST_TEXT, "errorLabel"),
    ("sessionTimedOut", TIMED_OUT_TEXT, "noticeLabel"),
    ("sessionLeft", "", None),
])
def test_call_endings_return_to_the_join_screen_with_fields_kept(
        window: MainWindow, ending: str, message: str, style: str | None) -> None:
    _fill(window)
    c = _controller(window)
    c.sessionJoined.emit()
    assert window.showing_call()
    getattr(c, ending).emit()
    assert not window.showing_call()
    assert window.join_view.message_text() == message
    if style:
        assert window.join_view.message.objectName() == style
    assert window.join_view.name_edit.text() == "Ada"
    assert window.join_view.session_edit.text() == "standup"
    assert window.join_view.server_edit.text() == "ws://127.0.0.1:1/ws"


def test_busy_and_join_failure(window: MainWindow) -> None:
    c = _controller(window)
    c.busyChanged.emit(True)
    assert window.join_view.is_busy()
    c.busyChanged.emit(False)
    c.joinFailed.emit("This call is full. Try again later or ask the host for another call.")
    assert not window.join_view.is_busy()
    assert window.join_view.message_text().startswith("This call is full.")


def test_overlay_in_the_window_on_lost_and_restored(window: MainWindow) -> None:
    c = _controller(window)
    c.sessionJoined.emit()
    c.connectionLost.emit()
    call = window.call_view
    assert call.overlay.isVisible()
    assert not call.controls.button("mic").isEnabled()
    assert call.controls.button("leave").isEnabled()
    c.connectionRestored.emit()
    assert not call.overlay.isVisible() and call.controls.button("mic").isEnabled()


def test_window_title_names_the_call(window: MainWindow) -> None:
    c = _controller(window)
    assert window.windowTitle() == "Parley"
    c.sessionJoined.emit()
    c.participantsChanged.emit([participant("me", is_local=True), participant("b")])
    # no session id (nothing joined for real): the title stays plain
    assert window.windowTitle() == "Parley"


def test_join_click_saves_the_form(qtbot: QtBot, window: MainWindow,
                                   app_settings: AppSettings) -> None:
    _fill(window)
    window.join_view.camera_off_check.setChecked(True)
    with qtbot.waitSignal(_controller(window).joinFailed, timeout=10000):
        qtbot.mouseClick(window.join_view.join_button, Qt.MouseButton.LeftButton)
    assert window.join_view.message_text().startswith("Can't reach the call server at")
    saved = app_settings.load_join()
    assert (saved.name, saved.session, saved.start_video_paused) == ("Ada", "standup", True)


def test_closing_the_window_drops_every_listener(qtbot: QtBot, window: MainWindow) -> None:
    session = _controller(window).session
    assert session.listener_count() == 3
    with qtbot.waitSignal(window.closed, timeout=1000):
        window.close()
    assert session.listener_count() == 0
    assert session.video_sink_count() == 0
    assert _controller(window).disposed
