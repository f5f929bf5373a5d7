"""The main window: the join screen and the call screen in a stack, the tray icon, and the
dialogs (settings, About, the screen-share picker, "leave this call for that link?")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QWidget,
)

from parley.qt.options import JoinOptions
from parley.qt.problems import Problem
from parley.qt.resources import IconSet, Theme, app_icon, resolve_theme, stylesheet
from parley.qt.settings import AppPreferences, AppSettings
from parley.qt.share_sources import share_choices
from parley.qt.sounds import SoundPlayer
from parley.sdk import SessionState
from parley.ui.about import AboutDialog
from parley.ui.call import CallView
from parley.ui.join import JoinView
from parley.ui.messages import call_title, needs_token, problem_text
from parley.ui.settings_dialog import SettingsDialog
from parley.ui.share_picker import SharePicker

if TYPE_CHECKING:
    from parley.qt.controller import SessionController
    from parley.qt.device_preview import DevicePreview
    from parley.sdk.devices import AvailableDevices

APP_NAME = "Parley"
CONNECTION_LOST_TEXT = "Connection lost. Please try again."
TIMED_OUT_TEXT = "Call ended due to inactivity"
MINIMUM_SIZE = (640, 480)


class MainWindow(QMainWindow):
    """Join screen until a call starts, call screen until it ends."""

    closed = Signal()

    def __init__(self, controller: SessionController, settings: AppSettings,
                 theme: Theme = Theme.LIGHT, preview: DevicePreview | None = None,
                 parent: QWidget | None = None, log_file: Path | None = None,
                 sounds: SoundPlayer | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._settings = settings
        self._preview = preview
        self.log_file = log_file
        """Where this run logs (the About box shows it)."""
        self.sounds = sounds if sounds is not None else SoundPlayer(parent=self)
        """Plays the test sound and the notices' sounds."""
        self.prefs = settings.load_app()
        self._devices: AvailableDevices | None = None
        self._closing: list[asyncio.Future[Any]] = []
        self.dialog: QDialog | None = None
        """The dialog open now (settings, About, share picker, leave question), if any."""
        self._after_leave: Callable[[], None] | None = None
        self.setWindowIcon(app_icon())
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(*MINIMUM_SIZE)
        self.icons = IconSet.for_theme(theme)
        self.theme = theme
        self.join_view = JoinView(self)
        self.call_view = CallView(self.icons, self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.join_view)
        self.stack.addWidget(self.call_view)
        self.setCentralWidget(self.stack)
        self.tray: QSystemTrayIcon | None = None
        self.join_view.load(settings.load_join())
        geometry = settings.geometry()
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1024, 720)
        self._wire(controller)
        if preview is not None:
            self._wire_preview(preview, self.icons)
        self._apply_prefs(self.prefs, theme=False)  # the theme given is the one showing
        controller.refreshDevices()

    def _wire(self, c: SessionController) -> None:
        self.call_view.bind(c)
        self.join_view.joinRequested.connect(self.request_join)
        self.join_view.testCallRequested.connect(self._on_test_call_requested)
        self.join_view.cancelRequested.connect(c.leave)
        for view in (self.join_view, self.call_view):
            view.settingsRequested.connect(self.open_settings)
            view.aboutRequested.connect(self.open_about)
        self.call_view.shareRequested.connect(self.open_share_picker)
        c.busyChanged.connect(self.join_view.set_busy)
        c.busyChanged.connect(self._on_busy)
        c.joinFailed.connect(self._on_join_failed)
        c.devicesChanged.connect(self.join_view.set_devices)
        c.devicesChanged.connect(self._remember_devices)
        c.sessionJoined.connect(self._on_joined)
        c.sessionLeft.connect(lambda: self._back_to_join(""))
        c.sessionTimedOut.connect(lambda: self._back_to_join(TIMED_OUT_TEXT, error=False))
        c.connectionClosed.connect(lambda: self._back_to_join(CONNECTION_LOST_TEXT))
        people = c.participants
        for signal in (people.participantsChanged, people.participantJoined,
                       people.participantLeft):
            signal.connect(self._update_title)
        c.connectionLost.connect(self._update_title)
        c.connectionRestored.connect(self._update_title)

    def _wire_preview(self, preview: DevicePreview, icons: IconSet) -> None:
        pane = self.join_view.enable_preview(icons)
        preview.frameReady.connect(pane.picture.set_image)
        preview.levelChanged.connect(pane.set_level)
        preview.deviceError.connect(lambda problem: pane.picture.set_text(problem_text(problem)))
        self.join_view.devicesChosen.connect(preview.start)
        preview.start(self.join_view.device_options())

    def _then(self, step: Callable[[], object]) -> None:
        """Run ``step`` once the preview let go of the devices (at once without one)."""
        if self._preview is None or not self._preview.running:
            step()
            return
        pane = self.join_view.preview
        if pane is not None:  # no frozen last frame while the devices go to the call
            pane.picture.set_image(None)
            pane.picture.set_text("Joining…")
        self._preview.stop().add_done_callback(lambda _: step())

    def _restart_preview(self) -> None:
        if self._preview is not None and not self._preview.running and not self.showing_call():
            self.join_view.refresh_preview()

    # -- screens --------------------------------------------------------------------------

    def showing_call(self) -> bool:
        return self.stack.currentWidget() is self.call_view

    def request_join(self, session_id: str, options: object, server: str, token: str) -> None:
        """Remember the form, free the devices from the preview, then join."""
        self._settings.save_join(self.join_view.preferences())
        options = self._with_processing(options)
        self._then(lambda: self._controller.join(session_id, options, server, token))

    def _with_processing(self, options: object) -> object:
        if not isinstance(options, JoinOptions):
            return options
        p = self.prefs
        return replace(options, echo_cancellation=p.echo_cancellation,
                       noise_suppression=p.noise_suppression,
                       auto_gain_control=p.auto_gain_control)

    def _on_test_call_requested(self, options: object) -> None:
        self._settings.save_join(self.join_view.preferences())
        options = self._with_processing(options)
        self._then(lambda: self._controller.startTestCall(options))

    def _on_join_failed(self, problem: Problem) -> None:
        if needs_token(problem):
            self.join_view.show_token_needed(problem_text(problem))
        else:
            self.join_view.show_error(problem_text(problem))

    def _on_busy(self, busy: bool) -> None:
        if not busy:  # a join failed or was cancelled: the preview comes back
            self._restart_preview()

    def _on_joined(self) -> None:
        self.join_view.clear_message()
        self.stack.setCurrentWidget(self.call_view)
        self._update_title()
        self._show_tray()

    def _back_to_join(self, message: str, *, error: bool = True) -> None:
        """The call ended: the join form comes back with its fields as they were."""
        self.stack.setCurrentWidget(self.join_view)
        self.join_view.set_busy(False)
        if not message:
            self.join_view.clear_message()
        elif error:
            self.join_view.show_error(message)
        else:
            self.join_view.show_notice(message)
        self._hide_tray()
        self._update_title()
        if self._preview is not None:
            self._preview.start(self.join_view.device_options())
        after, self._after_leave = self._after_leave, None
        if after is not None:
            after()

    def _update_title(self, *_: object) -> None:
        c = self._controller
        if not self.showing_call() or not c.session_id:
            self.setWindowTitle(APP_NAME)
            return
        n = self.call_view.participant_count()
        people = f"{n} {'person' if n == 1 else 'people'}"
        status = " — reconnecting" if c.state is SessionState.RECONNECTING else ""
        name = call_title(c.session_id, c.test_call.active)
        self.setWindowTitle(f"{name} ({people}){status} — {APP_NAME}")
        if self.tray is not None:
            self.tray.setToolTip(f"{APP_NAME}: in call {name} ({people}){status}")

    # -- links from outside (``--session``, a second start) ---------------------------------

    def open_link(self, link: str, server: str = "", token: str = "", name: str = "") -> None:
        """Show ``link`` (an invite or a session id) on the join screen, filled in; during a
        call, first ask whether to leave it. Nothing is joined without a click."""
        self._raise()

        def fill() -> None:
            self.join_view.fill_from_link(link, server, token, name)

        if self._controller.state not in (SessionState.JOINED, SessionState.RECONNECTING,
                                          SessionState.CONNECTING):
            fill()
            return
        question = QMessageBox(QMessageBox.Icon.Question, "Leave the call?",
                               f"You are in the call “{self._controller.session_id}”. "
                               "Leave it to open the invite?",
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                               self)
        question.setAccessibleName("Leave the call to open the invite?")
        question.setDefaultButton(QMessageBox.StandardButton.No)

        def answered(button: QAbstractButton) -> None:
            if question.standardButton(button) == QMessageBox.StandardButton.Yes:
                self._after_leave = fill
                self._controller.leave()

        question.buttonClicked.connect(answered)
        self._show_dialog(question)

    def open_link_none(self) -> None:
        """Another start without a link: just come to the front."""
        self._raise()

    # -- dialogs --------------------------------------------------------------------------

    def _show_dialog(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda *_: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _remember_devices(self, devices: AvailableDevices) -> None:
        self._devices = devices

    def open_settings(self) -> None:
        """The settings dialog; Save stores and applies it (theme at once)."""
        prefs = self.join_view.preferences()
        dialog = SettingsDialog(self.prefs, self._devices,
                                (prefs.camera, prefs.microphone, prefs.speaker), self)

        def test_sound(speaker: str) -> None:
            dialog.set_test_status("Playing…")
            self.sounds.speaker = speaker
            self.sounds.play("test")

        dialog.testSoundRequested.connect(test_sound)
        self.sounds.played.connect(dialog.sound_played)  # gone with the dialog
        self.sounds.failed.connect(dialog.sound_failed)
        dialog.accepted.connect(lambda: self._save_settings(dialog))
        self._show_dialog(dialog)

    def _save_settings(self, dialog: SettingsDialog) -> None:
        self.prefs = dialog.values()
        self._settings.save_app(self.prefs)
        self.join_view.choose_devices(*dialog.devices())
        self._settings.save_join(self.join_view.preferences())
        self._apply_prefs(self.prefs)

    def _apply_prefs(self, prefs: AppPreferences, theme: bool = True) -> None:
        self.sounds.speaker = self.join_view.preferences().speaker
        self.call_view.play_sound = self.sounds.play if prefs.notification_sounds else None
        if theme:
            self.apply_theme(resolve_theme(prefs.theme))

    def apply_theme(self, theme: Theme) -> None:
        """Show ``theme`` now: the style sheet and every icon."""
        app = QApplication.instance()
        self.theme = theme
        if isinstance(app, QApplication):
            app.setStyleSheet(stylesheet(theme))
        self.icons.set_theme(theme)
        self.call_view.retheme()

    def open_about(self) -> None:
        self._show_dialog(AboutDialog(self.log_file, self))

    def open_share_picker(self) -> None:
        """Pick a screen or window to share; Share starts sharing it."""
        picker = SharePicker(share_choices(own_windows=frozenset({int(self.winId())})), self)
        picker.accepted.connect(
            lambda: self._controller.startScreenShare(picker.chosen()))
        self._show_dialog(picker)

    # -- tray -----------------------------------------------------------------------------

    def _show_tray(self) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(app_icon(), self)
            menu = QMenu(self)
            show = QAction("Show Parley", menu)
            show.triggered.connect(self._raise)
            leave = QAction("Leave call", menu)
            leave.triggered.connect(self._controller.leave)
            menu.addAction(show)
            menu.addAction(leave)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(lambda _reason: self._raise())
        self._update_title()
        self.tray.show()

    def _hide_tray(self) -> None:
        if self.tray is not None:
            self.tray.hide()

    def _raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- closing --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Remember the form and geometry, drop every SDK listener, leave the call."""
        self.shut_down()
        self._settings.set_geometry(bytes(self.saveGeometry().data()))
        self._hide_tray()
        event.accept()
        self.closed.emit()

    def shut_down(self) -> None:
        """What closing does to the call, without touching the window system (which may be
        gone): remember the form, drop every SDK listener, leave the call."""
        self._settings.save_join(self.join_view.preferences())
        self._controller.dispose()
        if self._preview is not None:
            self._closing.append(self._preview.stop())

    async def wait_closed(self) -> None:
        """Wait until the call is left and the devices are closed (after ``close()``)."""
        await self._controller.wait_closed()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
