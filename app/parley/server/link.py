"""What the hub knows of a client connection, and why a departed seat can't come back."""

from __future__ import annotations

from typing import Protocol

from parley.protocol.messages import Message

DEPARTED = {
    "left": "participant has left",
    "timeout": "participant has left (its seat timed out)",
    "replaced": "participant has left (a new join with the same identity replaced it)",
    "room_closed": "the host ended the call",
    "token_reused": "participant has left (its resume token was used twice: join again)",
    "ghost": "participant has left (its address left too many seats waiting)",
}
"""Why a resume is refused, by the seat's departure reason."""


class Link(Protocol):
    """What the hub needs of a client connection."""

    @property
    def label(self) -> str:
        """A short id for logs."""
        ...

    @property
    def source(self) -> str | None:
        """The address its seats count against (None: exempt from per-address limits)."""
        ...

    def send(self, message: Message) -> None:
        """Queue a message; never blocks."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Close after the queued messages have been sent."""
        ...
