"""The main window: the join screen and the call screen in a stack, the hosting bar and
the lobby's admit prompt above them, the tray icon, and the dialogs (settings, About,
the screen-share picker, "leave this call for that link?")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from parley.qt.problems import Problem
from parley.qt.resources import IconSet, Theme, app_icon, resolve_theme, stylesheet
from parley.qt.settings import AppPreferences, AppSettings
from parley.qt.share_sources import share_choices
from parley.qt.sounds import SoundPlayer
from parley.sdk import SessionState
from parley.ui.about import AboutDialog
from parley.ui.call import CallView
from parley.ui.hosting import HostingPanel
from parley.ui.join import JoinView
from parley.ui.lobby import AdmitPrompt
from parley.ui.messages import (
    WAITING_FOR_HOST_TEXT,
    call_ended_text,
    call_status,
    needs_token,
    problem_text,
)
from parley.ui.questions import LeaveFlow, ask_leave_for_invite
from parley.ui.settings_dialog import SettingsDialog
from parley.ui.share_picker import SharePicker
from parley.ui.tray import CallTray
from parley.ui.widgets import DialogSlot

if TYPE_CHECKING:
    from parley.qt.controller import SessionController
    from parley.qt.device_preview import DevicePreview
    from parley.sdk.devices import AvailableDevices

APP_NAME = "Parley"
CONNECTION_LOST_TEXT = "Connection lost. Please try again."
TIMED_OUT_TEXT = "Call ended due to inactivity"
MINIMUM_SIZE = (640, 480)
_IN_CALL = (SessionState.JOINED, SessionState.RECONNECTING, SessionState.CONNECTING)


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
        self._dialogs = DialogSlot()
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
        self.hosting_panel = HostingPanel(self)
        self.admit_prompt = AdmitPrompt(self)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        for widget in (self.hosting_panel, self.admit_prompt, self.stack):
            column.addWidget(widget)
        column.setStretch(2, 1)
        self.setCentralWidget(central)
        self._leave = LeaveFlow(self, controller, self.host_with_others)
        self._close_confirmed = False
        self._tray = CallTray(self, self._raise, controller.leave)
        self.join_view.load(settings.load_join())
        self.join_view.advanced.set_discovery(self.prefs.discovery)
        geometry = settings.geometry()
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1024, 720)
        self._wire(controller)
        if preview is not None:
            self._wire_preview(preview, self.icons)
        self._apply_prefs(self.prefs, theme=False)  # the theme given is the one showing
        controller.devices.refresh()

    @property
    def tray(self) -> QSystemTrayIcon | None:
        """The tray icon, once a call showed it."""
        return self._tray.icon

    @property
    def dialog(self) -> QDialog | None:
        """The dialog open now (settings, About, share picker, leave question), if any."""
        return self._dialogs.current

    @property
    def in_call(self) -> bool:
        """A call is being joined or held."""
        return self._controller.state in _IN_CALL

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
        c.devices.devicesChanged.connect(self.join_view.set_devices)
        c.devices.devicesChanged.connect(self._remember_devices)
        c.sessionJoined.connect(self._on_joined)
        c.sessionLeft.connect(lambda: self._back_to_join(call_ended_text(c.session.end_reason),
                                                         error=False))
        c.sessionTimedOut.connect(lambda: self._back_to_join(TIMED_OUT_TEXT, error=False))
        c.connectionClosed.connect(lambda: self._back_to_join(CONNECTION_LOST_TEXT))
        people = c.participants
        for signal in (people.participantsChanged, people.participantJoined,
                       people.participantLeft):
            signal.connect(self._update_title)
        c.connectionLost.connect(self._update_title)
        c.connectionRestored.connect(self._update_title)
        self._wire_hosting(c)

    def _wire_hosting(self, c: SessionController) -> None:
        """New call, its link, Ask to join on both sides, and the host's last question."""
        self.join_view.set_hosting_available(c.hosting.available)
        self.join_view.newCallRequested.connect(self.request_new_call)
        self.join_view.discoveryToggled.connect(self._discovery_toggled)
        c.hostingStarted.connect(lambda hosted: self.hosting_panel.show_link(hosted.invite))
        c.lobby.waitingForHost.connect(lambda: self.join_view.show_notice(WAITING_FOR_HOST_TEXT))
        c.lobby.requestsChanged.connect(self.admit_prompt.set_requests)
        self.admit_prompt.admitClicked.connect(c.lobby.admit)
        self.admit_prompt.denyClicked.connect(c.lobby.deny)
        self.call_view.leaveRequested.connect(self.request_leave)

    def _wire_preview(self, preview: DevicePreview, icons: IconSet) -> None:
        self.join_view.enable_preview(icons).follow(preview)
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
        options = self.prefs.with_audio_processing(options)
        self._then(lambda: self._controller.join(session_id, options, server, token))

    def request_new_call(self, options: object) -> None:
        """Remember the form, free the devices from the preview, then host a call."""
        self._settings.save_join(self.join_view.preferences())
        options = self.prefs.with_audio_processing(options)
        self._then(lambda: self._controller.newCall(options))

    def host_with_others(self) -> bool:
        """You host the call you are in, and somebody else is in it."""
        return (self.showing_call() and self._controller.session.is_host
                and self.call_view.participant_count() > 1)

    def request_leave(self, then: Callable[[], object] | None = None) -> None:
        """Leave the call; a host with others in it is asked first whether to end it for
        everyone (``then`` runs once the question is answered with anything but Cancel)."""
        self._leave.request(then)

    def end_question(self) -> QMessageBox | None:
        """The "End the call for everyone?" box while it is open."""
        return self._leave.question

    def _on_test_call_requested(self, options: object) -> None:
        self._settings.save_join(self.join_view.preferences())
        options = self.prefs.with_audio_processing(options)
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
        self._tray.show(self._tray_tip())

    def _back_to_join(self, message: str, *, error: bool = True) -> None:
        """The call ended: the join form comes back with its fields as they were."""
        self.stack.setCurrentWidget(self.join_view)
        self.join_view.set_busy(False)
        self.hosting_panel.hide()
        self.admit_prompt.set_requests([])
        if not message:
            self.join_view.clear_message()
        elif error:
            self.join_view.show_error(message)
        else:
            self.join_view.show_notice(message)
        self._tray.hide()
        self._update_title()
        if self._preview is not None:
            self._preview.start(self.join_view.device_options())
        after, self._after_leave = self._after_leave, None
        if after is not None:
            after()

    def _call_name(self) -> str:
        """'standup (2 people) — reconnecting', or "" when not showing a call."""
        c = self._controller
        if not self.showing_call() or not c.session_id:
            return ""
        return call_status(c.session_id, c.test_call.active, self.call_view.participant_count(),
                           c.state is SessionState.RECONNECTING)

    def _tray_tip(self) -> str:
        return f"{APP_NAME}: in call {self._call_name()}"

    def _update_title(self, *_: object) -> None:
        name = self._call_name()
        self.setWindowTitle(f"{name} — {APP_NAME}" if name else APP_NAME)
        if name:
            self._tray.set_tooltip(self._tray_tip())

    # -- links from outside (``--session``, a second start) ---------------------------------

    def open_link(self, link: str, server: str = "", token: str = "", name: str = "") -> None:
        """Show ``link`` (an invite or a session id) on the join screen, filled in; during a
        call, first ask whether to leave it. Nothing is joined without a click."""
        self._raise()

        def fill() -> None:
            self.join_view.fill_from_link(link, server, token, name)

        if not self.in_call:
            fill()
            return

        def leave() -> None:
            self._after_leave = fill
            self._controller.leave()

        self._dialogs.open(ask_leave_for_invite(self, self._controller.session_id, leave))

    def open_link_none(self) -> None:
        """Another start without a link: just come to the front."""
        self._raise()

    # -- dialogs --------------------------------------------------------------------------

    def _remember_devices(self, devices: AvailableDevices) -> None:
        self._devices = devices

    def open_settings(self) -> None:
        """The settings dialog; Save stores and applies it (theme at once)."""
        prefs = self.join_view.preferences()
        self.prefs.discovery = self.join_view.discovery_check.isChecked()
        dialog = SettingsDialog(self.prefs, self._devices,
                                (prefs.camera, prefs.microphone, prefs.speaker), self)
        dialog.play_test_sound_on(self.sounds)
        dialog.accepted.connect(lambda: self._save_settings(dialog))
        self._dialogs.open(dialog)

    def _save_settings(self, dialog: SettingsDialog) -> None:
        discovery_was = self.prefs.discovery
        self.prefs = dialog.values()
        self._settings.save_app(self.prefs)
        self.join_view.choose_devices(*dialog.devices())
        self._controller.own_media.useDevices(*dialog.devices())  # mid-call: at once
        self._settings.save_join(self.join_view.preferences())
        self._apply_prefs(self.prefs)
        if self.prefs.discovery != discovery_was:  # as the join screen's switch does
            self.join_view.advanced.set_discovery(self.prefs.discovery)
            self.join_view.discoveryToggled.emit(self.prefs.discovery)

    def _discovery_toggled(self, enabled: bool) -> None:
        self.prefs.discovery = enabled
        self._settings.set_discovery_enabled(enabled)

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
        self._dialogs.open(AboutDialog(self.log_file, self))

    def open_share_picker(self) -> None:
        """Pick a screen or window to share; Share starts sharing it."""
        picker = SharePicker(share_choices(own_windows=frozenset({int(self.winId())})), self)
        picker.accepted.connect(
            lambda: self._controller.own_media.startScreenShare(picker.chosen()))
        self._dialogs.open(picker)

    def _raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- closing --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Remember the form and geometry, drop every SDK listener, leave the call. A host
        with others in the call is asked first (the window closes once answered)."""
        if not self._close_confirmed and self.host_with_others():
            event.ignore()
            self.request_leave(then=self._close_after_question)
            return
        self.shut_down()
        self._settings.set_geometry(bytes(self.saveGeometry().data()))
        self._tray.hide()
        event.accept()
        self.closed.emit()

    def _close_after_question(self) -> None:
        self._close_confirmed = True
        self.close()

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
