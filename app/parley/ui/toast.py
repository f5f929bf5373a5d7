"""Short notices over the stage: "Grace Hopper joined", "… left", "… raised their hand".

Each toast shows for a few seconds; at most three are stacked, newest at the bottom.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

TOAST_MSEC = 4000
MAX_TOASTS = 3


class ToastStack(QWidget):
    """A column of notices centred at the top of the widget it covers."""

    def __init__(self, covered: QWidget, msec: int = TOAST_MSEC) -> None:
        super().__init__(covered)
        self._covered = covered
        self._msec = msec
        self.setObjectName("toastStack")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAccessibleName("Notices")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 12, 0, 0)
        self._layout.setSpacing(6)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        covered.installEventFilter(self)
        self._place()

    def show_toast(self, text: str) -> QLabel:
        """Show ``text`` (plain) for a few seconds."""
        while self._layout.count() >= MAX_TOASTS:
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        label = QLabel(text, self)
        label.setObjectName("toast")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAccessibleName(text)
        label.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        QTimer.singleShot(self._msec, label, lambda: self._expire(label))
        self.show()
        self.raise_()
        return label

    def texts(self) -> list[str]:
        """The notices showing now, oldest first."""
        texts = []
        for i in range(self._layout.count()):
            item = self._layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                texts.append(widget.text())
        return texts

    def clear(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def _expire(self, label: QLabel) -> None:
        self._layout.removeWidget(label)
        label.deleteLater()

    def _place(self) -> None:
        self.setGeometry(0, 0, self._covered.width(), min(200, self._covered.height()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._covered and event.type() == QEvent.Type.Resize:
            self._place()
        return False
