"""ChatFeed: the call's chat as Qt signals, and the slot that sends a message."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from parley.sdk import CallSession
from parley.sdk.chat import ChatEntry, ChatListener
from parley.sdk.participants import Participant


class ChatFeed(QObject):
    """Relays the session's ChatListener; ``messageReceived`` carries a ChatEntry."""

    messageReceived = Signal(object)  # ChatEntry, in the call's order

    def __init__(self, session: CallSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._listener = ChatListener(on_message=self._on_message)
        session.add_chat_listener(self._listener)

    def entries(self) -> tuple[ChatEntry, ...]:
        """Everything said in the call so far."""
        return self._session.chat_messages

    def send(self, text: str) -> bool:
        """Send ``text`` to everyone; False when it could not go (not connected, or the
        chat rule refuses it: empty, too long)."""
        try:
            return self._session.send_chat(text)
        except ValueError:
            return False

    def dispose(self) -> None:
        self._session.remove_chat_listener(self._listener)

    def _on_message(self, participant: Participant, text: str) -> None:
        entries = self._session.chat_messages
        if entries:
            self.messageReceived.emit(entries[-1])
