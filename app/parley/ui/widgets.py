"""Small widget builders the screens share: the settings menu button, buttons with an
accessible name, marking a field invalid, choosing a combo box entry by its data."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

SETTINGS_SHORTCUT = "Ctrl+,"


def settings_menu_button(parent: QWidget, settings: SignalInstance, about: SignalInstance,
                         icon: QIcon | None = None) -> QToolButton:
    """A button opening "Settings…" (also on Ctrl+, while ``parent`` shows) and
    "About Parley"; the actions emit ``settings`` and ``about``."""
    button = QToolButton(parent)
    button.setObjectName("menuButton")
    button.setAccessibleName("Settings and about")
    button.setToolTip(f"Settings ({SETTINGS_SHORTCUT}) and About Parley")
    if icon is not None:
        button.setIcon(icon)
    else:
        button.setText("Settings")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    menu.addAction(f"Settings…\t{SETTINGS_SHORTCUT}").triggered.connect(settings)
    menu.addAction("About Parley").triggered.connect(about)
    button.setMenu(menu)
    QShortcut(QKeySequence(SETTINGS_SHORTCUT), parent).activated.connect(settings)
    return button


def push_button(text: str, parent: QWidget, accessible: str, clicked: Callable[[], object],
                tip: str = "", primary: bool = False) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(accessible)
    if tip:
        button.setToolTip(tip)
    if primary:
        button.setObjectName("primaryButton")
    button.clicked.connect(clicked)
    return button


class DialogSlot:
    """The one dialog a window shows at a time: ``current`` while it is open; closed
    dialogs are deleted."""

    def __init__(self) -> None:
        self.current: QDialog | None = None

    def open(self, dialog: QDialog) -> None:
        self.current = dialog
        dialog.finished.connect(lambda *_: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.current is dialog:
            self.current = None
        dialog.deleteLater()


def busy_bar(parent: QWidget) -> QProgressBar:
    """An indeterminate progress bar without text, hidden until something is under way."""
    bar = QProgressBar(parent)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.hide()
    return bar


def select_data(combo: QComboBox, data: str) -> None:
    """Select the entry whose data is ``data`` (the first entry when there is none)."""
    index = combo.findData(data)
    combo.setCurrentIndex(index if index >= 0 else 0)


def mark_invalid(edit: QLineEdit, invalid: bool) -> None:
    """Show (or clear) the style sheet's ``[invalid="true"]`` border on ``edit``."""
    if bool(edit.property("invalid")) != invalid:
        edit.setProperty("invalid", invalid)
        edit.style().unpolish(edit)
        edit.style().polish(edit)


class MessageLabel(QLabel):
    """A sentence for the person (plain text), styled as an error or a notice; hidden
    while there is none."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("", parent)
        self.setObjectName("errorLabel")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAccessibleName("Message")
        self.hide()

    def say(self, text: str, style: str = "errorLabel") -> None:
        """Show ``text``; ``style`` is "errorLabel" or "noticeLabel"."""
        self.setObjectName(style)
        self.setText(text)
        self.show()
        self.style().unpolish(self)
        self.style().polish(self)

    def clear_text(self) -> None:
        self.hide()
        self.setText("")
