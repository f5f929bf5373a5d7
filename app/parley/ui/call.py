"""The call screen: header (title, timer, invite), video stage, panel, control bar.

``bind(controller)`` connects it to a SessionController; every reaction is a
plain method, so the screen can also be driven directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from parley.qt.options import ParticipantLike
from parley.qt.problems import Problem
from parley.qt.resources import IconSet
from parley.ui.controls import ControlBar
from parley.ui.grid import VideoGrid
from parley.ui.messages import call_title, problem_text
from parley.ui.overlay import ReconnectingOverlay
from parley.ui.panel import ParticipantsPanel

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

    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._controller: SessionController | None = None
        self._participants: dict[str, ParticipantLike] = {}
        self._invite = ""
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(250)  # a quarter: the shown second never skips
        self._timer.timeout.connect(self._tick)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)

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
        self.copy_button.setIcon(icons("link"))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setShortcut(COPY_SHORTCUT)
        self.copy_button.setToolTip(f"Copy a link others can join with ({COPY_SHORTCUT})")
        self.copy_button.clicked.connect(self.copy_invite)
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

        self.stage = QWidget(self)
        self.stage.setObjectName("stage")
        self.stage.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.grid = VideoGrid(self.stage)
        stage_layout = QVBoxLayout(self.stage)
        stage_layout.setContentsMargins(0, 0, 0, 0)
        stage_layout.addWidget(self.grid)
        self.overlay = ReconnectingOverlay(self.stage)
        self.panel = ParticipantsPanel(icons, self)
        self.panel.hide()
        self.controls = ControlBar(icons, self)
        self.controls.participantsClicked.connect(self.toggle_panel)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.stage, 1)
        body.addWidget(self.panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addLayout(body, 1)
        layout.addWidget(self.controls)

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
        c.mediaError.connect(self.show_problem)
        self.controls.micClicked.connect(c.own_media.toggleAudio)
        self.controls.cameraClicked.connect(c.own_media.toggleVideo)
        self.controls.shareClicked.connect(c.own_media.toggleScreenShare)
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
        self.controls.set_controls_enabled(True)
        self._clock.start()
        self._tick()
        self._timer.start()
        self._sync_controls()

    def on_connection_lost(self) -> None:
        self.overlay.start()
        self.controls.set_controls_enabled(False)
        self.copy_button.setEnabled(False)

    def on_connection_restored(self) -> None:
        self.overlay.stop()
        self.controls.set_controls_enabled(True)
        self.copy_button.setEnabled(bool(self._invite))

    def on_ended(self) -> None:
        """The call is over (left, timed out or closed): stop and clear."""
        self._timer.stop()
        self.overlay.stop()
        self.controls.set_controls_enabled(True)
        self._participants.clear()
        self.grid.clear()
        self.panel.clear()
        self._update_count()

    def set_participants(self, participants: list[ParticipantLike]) -> None:
        self._participants = {p.id: p for p in participants}
        self.grid.set_participants(participants)
        self._refresh_lists()

    def add_participant(self, participant: ParticipantLike) -> None:
        self._participants[participant.id] = participant
        self.grid.add_participant(participant)
        self._refresh_lists()

    def update_participant(self, participant: ParticipantLike) -> None:
        if participant.id not in self._participants:
            return  # an update racing a departure
        self._participants[participant.id] = participant
        self.grid.update_participant(participant)
        self._refresh_lists()

    def remove_participant(self, participant: ParticipantLike) -> None:
        self._participants.pop(participant.id, None)
        self.grid.remove_participant(participant)
        self._refresh_lists()

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

    def participant_count(self) -> int:
        return len(self._participants)

    def timer_text(self) -> str:
        return self.timer_label.text()

    # -- internals ------------------------------------------------------------------------

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
        own = self._controller.participants.own
        self.controls.set_state(audio_muted=own.audio_muted, video_paused=own.video_paused,
                                sharing=own.screen_sharing, hand_raised=own.hand_raised)
