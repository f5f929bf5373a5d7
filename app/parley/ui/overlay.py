"""The "Reconnecting…" overlay: translucent cover, spinner, seconds spent trying."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

RECONNECTING_TEXT = "Reconnecting…"


class Spinner(QWidget):
    """An arc that turns while visible (it stops its timer when hidden)."""

    def __init__(self, parent: QWidget | None = None, side: int = 48) -> None:
        super().__init__(parent)
        self.setFixedSize(side, side)
        self._angle = 0
        self._timer = QTimer(self)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self._turn)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_spinning(self) -> bool:
        return self._timer.isActive()

    def _turn(self) -> None:
        self._angle = (self._angle + 12) % 360
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        painter.setPen(QPen(QColor(255, 255, 255, 60), 4))
        painter.drawEllipse(rect)
        pen = QPen(QColor("#ffffff"), 4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawArc(rect, -self._angle * 16, 100 * 16)
        painter.end()


class ReconnectingOverlay(QWidget):
    """Covers its parent while the connection is being re-established.

    It follows its parent's size, counts the seconds since ``start()`` and
    swallows mouse input to what it covers (it is a child painted on top).
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._covered = parent
        self.setObjectName("reconnectingOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(RECONNECTING_TEXT)
        self._clock = QElapsedTimer()
        self._total = 0.0
        self._spinner = Spinner(self)
        self._title = QLabel(RECONNECTING_TEXT, self)
        self._title.setObjectName("overlayTitle")
        self._title.setStyleSheet("color: #ffffff; font-size: 16pt; font-weight: 600;")
        self._detail = QLabel("", self)
        self._detail.setObjectName("overlayDetail")
        self._detail.setTextFormat(Qt.TextFormat.PlainText)
        self._detail.setStyleSheet("color: #e0e3ea;")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self._spinner, self._title, self._detail):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)  # a quarter: the shown second never skips
        self._ticker.timeout.connect(self._tick)
        parent.installEventFilter(self)
        self.hide()

    def start(self, total: float = 0.0) -> None:
        """Show the overlay and start counting (up to ``total`` seconds, when given)."""
        self._total = total
        self._clock.start()
        self._tick()
        self.setGeometry(self._covered.rect())
        self.show()
        self.raise_()
        self._spinner.start()
        self._ticker.start()

    def stop(self) -> None:
        """Hide the overlay."""
        self._ticker.stop()
        self._spinner.stop()
        self.hide()

    def is_active(self) -> bool:
        return self._ticker.isActive()

    def title(self) -> str:
        return self._title.text()

    def detail(self) -> str:
        return self._detail.text()

    def seconds(self) -> int:
        """Whole seconds since the overlay appeared."""
        return int(self._clock.elapsed() // 1000) if self._clock.isValid() else 0

    def _tick(self) -> None:
        seconds = self.seconds()
        of = f" of {self._total:g}" if self._total > 0 else ""
        self._detail.setText(
            "Trying to get you back into the call…" if seconds == 0
            else f"Trying for {min(seconds, int(self._total) or seconds)} s{of}"
        )
        self.setAccessibleDescription(self._detail.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._covered and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._covered.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(10, 12, 18, 170))
        painter.end()
