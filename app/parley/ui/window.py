"""The main window: the join screen and the call screen in a stack, plus the tray icon."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from parley.qt.problems import Problem
from parley.qt.resources import IconSet, Theme, app_icon
from parley.qt.settings import AppSettings
from parley.sdk import SessionState
from parley.ui.call import CallView
from parley.ui.hosting import HostingPanel, ask_end_for_everyone
from parley.ui.join import JoinView
from parley.ui.lobby import AdmitPrompt
from parley.ui.messages import (
    WAITING_FOR_HOST_TEXT,
    call_ended_text,
    call_title,
    problem_text,
)

if TYPE_CHECKING:
    from parley.qt.controller import SessionController
    from parley.qt.device_preview import DevicePreview

APP_NAME = "Parley"
CONNECTION_LOST_TEXT = "Connection lost. Please try again."
TIMED_OUT_TEXT = "Call ended due to inactivity"


class MainWindow(QMainWindow):
    """Join screen until a call starts, call screen until it ends."""

    closed = Signal()

    def __init__(self, controller: SessionController, settings: AppSettings,
                 theme: Theme = Theme.LIGHT, preview: DevicePreview | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._settings = settings
        self._preview = preview
        self._closing: list[asyncio.Future[Any]] = []
        self.setWindowIcon(app_icon())
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(720, 520)
        icons = IconSet.for_theme(theme)
        self.join_view = JoinView(self)
        self.call_view = CallView(icons, self)
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
        self._end_question: QMessageBox | None = None
        self._close_confirmed = False
        self.tray: QSystemTrayIcon | None = None
        self.join_view.load(settings.load_join())
        self.join_view.advanced.set_discovery(settings.discovery_enabled())
        geometry = settings.geometry()
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1024, 720)
        self._wire(controller)
        if preview is not None:
            self._wire_preview(preview, icons)
        controller.devices.refresh()

    def _wire(self, c: SessionController) -> None:
        self.call_view.bind(c)
        self.join_view.joinRequested.connect(self.request_join)
        self.join_view.testCallRequested.connect(self._on_test_call_requested)
        self.join_view.cancelRequested.connect(c.leave)
        c.busyChanged.connect(self.join_view.set_busy)
        c.joinFailed.connect(self._on_join_failed)
        c.devices.devicesChanged.connect(self.join_view.set_devices)
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
        self.join_view.discoveryToggled.connect(self._settings.set_discovery_enabled)
        c.hostingStarted.connect(lambda hosted: self.hosting_panel.show_link(hosted.invite))
        c.lobby.waitingForHost.connect(lambda: self.join_view.show_notice(WAITING_FOR_HOST_TEXT))
        c.lobby.requestsChanged.connect(self.admit_prompt.set_requests)
        self.admit_prompt.admitClicked.connect(c.lobby.admit)
        self.admit_prompt.denyClicked.connect(c.lobby.deny)
        self.call_view.leaveRequested.connect(self.request_leave)

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
        self._preview.stop().add_done_callback(lambda _: step())

    # -- screens --------------------------------------------------------------------------

    def showing_call(self) -> bool:
        return self.stack.currentWidget() is self.call_view

    def request_join(self, session_id: str, options: object, server: str, token: str) -> None:
        """Remember the form, free the devices from the preview, then join."""
        self._settings.save_join(self.join_view.preferences())
        self._then(lambda: self._controller.join(session_id, options, server, token))

    def request_new_call(self, options: object) -> None:
        """Remember the form, free the devices from the preview, then host a call."""
        self._settings.save_join(self.join_view.preferences())
        self._then(lambda: self._controller.newCall(options))

    def host_with_others(self) -> bool:
        """You host the call you are in, and somebody else is in it."""
        return (self.showing_call() and self._controller.session.is_host
                and self.call_view.participant_count() > 1)

    def request_leave(self, then: Callable[[], object] | None = None) -> None:
        """Leave the call; a host with others in it is asked first whether to end it for
        everyone (``then`` runs once the question is answered with anything but Cancel)."""
        if not self.host_with_others():
            self._controller.leave()
            if then is not None:
                then()
            return
        if self._end_question is not None:
            return

        def answered(choice: str) -> None:
            self._end_question = None
            if choice == "cancel":
                return
            ending = (self._controller.endForEveryone() if choice == "end"
                      else self._controller.leave())
            if then is not None:
                ending.add_done_callback(lambda _: then())

        self._end_question = ask_end_for_everyone(self, answered)

    def end_question(self) -> QMessageBox | None:
        """The "End the call for everyone?" box while it is open."""
        return self._end_question

    def _on_test_call_requested(self, options: object) -> None:
        self._settings.save_join(self.join_view.preferences())
        self._then(lambda: self._controller.startTestCall(options))

    def _on_join_failed(self, problem: Problem) -> None:
        self.join_view.show_error(problem_text(problem))

    def _on_joined(self) -> None:
        self.join_view.clear_message()
        self.stack.setCurrentWidget(self.call_view)
        self._update_title()
        self._show_tray()

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
        self._hide_tray()
        self._update_title()
        if self._preview is not None:
            self._preview.start(self.join_view.device_options())

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
        """Remember the form and geometry, drop every SDK listener, leave the call. A host
        with others in the call is asked first (the window closes once answered)."""
        if not self._close_confirmed and self.host_with_others():
            event.ignore()
            self.request_leave(then=self._close_after_question)
            return
        self._settings.save_join(self.join_view.preferences())
        self._settings.set_geometry(bytes(self.saveGeometry().data()))
        self._controller.dispose()
        if self._preview is not None:
            self._closing.append(self._preview.stop())
        self._hide_tray()
        event.accept()
        self.closed.emit()

    def _close_after_question(self) -> None:
        self._close_confirmed = True
        self.close()

    async def wait_closed(self) -> None:
        """Wait until the call is left and the devices are closed (after ``close()``)."""
        await self._controller.wait_closed()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
