"""What the server holds of a room's Janus side (:mod:`parley.server.sfu.room` acts on
it): :class:`JanusRoom` and its :class:`JanusSeat` s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from parley.protocol.sfu import SfuOffer, SfuStream
from parley.server.rooms import SeatKey


@dataclass(eq=False)
class JanusSeat:
    """A seat's Janus side: its token, feed id, handles and subscriber negotiation."""

    key: SeatKey
    token: str
    feed: int
    publisher: int | None = None
    subscriber: int | None = None
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    feeds: set[int] = field(default_factory=set)
    """The feeds its subscriber connection receives."""
    streams: dict[str, SfuStream] = field(default_factory=dict)
    version: int = 0
    answer: asyncio.Future[str] | None = None
    offered: SfuOffer | None = None
    """The last subscriber offer sent (sent again when a resume finds it unanswered)."""
    published: tuple[str, str] | None = None
    """The client's publisher offer and Janus's answer (the answer is sent again when the
    same offer comes again after a resume)."""
    gone: bool = False
    room: JanusRoom | None = None
    silent: set[str] = field(default_factory=set)
    """The kinds (audio, video) Janus says it no longer receives from its publisher."""
    hung_up: bool = False
    """Janus hung its publisher connection up (ICE failed, DTLS alert) and not up since."""

    @property
    def feed_flowing(self) -> bool:
        return not self.silent and not self.hung_up

    def feed_event(self, message: dict[str, Any]) -> bool:
        """Janus's ``webrtcup``, ``media`` or ``hangup`` on the publisher; whether
        :attr:`feed_flowing` changed."""
        was = self.feed_flowing
        kind = message.get("janus")
        if kind == "webrtcup":
            self.hung_up = False
            self.silent.clear()
        elif kind == "hangup":
            self.hung_up = True
        elif message.get("receiving") is False:
            self.silent.add(str(message.get("type")))
        else:
            self.silent.discard(str(message.get("type")))
        return self.feed_flowing != was


@dataclass(eq=False)
class JanusRoom:
    """A Parley room's Janus room: its id, secret, admin handle and seats."""

    session_id: str
    janus_id: int
    secret: str
    admin: int
    seats: dict[str, JanusSeat] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)
    """Feeds whose publisher connection is up."""

    def owner(self, feed: int) -> str | None:
        return next((pid for pid, seat in self.seats.items() if seat.feed == feed), None)
