"""The join screen and the window's dialogs against a real session and server: small
windows, the preview after a failed or cancelled join, links opened from outside, the
token that is required, the server remembered, settings and About."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from parley.qt.device_preview import DevicePreview
from parley.qt.resources import Theme, stylesheet
from parley.qt.settings import AppSettings
from parley.sdk import SessionState
from parley.ui.about import AboutDialog
from parley.ui.join import NAME_NEEDED_TEXT
from parley.ui.messages import TOKEN_REQUIRED_TEXT
from parley.ui.settings_dialog import SettingsDialog
from tests.qt.support import App, Servers, run


def test_the_join_screen_scrolls_and_reflows_in_a_small_window(
        qtbot: QtBot, make_app: Callable[..., App]) -> None:
    app = make_app("ws://127.0.0.1:1/ws", preview=DevicePreview(fake_media=True))
    window, form = app.window, app.window.join_view
    assert (window.minimumWidth(), window.minimumHeight()) == (640, 480)
    window.resize(1200, 800)
    qtbot.waitUntil(lambda: not form.is_stacked(), timeout=2000)
    window.resize(640, 480)  # the smallest it goes (800x500 and 640x400 cut it off)
    qtbot.waitUntil(form.is_stacked, timeout=2000)  # the preview above the form
    scroll = form.scroll_area
    qtbot.waitUntil(lambda: scroll.horizontalScrollBar().maximum() == 0,  # nothing cut off
                    timeout=2000)                                           # at the sides
    assert scroll.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    scroll.ensureWidgetVisible(form.join_button)
    qtbot.waitUntil(lambda: not form.join_button.visibleRegion().isEmpty(), timeout=2000)
    assert form.join_button.visibleRegion().boundingRect() == form.join_button.rect()


def test_the_preview_comes_back_after_a_failed_or_cancelled_join(
        qtbot: QtBot, make_app: Callable[..., App]) -> None:
    preview = DevicePreview(fake_media=True)
    app = make_app("ws://127.0.0.1:1/ws", preview=preview)  # nobody listens there
    form = app.window.join_view
    picture = form.preview.picture
    qtbot.waitUntil(lambda: picture.image() is not None, timeout=10000)
    form.name_edit.setText("Ada")
    form.session_edit.setText("standup")
    with qtbot.waitSignal(app.controller.joinFailed, timeout=10000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.running, timeout=5000)
    first = picture.image()
    qtbot.waitUntil(lambda: picture.image() is not None and picture.image() is not first,
                    timeout=5000)  # moving again, not a frozen last frame


def test_a_join_without_a_token_says_one_is_needed_at_the_token_field(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    locked = servers.start(secret=b"s" * 32)
    app = make_app(locked.url)
    form = app.window.join_view
    form.name_edit.setText("Ada")
    form.session_edit.setText("standup")
    with qtbot.waitSignal(app.controller.joinFailed, timeout=10000):
        qtbot.keyClick(form.session_edit, Qt.Key.Key_Return)
    assert form.message_text() == TOKEN_REQUIRED_TEXT
    assert form.token_edit.property("invalid") is True
    assert app.window.focusWidget() is form.token_edit
    form.token_edit.setText("not-a-token")  # a token that is wrong gets the other sentence
    with qtbot.waitSignal(app.controller.joinFailed, timeout=10000):
        qtbot.mouseClick(form.join_button, Qt.MouseButton.LeftButton)
    assert form.message_text().startswith("The call server refused the invite's token")


def test_an_opened_link_fills_the_form_asks_for_a_name_and_its_server_is_remembered(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App],
        app_settings: AppSettings) -> None:
    server = servers.start()
    app = make_app("ws://127.0.0.1:1/ws")  # the built-in one would not answer
    form = app.window.join_view
    form.name_edit.clear()
    link = f"parley://join/standup?server={server.url.replace(':', '%3A').replace('/', '%2F')}"
    app.window.open_link(link)
    assert (form.session_edit.text(), form.server_edit.text()) == ("standup", server.url)
    assert form.message_text() == NAME_NEEDED_TEXT and app.window.focusWidget() is form.name_edit
    assert app.controller.state is SessionState.IDLE  # never joined as "Guest"
    qtbot.keyClicks(form.name_edit, "Ada")
    with qtbot.waitSignal(app.controller.sessionJoined, timeout=10000):
        qtbot.keyClick(form.name_edit, Qt.Key.Key_Return)
    assert app.session.server_url == server.url
    assert app_settings.load_join().server == server.url  # the default for the next call
    app.window.open_link("standup2")  # a bare id during a call: asked first
    question = app.window.dialog
    assert isinstance(question, QMessageBox)
    assert app.controller.state is SessionState.JOINED
    with qtbot.waitSignal(app.controller.sessionLeft, timeout=5000):
        qtbot.mouseClick(question.button(QMessageBox.StandardButton.Yes),
                         Qt.MouseButton.LeftButton)
    assert form.session_edit.text() == "standup2" and not app.window.showing_call()
    assert form.server_edit.text() == ""  # the built-in server: the one it would use


def test_no_to_the_question_keeps_the_call(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App]) -> None:
    app = make_app(servers.start().url)
    app.join_by_typing()
    app.window.open_link("elsewhere")
    question = app.window.dialog
    assert isinstance(question, QMessageBox)
    qtbot.mouseClick(question.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert app.window.showing_call() and app.controller.state is SessionState.JOINED
    assert app.window.join_view.session_edit.text() == "standup"


def test_settings_are_stored_and_applied_the_theme_at_once_and_processing_at_the_join(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App],
        app_settings: AppSettings) -> None:
    app = make_app(servers.start().url)
    window = app.window
    window.join_view.menu_button.menu().actions()[0].trigger()  # "Settings…"
    dialog = window.dialog
    assert isinstance(dialog, SettingsDialog)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.echo_check.setChecked(False)
    dialog.sounds_check.setChecked(True)
    dialog.discovery_check.setChecked(False)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert window.dialog is None
    stored = app_settings.load_app()
    assert (stored.theme, stored.echo_cancellation, stored.noise_suppression,
            stored.notification_sounds, stored.discovery) == ("dark", False, True, True, False)
    app_qt = QApplication.instance()
    assert isinstance(app_qt, QApplication) and app_qt.styleSheet() == stylesheet(Theme.DARK)
    assert window.theme is Theme.DARK and window.icons.colour == "#e8eaf0"
    assert window.call_view.play_sound is not None  # notices now have a sound
    app.join_by_typing()
    settings = app.session.settings
    assert (settings.echo_cancellation, settings.noise_suppression,
            settings.auto_gain_control) == (False, True, True)
    app_qt.setStyleSheet("")


def test_the_test_sound_is_played_through_the_media_playback(
        qtbot: QtBot, make_app: Callable[..., App]) -> None:
    app = make_app("ws://127.0.0.1:1/ws")
    app.window.open_settings()
    dialog = app.window.dialog
    assert isinstance(dialog, SettingsDialog)
    sounds = app.window.sounds
    # This machine may have no speaker: played (a speaker) or failed (none), never silent.
    outcome: list[str] = []
    sounds.played.connect(lambda s: outcome.append(f"played {s}"))
    sounds.failed.connect(lambda s, why: outcome.append(f"failed {s}"))
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(outcome), timeout=10000)
    assert outcome[0] in ("played test", "failed test")
    assert dialog.test_status.text().startswith(("Played.", "Could not play"))
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert app.window.dialog is None


def test_about_names_the_versions_and_the_log_file(
        qtbot: QtBot, make_app: Callable[..., App], tmp_path: object) -> None:
    app = make_app("ws://127.0.0.1:1/ws")
    from pathlib import Path

    app.window.log_file = Path("/tmp/state/parley/parley.log")
    app.window.call_view.aboutRequested.emit()  # the header's "About Parley"
    about = app.window.dialog
    assert isinstance(about, AboutDialog)
    text = about.text()
    assert text.startswith("Parley ") and "\nPython 3." in text and "\nQt 6." in text
    assert "aiortc " in text and "Log file: /tmp/state/parley/parley.log" in text
    about.reject()
    run(qtbot, asyncio.sleep(0))


def test_the_settings_discovery_switch_is_the_join_screens(
        qtbot: QtBot, servers: Servers, make_app: Callable[..., App],
        app_settings: AppSettings) -> None:
    app = make_app(servers.start().url)
    window, form = app.window, app.window.join_view
    assert form.discovery_check.isChecked() and app_settings.discovery_enabled()
    window.open_settings()
    dialog = window.dialog
    assert isinstance(dialog, SettingsDialog) and dialog.discovery_check.isChecked()
    dialog.discovery_check.setChecked(False)
    with qtbot.waitSignal(form.discoveryToggled, timeout=1000) as toggled:  # HostingService
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert toggled.args == [False] and not form.discovery_check.isChecked()
    assert not app_settings.discovery_enabled()
    form.discovery_check.setChecked(True)  # the join screen's switch, back on
    window.open_settings()
    dialog = window.dialog
    assert isinstance(dialog, SettingsDialog) and dialog.discovery_check.isChecked()
    dialog.reject()
    assert app_settings.load_app().discovery
