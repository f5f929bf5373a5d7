"""Bars across the top of the stage: the idle warning, and "You are sharing your screen"."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

IDLE_TEXT = "You're the only one here. Still there?"
SHARING_TEXT = "You are sharing your screen"


class _Bar(QFrame):
    def __init__(self, name: str, text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.label = QLabel(text, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail = QLabel("", self)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(16, 6, 10, 6)
        self.row.addWidget(self.label)
        self.row.addWidget(self.detail)
        self.row.addStretch(1)
        self.hide()

    def button(self, text: str, accessible: str, primary: bool = False) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(accessible)
        if primary:
            button.setObjectName("primaryButton")
        self.row.addWidget(button)
        return button


class IdleWarningBar(_Bar):
    """"You're the only one here. Still there? — Stay / Leave", with the seconds left."""

    stayClicked = Signal()
    leaveClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("idleWarning", IDLE_TEXT, parent)
        self.setAccessibleName(IDLE_TEXT)
        self.stay_button = self.button("Stay", "Stay in the call", primary=True)
        self.leave_button = self.button("Leave", "Leave the call")
        self.stay_button.clicked.connect(self.stayClicked)
        self.leave_button.clicked.connect(self.leaveClicked)
        self._left = 0.0
        self._clock = QElapsedTimer()
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)
        self._ticker.timeout.connect(self._tick)

    def warn(self, seconds_left: float) -> None:
        """Show the warning; it counts down from ``seconds_left``."""
        self._left = seconds_left
        self._clock.start()
        self._tick()
        self.show()
        self._ticker.start()
        self.stay_button.setFocus()

    def dismiss(self) -> None:
        self._ticker.stop()
        self.hide()

    def seconds_left(self) -> int:
        elapsed = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        return max(0, round(self._left - elapsed))

    def _tick(self) -> None:
        self.detail.setText(f"The call ends in {self.seconds_left()} s.")


class SharingBar(_Bar):
    """"You are sharing your screen — Stop" while your screen share runs."""

    stopClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("sharingBar", SHARING_TEXT, parent)
        self.setAccessibleName(SHARING_TEXT)
        self.stop_button = self.button("Stop sharing", "Stop sharing your screen",
                                       primary=True)
        self.stop_button.clicked.connect(self.stopClicked)

    def set_sharing(self, sharing: bool, what: str = "") -> None:
        """Show the bar while sharing; ``what`` names the screen or window shared."""
        self.detail.setText(f"— {what}" if what else "—")
        self.setVisible(sharing)
