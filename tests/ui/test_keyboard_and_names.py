"""The whole app from the keyboard, and an accessible name on every control a screen
reader lands on (the join screen, the call screen, every dialog)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTextBrowser,
    QWidget,
)
from pytestqt.qtbot import QtBot

from parley.ui.about import AboutDialog
from parley.ui.settings_dialog import SettingsDialog
from parley.ui.share_picker import SharePicker
from tests.qt.support import App, Bots, Servers

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QTextBrowser, QListWidget,
            QAbstractSpinBox)


def unnamed(root: QWidget) -> list[str]:
    """Every control under ``root`` without an accessible name (by class and text)."""
    missing = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, CONTROLS) and not widget.accessibleName().strip():
            if widget.parent() is not None and type(widget).__name__ == "QScrollBar":
                continue
            text = getattr(widget, "text", lambda: "")()
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} {text!r}")
    return missing


def _tab_to(qtbot: QtBot, window: QWidget, target: QWidget, limit: int = 40) -> list[str]:
    """Press Tab until ``target`` has the focus; the accessible names passed on the way."""
    passed = []
    for _ in range(limit):
        focused = window.focusWidget()
        if focused is target:
            return passed
        passed.append(focused.accessibleName() if focused is not None else "")
        qtbot.keyClick(focused or window, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.accessibleName()!r}; passed {passed}")


def test_join_talk_chat_share_and_leave_from_the_keyboard(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App], bots: Bots) -> None:
    server = servers.start()
    app = make_app(server.url, media=True, fake_media=True)
    window, form = app.window, app.window.join_view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    assert unnamed(window) == []
    form.name_edit.clear()
    form.session_edit.clear()
    form.name_edit.setFocus()
    qtbot.keyClicks(form.name_edit, "Ada Lovelace")
    passed = _tab_to(qtbot, window, form.session_edit)
    assert passed == ["Your name"]
    qtbot.keyClicks(form.session_edit, "standup")
    _tab_to(qtbot, window, form.join_button)  # through server, token, devices, checks
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        qtbot.keyClick(form.join_button, Qt.Key.Key_Space)
    bot = bots.join(server.url)
    call = window.call_view
    qtbot.waitUntil(lambda: len(call.grid.tiles()) == 2, timeout=5000)
    assert unnamed(window) == []

    mic = call.controls.button("mic")
    mic.setFocus()
    qtbot.keyClick(mic, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: app.session.is_audio_muted, timeout=3000)
    assert mic.accessibleName() == "Unmute microphone"
    hand = call.controls.button("hand")
    _tab_to(qtbot, window, hand)
    qtbot.keyClick(hand, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: app.session.hand_raised, timeout=3000)

    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # the chat, its box focused
    # (a shortcut "animates" its button's click: it lands a moment later)
    qtbot.waitUntil(call.chat.isVisible, timeout=2000)
    assert window.focusWidget() is call.chat.input
    qtbot.keyClicks(call.chat.input, "typed, not clicked")
    qtbot.keyClick(call.chat.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [e.text for e in bot.chat_messages] == ["typed, not clicked"],
                    timeout=5000)

    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # share: the picker
    qtbot.waitUntil(lambda: window.dialog is not None, timeout=2000)
    picker = window.dialog
    assert isinstance(picker, SharePicker) and unnamed(picker) == []
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.session.screen_sharing, timeout=10000)
    stop = call.sharing_bar.stop_button
    stop.setFocus()
    qtbot.keyClick(stop, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not app.session.screen_sharing, timeout=5000)

    window.activateWindow()  # (the offscreen platform does not give it back after a dialog)
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.dialog is not None, timeout=2000)
    settings = window.dialog
    assert isinstance(settings, SettingsDialog) and unnamed(settings) == []
    qtbot.keyClick(settings, Qt.Key.Key_Escape)
    assert window.dialog is None
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
    assert not window.showing_call()


def test_every_dialog_names_its_controls(qtbot: QtBot, make_app: Callable[..., App]) -> None:
    app = make_app("ws://127.0.0.1:1/ws")
    app.window.open_about()
    about = app.window.dialog
    assert isinstance(about, AboutDialog) and unnamed(about) == []
    about.reject()
    app.window.open_settings()
    settings = app.window.dialog
    assert isinstance(settings, SettingsDialog) and unnamed(settings) == []
