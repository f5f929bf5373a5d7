"""The call screen: header, banners, video stage with notices, side panels, control bar.

``bind(controller)`` connects it to a SessionController; every reaction is a plain
method, so the screen can also be driven directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from parley.qt.options import ParticipantLike
from parley.qt.problems import Problem
from parley.qt.resources import IconSet
from parley.ui.banners import IdleWarningBar, SharingBar
from parley.ui.chat_panel import ChatPanel
from parley.ui.controls import ControlBar
from parley.ui.grid import Layout, VideoGrid
from parley.ui.messages import call_title, notice_text, problem_text
from parley.ui.overlay import ReconnectingOverlay
from parley.ui.panel import ParticipantsPanel
from parley.ui.toast import ToastStack
from parley.ui.widgets import settings_menu_button

if TYPE_CHECKING:
    from parley.qt.controller import SessionController

COPY_SHORTCUT = "Ctrl+Shift+C"


def format_duration(seconds: int) -> str:
    """"00:07", "12:34", "1:02:03"."""
    minutes, secs = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallView(QWidget):
    """Everything shown while in a call."""

    inviteCopied = Signal(str)
    leaveRequested = Signal()  # the Leave button (the window may ask the host first)
    shareRequested = Signal()  # the share button, while not sharing: pick what to share
    settingsRequested = Signal()
    aboutRequested = Signal()

    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._icons = icons
        self._controller: SessionController | None = None
        self._participants: dict[str, ParticipantLike] = {}
        self._invite = ""
        self._settling = False  # the welcome's list arrives as joins: no notices for it
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        """Opens a safe link clicked in the chat (a test may replace it)."""
        self.play_sound: Callable[[str], object] | None = None
        """Plays a notice's sound ("joined", "left", "hand"); None: notices are silent."""
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(250)  # a quarter: the shown second never skips
        self._timer.timeout.connect(self._tick)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)

        header = self._header(icons)
        self.idle_bar = IdleWarningBar(self)
        self.sharing_bar = SharingBar(self)
        self.stage = QWidget(self)
        self.stage.setObjectName("stage")
        self.stage.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.grid = VideoGrid(self.stage)
        stage_layout = QVBoxLayout(self.stage)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        stage_layout.addWidget(self.grid)
        self.toasts = ToastStack(self.stage)
        self.overlay = ReconnectingOverlay(self.stage)
        self.panel = ParticipantsPanel(icons, self)
        self.panel.hide()
        self.chat = ChatPanel(self)
        self.chat.hide()
        self.chat.linkOpened.connect(lambda url: self.open_url(url))
        self.controls = ControlBar(icons, self)
        self.controls.participantsClicked.connect(self.toggle_panel)
        self.controls.chatClicked.connect(self.toggle_chat)
        self.controls.viewChosen.connect(lambda key: self.grid.set_layout(Layout(key)))
        self.controls.floatingSelfToggled.connect(self.grid.set_floating_self)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.stage, 1)
        body.addWidget(self.panel)
        body.addWidget(self.chat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in (header, self.idle_bar, self.sharing_bar):
            layout.addWidget(widget)
        layout.addLayout(body, 1)
        layout.addWidget(self.controls)

    def _header(self, icons: IconSet) -> QFrame:
        header = QFrame(self)
        header.setObjectName("callHeader")
        self.title = QLabel("", header)
        self.title.setObjectName("callTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # names and ids are never markup
        self.count = QLabel("", header)
        self.count.setObjectName("subtitle")
        self.timer_label = QLabel("00:00", header)
        self.timer_label.setObjectName("callTimer")
        self.timer_label.setAccessibleName("Call duration")
        self.copy_button = QToolButton(header)
        self.copy_button.setObjectName("copyInviteButton")
        self.copy_button.setText("Copy invite link")
        self.copy_button.setAccessibleName("Copy invite link")
        self.copy_button.setIcon(icons("link"))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setShortcut(COPY_SHORTCUT)
        self.copy_button.setToolTip(f"Copy a link others can join with ({COPY_SHORTCUT})")
        self.copy_button.clicked.connect(self.copy_invite)
        self.menu_button = settings_menu_button(self, self.settingsRequested,
                                                self.aboutRequested, icons("settings"))
        self.notice = QLabel("", header)
        self.notice.setObjectName("noticeLabel")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.hide()
        self._notice_timer.timeout.connect(self.notice.hide)
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 8, 12, 8)
        row.addWidget(self.title)
        row.addWidget(self.count)
        row.addStretch(1)
        row.addWidget(self.notice)
        row.addWidget(self.timer_label)
        row.addWidget(self.copy_button)
        row.addWidget(self.menu_button)
        return header

    # -- wiring ---------------------------------------------------------------------------

    @property
    def controller(self) -> SessionController | None:
        """The controller ``bind`` connected this screen to."""
        return self._controller

    def bind(self, controller: SessionController) -> None:
        """Connect to ``controller``'s signals and route the buttons to its slots."""
        self._controller = controller
        c = controller
        c.sessionJoined.connect(self.on_joined)
        c.connectionLost.connect(self.on_connection_lost)
        c.connectionRestored.connect(self.on_connection_restored)
        for ended in (c.sessionLeft, c.sessionTimedOut, c.connectionClosed):
            ended.connect(self.on_ended)
        people = c.participants
        people.participantsChanged.connect(self.set_participants)
        people.participantJoined.connect(self.add_participant)
        people.participantUpdated.connect(self.update_participant)
        people.participantLeft.connect(self.remove_participant)
        people.dominantSpeakerChanged.connect(self.grid.set_dominant)
        people.ownMediaChanged.connect(self._sync_controls)
        c.video.frameReady.connect(self.grid.set_frame)
        self.grid.framePainted.connect(c.video.framePainted)
        self.grid.tileSized.connect(c.video.tileSized)
        c.quality.qualityChanged.connect(self.grid.set_quality)
        c.mediaError.connect(self.show_problem)
        c.idleWarning.connect(self.idle_bar.warn)
        c.chat.messageReceived.connect(self.add_chat_entry)
        self.chat.sendRequested.connect(c.chat.send)
        self.idle_bar.stayClicked.connect(self._stay)
        self.idle_bar.leaveClicked.connect(c.leave)  # alone: nobody to end the call for
        self.sharing_bar.stopClicked.connect(c.own_media.toggleScreenShare)
        self.controls.micClicked.connect(c.own_media.toggleAudio)
        self.controls.cameraClicked.connect(c.own_media.toggleVideo)
        self.controls.shareClicked.connect(self._share_clicked)
        self.controls.handClicked.connect(c.own_media.toggleHand)
        self.controls.leaveClicked.connect(self.leaveRequested)

    # -- reactions ------------------------------------------------------------------------

    def on_joined(self) -> None:
        """A call started: reset the screen and start the timer."""
        c = self._controller
        self._invite = c.invite_link() if c else ""
        self.title.setText(call_title(c.session_id, c.test_call.active) if c else "")
        self.copy_button.setEnabled(bool(self._invite))
        self.overlay.stop()
        self.idle_bar.dismiss()
        self.controls.set_controls_enabled(True)
        self.chat.set_enabled(True)
        self.chat.set_entries(c.chat.entries() if c else ())
        self._settling = True
        QTimer.singleShot(0, self._settled)
        self._clock.start()
        self._tick()
        self._timer.start()
        self._sync_controls()

    def _settled(self) -> None:
        self._settling = False

    def on_connection_lost(self) -> None:
        self.overlay.start(self._controller.reconnect_timeout if self._controller else 0.0)
        self.controls.set_controls_enabled(False)
        self.chat.set_enabled(False)
        self.copy_button.setEnabled(False)

    def on_connection_restored(self) -> None:
        self.overlay.stop()
        self.controls.set_controls_enabled(True)
        self.chat.set_enabled(True)
        self.copy_button.setEnabled(bool(self._invite))

    def on_ended(self) -> None:
        """The call is over (left, timed out or closed): stop and clear."""
        self._timer.stop()
        self.overlay.stop()
        self.idle_bar.dismiss()
        self.sharing_bar.set_sharing(False)
        self.controls.set_controls_enabled(True)
        self._participants.clear()
        self.grid.clear()
        self.panel.clear()
        self.chat.clear()
        self.toasts.clear()
        self.controls.set_unread(0)
        self._update_count()

    def set_participants(self, participants: list[ParticipantLike]) -> None:
        self._participants = {p.id: p for p in participants}
        self.grid.set_participants(participants)
        self._refresh_lists()

    def add_participant(self, participant: ParticipantLike) -> None:
        self._participants[participant.id] = participant
        self.grid.add_participant(participant)
        self._refresh_lists()
        self.idle_bar.dismiss()  # not alone any more
        self._notify(participant, "joined")

    def update_participant(self, participant: ParticipantLike) -> None:
        before = self._participants.get(participant.id)
        if before is None:
            return  # an update racing a departure
        self._participants[participant.id] = participant
        self.grid.update_participant(participant)
        self._refresh_lists()
        if participant.hand_raised and not before.hand_raised:
            self._notify(participant, "hand")

    def remove_participant(self, participant: ParticipantLike) -> None:
        self._participants.pop(participant.id, None)
        self.grid.remove_participant(participant)
        self._refresh_lists()
        self._notify(participant, "left")

    def add_chat_entry(self, entry: Any) -> None:
        self.chat.add_entry(entry)
        if not self.chat.isVisible() and not entry.participant.is_local:
            self.controls.set_unread(self.controls.unread() + 1)

    def set_invite(self, link: str) -> None:
        self._invite = link
        self.copy_button.setEnabled(bool(link))

    def copy_invite(self) -> None:
        if not self._invite:
            return
        QGuiApplication.clipboard().setText(self._invite)
        self.show_notice("Invite link copied")
        self.inviteCopied.emit(self._invite)

    def show_problem(self, problem: Problem) -> None:
        """Say what went wrong in the header for a few seconds (the call goes on)."""
        self.show_notice(problem_text(problem))

    def show_notice(self, text: str, msec: int = 4000) -> None:
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start(msec)

    def toggle_panel(self) -> None:
        self.panel.setVisible(not self.panel.isVisible())
        self.controls.set_panel_open(self.panel.isVisible())

    def toggle_chat(self) -> None:
        self.chat.setVisible(not self.chat.isVisible())
        self.controls.set_chat_open(self.chat.isVisible())
        if self.chat.isVisible():
            self.controls.set_unread(0)
            self.chat.input.setFocus()

    def retheme(self) -> None:
        """Redraw the icons in the icon set's (new) colour."""
        self.copy_button.setIcon(self._icons("link"))
        self.menu_button.setIcon(self._icons("settings"))
        self.controls.retheme()
        self.panel.set_participants(self._participants.values())

    def participant_count(self) -> int:
        return len(self._participants)

    def timer_text(self) -> str:
        return self.timer_label.text()

    # -- internals ------------------------------------------------------------------------

    def _notify(self, participant: ParticipantLike, what: str) -> None:
        if self._settling or participant.is_local:
            return
        self.toasts.show_toast(notice_text(participant.name, what))
        if self.play_sound is not None:
            self.play_sound(what)

    def _stay(self) -> None:
        self.idle_bar.dismiss()
        if self._controller is not None:
            self._controller.stay()

    def _share_clicked(self) -> None:
        c = self._controller
        if c is not None and c.participants.own.screen_sharing:
            c.own_media.toggleScreenShare()
        else:
            self.shareRequested.emit()

    def _tick(self) -> None:
        seconds = int(self._clock.elapsed() // 1000) if self._clock.isValid() else 0
        self.timer_label.setText(format_duration(seconds))

    def _refresh_lists(self) -> None:
        self.panel.set_participants(self._participants.values())
        self._update_count()

    def _update_count(self) -> None:
        n = len(self._participants)
        self.count.setText("" if n == 0 else f"· {n} {'person' if n == 1 else 'people'}")

    def _sync_controls(self) -> None:
        if self._controller is None:
            return
        c = self._controller
        own = c.participants.own
        self.controls.set_state(audio_muted=own.audio_muted, video_paused=own.video_paused,
                                sharing=own.screen_sharing, hand_raised=own.hand_raised)
        self.sharing_bar.set_sharing(own.screen_sharing, c.own_media.share_description)
