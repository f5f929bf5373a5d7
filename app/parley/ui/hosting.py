"""Hosting widgets: the "your call is ready" panel with its link, and the question a
host is asked before leaving a call others are in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

READY_TITLE = "Your call is ready"
READY_TEXT = ("Share this link with the people you want in the call. It works for 24 hours; "
              "anyone else who finds the call asks you to let them in.")
END_QUESTION = "End the call for everyone?"
END_DETAIL = "You're the host. The others can stay without you, or the call can end for all."
END_FOR_ALL = "End for everyone"
JUST_LEAVE = "Just leave"


class HostingPanel(QFrame):
    """The link of the call you host, in a text field with a Copy button."""

    linkCopied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hostingPanel")
        self.setAccessibleName("Hosting")
        title = QLabel(READY_TITLE, self)
        title.setObjectName("title")
        text = QLabel(READY_TEXT, self)
        text.setObjectName("subtitle")
        text.setWordWrap(True)
        self.link_edit = QLineEdit(self)
        self.link_edit.setReadOnly(True)
        self.link_edit.setAccessibleName("Invite link")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("primaryButton")
        self.copy_button.setAccessibleName("Copy the invite link")
        self.copy_button.clicked.connect(self.copy)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide")
        self.close_button.setAccessibleName("Hide the invite link")
        self.close_button.clicked.connect(self.hide)
        self.copied = QLabel("", self)
        self.copied.setObjectName("noticeLabel")
        self.copied.hide()
        heading = QHBoxLayout()
        heading.addWidget(title, 1)
        heading.addWidget(self.close_button)
        row = QHBoxLayout()
        row.addWidget(self.link_edit, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addLayout(heading)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        self.hide()

    def show_link(self, link: str) -> None:
        """Show the link of the call just started."""
        self.link_edit.setText(link)
        self.link_edit.setCursorPosition(0)
        self.copied.hide()
        self.show()

    def link(self) -> str:
        return self.link_edit.text()

    def copy(self) -> None:
        """Put the link on the clipboard."""
        link = self.link()
        if not link:
            return
        QGuiApplication.clipboard().setText(link)
        self.copied.setText("Link copied")
        self.copied.show()
        self.linkCopied.emit(link)


def ask_end_for_everyone(parent: QWidget, answer: Callable[[str], None]) -> QMessageBox:
    """Ask a host who leaves with others in the call; ``answer`` gets ``"end"``,
    ``"leave"`` or ``"cancel"``. The box is window-modal but never blocks the loop."""
    box = QMessageBox(QMessageBox.Icon.Question, "End the call?", END_QUESTION,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("endForEveryoneBox")
    box.setAccessibleName(END_QUESTION)
    box.setInformativeText(END_DETAIL)
    end = box.addButton(END_FOR_ALL, QMessageBox.ButtonRole.DestructiveRole)
    leave = box.addButton(JUST_LEAVE, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(end)
    box.setEscapeButton(cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)

    def done(_code: int) -> None:
        clicked = box.clickedButton()
        answer("end" if clicked is end else "leave" if clicked is leave else "cancel")
        box.deleteLater()

    box.finished.connect(done)
    box.open()
    return box
