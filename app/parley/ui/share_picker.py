"""The screen-share picker: screens and windows with thumbnails; Share or Cancel."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from parley.qt.share_sources import THUMBNAIL_WIDTH, ScreenSource, ShareChoice


class SharePicker(QDialog):
    """Pick what to share; ``chosen()`` is the ScreenSource once accepted."""

    def __init__(self, choices: Sequence[ShareChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Share your screen")
        self.setAccessibleName("Share your screen")
        self._choices = list(choices)
        intro = QLabel("Choose a screen or a window to share with everyone in the call.", self)
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("shareChoices")
        self.list.setAccessibleName("Screens and windows")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 9 // 16))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSpacing(8)
        self.list.setWordWrap(True)
        for choice in self._choices:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(choice.thumbnail)),
                                   choice.source.title)
            item.setToolTip(choice.source.title)
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{'Window' if choice.source.kind == 'window' else 'Screen'}: "
                         f"{choice.source.title}")
            self.list.addItem(item)
        buttons = QDialogButtonBox(self)
        self.share_button = buttons.addButton("Share", QDialogButtonBox.ButtonRole.AcceptRole)
        self.share_button.setAccessibleName("Share the chosen screen or window")
        self.share_button.setDefault(True)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel screen sharing")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.list.currentRowChanged.connect(
            lambda row: self.share_button.setEnabled(row >= 0))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(820, 520)
        if self._choices:
            self.list.setCurrentRow(0)
        self.share_button.setEnabled(bool(self._choices))
        self.list.setFocus()

    def titles(self) -> list[str]:
        return [c.source.title for c in self._choices]

    def thumbnails_shown(self) -> int:
        """How many choices carry a real picture."""
        return sum(not c.thumbnail.isNull() for c in self._choices)

    def select(self, title: str) -> None:
        self.list.setCurrentRow(self.titles().index(title))

    def chosen(self) -> ScreenSource | None:
        row = self.list.currentRow()
        return self._choices[row].source if 0 <= row < len(self._choices) else None
