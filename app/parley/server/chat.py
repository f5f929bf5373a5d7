"""In-call chat: relayed to everyone in the room, rate-limited per seat, kept for the call.

The hub hands every ``chat`` to :meth:`ChatRelay.post` and calls :meth:`ChatRelay.greet`
after each welcome, so a late joiner (and a participant who resumes after missing some)
gets the call's chat so far as one ``chat_history``. A call's chat lives as long as its
room: when the last seat is freed and the session id is used again, that is a new call
with an empty chat.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import Chat, ChatHistory, ChatMessage, Message
from parley.server.limits import TokenBucket
from parley.server.rooms import Registry, Room, SeatKey


class _Link(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class ChatLimits:
    """How much chat one seat may send and one call keeps."""

    rate_per_second: float = 1.0
    """Sustained chat messages per second per seat."""
    burst: int = 5
    """Chat messages a seat may send at once before the rate applies."""
    history_messages: int = 200
    """Messages kept per call (the oldest are dropped first)."""
    history_characters: int = 100_000
    """Characters of text kept per call, so a ``chat_history`` stays well under the
    client's 1 MiB frame limit."""


@dataclass
class _Log:
    room: Room
    """The room this chat belongs to: another Room object under the same id is another call."""
    messages: deque[ChatMessage] = field(default_factory=deque)
    characters: int = 0
    next_seq: int = 1


class ChatRelay:
    """Chat for every room of one hub.

    Args:
        registry: The hub's rooms (read only).
        send_room: Sends a message to every connected seat of a room.
        limits: Rates and history bounds.
        clock: Monotonic seconds, for the rate limit.
        wall_clock: Unix seconds, for ``sent_at``.
    """

    def __init__(self, registry: Registry, send_room: Callable[[str, Message], None],
                 limits: ChatLimits | None = None, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._registry = registry
        self._send_room = send_room
        self.limits = limits or ChatLimits()
        self._clock = clock
        self._wall_clock = wall_clock
        self._logs: dict[str, _Log] = {}
        self._buckets: dict[SeatKey, TokenBucket] = {}

    def post(self, key: SeatKey, chat: Chat) -> None:
        """Relay ``chat`` from the seat ``key`` to its whole room and keep it.

        Raises:
            ProtocolError: RATE_LIMITED when the seat sends faster than the limit (the
                message is dropped; the connection stays).
        """
        seat = self._registry.seat(key)
        if seat is None:  # pragma: no cover - a bound link always has a seat
            return
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._prune()
            bucket = self._buckets[key] = TokenBucket(self.limits.rate_per_second,
                                                      self.limits.burst, now)
        if not bucket.take(now):
            raise ProtocolError(ErrorCode.RATE_LIMITED,
                                "too many chat messages; this one was not sent")
        log = self._log(key[0], create=True)
        assert log is not None
        message = ChatMessage(seq=log.next_seq, name=seat.name, text=chat.text,
                              sent_at=self._wall_clock(), sender=seat.id)
        log.next_seq += 1
        log.messages.append(message)
        log.characters += len(message.text)
        while log.messages and (len(log.messages) > self.limits.history_messages
                                or log.characters > self.limits.history_characters):
            log.characters -= len(log.messages.popleft().text)
        self._send_room(key[0], message)

    def greet(self, link: _Link, session_id: str) -> None:
        """After a welcome: the call's chat so far, if it has any."""
        log = self._log(session_id, create=False)
        if log is not None and log.messages:
            link.send(ChatHistory(tuple(log.messages)))

    def history(self, session_id: str) -> tuple[ChatMessage, ...]:
        """The chat kept for the call in ``session_id`` now, oldest first."""
        log = self._log(session_id, create=False)
        return tuple(log.messages) if log is not None else ()

    def _log(self, session_id: str, create: bool) -> _Log | None:
        room = self._registry.rooms.get(session_id)
        log = self._logs.get(session_id)
        if log is not None and log.room is not room:
            del self._logs[session_id]  # that call is over
            log = None
        if log is None and create and room is not None:
            log = self._logs[session_id] = _Log(room)
        return log

    def _prune(self) -> None:
        """Forget the chat of calls that ended and the buckets of freed seats."""
        for session_id in list(self._logs):
            self._log(session_id, create=False)
        for key in [k for k in self._buckets if self._registry.seat(k) is None]:
            del self._buckets[key]
