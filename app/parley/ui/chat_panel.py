"""The chat side panel: the call's messages (plain text, safe links) and a box to write in.

It shows ChatEntry values (``add_entry``) and emits ``sendRequested(text)``; the call view
hands that to the bridge. A clicked link is emitted as ``linkOpened`` only when it is a
web or mail link (``linkify.is_safe_link``); the call view opens it in the browser.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from parley.protocol.chattext import MAX_CHAT_LENGTH
from parley.ui.linkify import is_safe_link, links_in, to_html

SEND_SHORTCUT = "Enter"


class _Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatPanel(QFrame):
    """Messages to everyone in the call."""

    sendRequested = Signal(str)
    linkOpened = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.setFixedWidth(300)
        self._entries: list[Any] = []
        title = QLabel("Chat", self)
        title.setObjectName("panelTitle")
        self.view = QTextBrowser(self)
        self.view.setObjectName("chatView")
        self.view.setOpenLinks(False)  # we decide what opens (anchorClicked below)
        self.view.setOpenExternalLinks(False)
        self.view.setAccessibleName("Chat messages")
        self.view.anchorClicked.connect(self._open)
        self.view.setPlaceholderText("Messages here are seen by everyone in the call.")
        self.input = _Composer(self)
        self.input.setObjectName("chatInput")
        self.input.setPlaceholderText("Send a message to everyone")
        self.input.setAccessibleName("Chat message")
        self.input.setFixedHeight(64)
        self.input.submitted.connect(self.submit)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("primaryButton")
        self.send_button.setAccessibleName("Send chat message")
        self.send_button.setToolTip("Send to everyone (Enter; Shift+Enter for a new line)")
        self.send_button.clicked.connect(self.submit)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(title)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    # -- model -> view ------------------------------------------------------------------

    def set_entries(self, entries: Iterable[Any]) -> None:
        self._entries = []
        self.view.clear()
        for entry in entries:
            self.add_entry(entry)

    def add_entry(self, entry: Any) -> None:
        """Show one ChatEntry: who, when, and the text (plain, links clickable)."""
        self._entries.append(entry)
        who = entry.participant.name or "Guest"
        if entry.participant.is_local:
            who += " (you)"
        when = time.strftime("%H:%M", time.localtime(entry.sent_at))
        self.view.append(f'<p><b>{html.escape(who)}</b> <span style="color:#8a90a0">'
                         f"{when}</span><br>{to_html(entry.text)}</p>")

    def clear(self) -> None:
        self._entries.clear()
        self.view.clear()
        self.input.clear()

    def messages(self) -> list[tuple[str, str]]:
        """(sender, text) of every message shown, oldest first."""
        return [(e.participant.name, e.text) for e in self._entries]

    def shown_text(self) -> str:
        """The messages as the reader sees them (plain text)."""
        return self.view.toPlainText()

    def shown_links(self) -> list[str]:
        """The href of every anchor shown."""
        return [link for e in self._entries for link in links_in(e.text)]

    def set_enabled(self, enabled: bool) -> None:
        self.input.setEnabled(enabled)
        self.send_button.setEnabled(enabled)

    # -- view -> model ------------------------------------------------------------------

    def submit(self) -> None:
        text = self.input.toPlainText().strip()
        if not text:
            return
        self.sendRequested.emit(text[:MAX_CHAT_LENGTH])
        self.input.clear()

    def _open(self, url: QUrl) -> None:
        if is_safe_link(url):
            self.linkOpened.emit(url)
