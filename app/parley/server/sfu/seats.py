"""What the server holds of a room's Janus side (:mod:`parley.server.sfu.room` acts on
it): :class:`JanusRoom` and its :class:`JanusSeat` s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from parley.protocol.sfu import SfuStream
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
    gone: bool = False
    room: JanusRoom | None = None
    silent: set[str] = field(default_factory=set)
    """The kinds (audio, video) Janus says it no longer receives from its publisher."""
    hung_up: bool = False
    """Janus hung its publisher connection up (ICE failed, DTLS alert) and not up since."""

    @property
    def feed_flowing(self) -> bool:
        return not self.silent and not self.hung_up


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
