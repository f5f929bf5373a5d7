"""In-call chat: messages to everyone in the room, relayed (and kept) by the call server.

The session composes a :class:`ChatLog`: it sends what you type as a ``chat`` and turns
the server's ``chat_message`` and ``chat_history`` into :class:`ChatEntry` values and
``ChatListener.on_message(participant, text)`` calls - each message once, in order,
your own too (the server's relay is the acknowledgement), and the call's earlier chat
when you join late or resume after missing some.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from parley.media.callbacks import Callbacks
from parley.protocol.chattext import MAX_CHAT_LENGTH, check_chat_text
from parley.protocol.messages import Chat, ChatHistory, ChatMessage, Message
from parley.sdk.participants import Participant, Roster

__all__ = ["MAX_CHAT_LENGTH", "ChatControls", "ChatEntry", "ChatListener", "ChatLog"]

ChatEvent = Literal["on_message"]
"""The callbacks of :class:`ChatListener`."""


@dataclass(eq=False, kw_only=True)
class ChatListener(Callbacks[ChatEvent]):
    """Chat in the call."""

    on_message: Callable[[Participant, str], None] | None = None
    """A chat message to everyone: who sent it (as they were then; they may have left)
    and its plain text. Your own messages come back here too, once the server relayed
    them."""


@dataclass(frozen=True)
class ChatEntry:
    """One chat message of the call."""

    seq: int
    """Its place in the call's chat (from 1)."""
    participant: Participant
    """Who sent it (``is_local`` for you)."""
    text: str
    """Plain text; show it as such (never as markup)."""
    sent_at: float
    """When the server relayed it, in Unix seconds."""


class ChatLog:
    """The chat of the current call.

    Args:
        roster: Who is in the call (a sender still there is shown as the roster has them).
        emit: Tells ChatListeners about a new message.
        send: Hands a message to the call server; False when the link is down.
    """

    def __init__(self, roster: Roster, emit: Callable[[ChatEvent, Participant, str], None],
                 send: Callable[[Message], bool]) -> None:
        self._roster = roster
        self._emit = emit
        self._send = send
        self._entries: list[ChatEntry] = []

    @property
    def entries(self) -> tuple[ChatEntry, ...]:
        return tuple(self._entries)

    def clear(self) -> None:
        """A new call: no chat yet."""
        self._entries.clear()

    def send(self, text: str) -> bool:
        """Send ``text`` to everyone; False when not connected (nothing was sent).

        Raises:
            ValueError: the text breaks the chat-text rule (empty, too long, controls).
        """
        return self._send(Chat(check_chat_text(text)))

    def handle(self, message: Message) -> bool:
        """Take one server message; False when it is not about chat."""
        if isinstance(message, ChatMessage):
            # A live message is always new; a lower seq means the server restarted and
            # the room's chat started again.
            self._take(message, live=True)
        elif isinstance(message, ChatHistory):
            for old in message.messages:
                self._take(old, live=False)
        else:
            return False
        return True

    def _take(self, message: ChatMessage, live: bool) -> None:
        last = self._entries[-1].seq if self._entries else 0
        if not live and message.seq <= last:
            return  # seen already (a resume sends the whole history again)
        local = self._roster.local_id
        sender = self._roster.get(message.sender) or Participant(
            id=message.sender, name=message.name, is_local=message.sender == local)
        entry = ChatEntry(message.seq, sender, message.text, message.sent_at)
        self._entries.append(entry)
        self._emit("on_message", sender, message.text)


class ChatControls:
    """The chat half of :class:`~parley.sdk.session.CallSession`'s API: it holds the
    session's ChatLog and nothing else of the session.

    Args:
        chat: The call's chat.
        joined: Whether the session is joined now (chat is sent only then).
    """

    def __init__(self, chat: ChatLog, joined: Callable[[], bool]) -> None:
        self._chat = chat
        self._joined = joined

    def send_chat(self, text: str) -> bool:
        """Chat to everyone (on_message fires here too once the server relayed it); False
        when not connected now. Raises ValueError for text the chat rule refuses."""
        return self._chat.send(text) if self._joined() else False

    @property
    def chat_messages(self) -> tuple[ChatEntry, ...]:
        """The call's chat so far, oldest first (the server's history for a late joiner)."""
        return self._chat.entries
