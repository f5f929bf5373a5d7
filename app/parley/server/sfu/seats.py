"""What the server holds of a room's Janus side (:mod:`parley.server.sfu.placement` and
:mod:`parley.server.sfu.room` act on it): :class:`JanusRoom`, the Janus room on one node
with its own requests (create, ``allowed``, destroy), and its :class:`JanusSeat` s."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from parley.protocol.sfu import SfuOffer, SfuStream, SfuTrack
from parley.server.rooms import SeatKey
from parley.server.sfu.janus import JanusClient

PUBLISHER_BITRATE = 1_000_000
"""The bitrate Janus tells publishers (REMB), bits/s. Without it the publishers' encoders
followed estimates of about 20 kbit/s from Janus at the start of a move (shared with the
mesh peers, they paused their video for seconds); with it they see this cap (seen:
0.5-1 Mbit/s). A subscriber on a slow link is not helped by it: that is the layers'
job (:mod:`.layers`; docs/sfu.md, *Layers*)."""
KEYFRAME_EVERY = 3
"""Seconds between the keyframes Janus asks publishers for (a subscriber that missed one,
or joined between two, is not frozen for long)."""


@dataclass(eq=False)
class JanusSeat:
    """A seat's Janus side: its token, feed id, handles and subscriber negotiation."""

    key: SeatKey
    token: str
    feed: int
    publisher: int | None = None
    private_id: int = 0
    """Janus's secret id of its publisher: its subscriber must name it (require_pvtid)."""
    subscriber: int | None = None
    subscriber_up: bool = False
    """Janus said its subscriber connection is up (``webrtcup``)."""
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    feeds: set[int] = field(default_factory=set)
    """The feeds its subscriber connection receives."""
    streams: dict[str, SfuStream] = field(default_factory=dict)
    """Its subscriber's m-lines by mid (whose media, which role and layer)."""
    tracks: tuple[SfuTrack, ...] = ()
    """What its publisher's m-lines send (its ``sfu_publish``)."""
    wanted: dict[str, str] = field(default_factory=dict)
    """The layer of each participant's camera its subscriber asked for (``sfu_layer``)."""
    version: int = 0
    answer: asyncio.Future[str] | None = None
    offered: SfuOffer | None = None
    """The last subscriber offer sent (sent again when a resume finds it unanswered)."""
    published: tuple[str, str] | None = None
    """The client's publisher offer and Janus's answer (the answer is sent again when the
    same offer comes again after a resume)."""
    restarted_at: float = -1e9
    restart_pending: bool = False
    """It was told ``sfu_restart`` and has not published since: a resume tells it again
    (the first may have died with its link)."""
    """When it was last seated afresh after a hangup (loop time)."""
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
    janus: JanusClient
    """The node it is on (:class:`~parley.server.sfu.nodes.JanusNodes` placed it)."""
    admin: int
    seats: dict[str, JanusSeat] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)
    """Feeds whose publisher connection is up."""

    def owner(self, feed: int) -> str | None:
        return next((pid for pid, seat in self.seats.items() if seat.feed == feed), None)

    @classmethod
    async def create(cls, janus: JanusClient, session_id: str, publishers: int,
                     admin_key: str | None = None) -> JanusRoom:
        """A new Janus room on ``janus``'s node: private, with a random id and room
        secret, the ``allowed`` check on and ``require_pvtid``; ``admin_key``:
        VideoRoom's, which the shipped configuration requires for creating rooms."""
        room = cls(session_id, secrets.randbits(52), secrets.token_hex(16), janus,
                   await janus.attach())
        await janus.message(room.admin, {
            "request": "create", "room": room.janus_id, "secret": room.secret,
            "is_private": True, "permanent": False, "allowed": [], "publishers": publishers,
            "audiocodec": "opus", "videocodec": "vp8", "notify_joining": False,
            "fir_freq": KEYFRAME_EVERY, "bitrate": PUBLISHER_BITRATE,
            # VideoRoom 1.1.2 checks "allowed" tokens for publishers only: a subscriber
            # must name the private id of a publisher in the room, which only we see
            "require_pvtid": True,
            **({"admin_key": admin_key} if admin_key else {}),
        })
        await room.allowed("enable", [])
        return room

    async def allowed(self, action: str, tokens: list[str]) -> None:
        """Change the room's ``allowed`` list (``enable``, ``add``, ``remove``)."""
        body: dict[str, Any] = {"request": "allowed", "secret": self.secret,
                                "action": action, "room": self.janus_id}
        if tokens:
            body["allowed"] = tokens
        await self.janus.message(self.admin, body)

    async def destroy(self) -> None:
        """Destroy the room on its node (Janus keeps rooms beyond their session)."""
        try:
            await asyncio.wait_for(self.janus.message(self.admin, {
                "request": "destroy", "room": self.janus_id, "secret": self.secret}), 2.0)
        finally:
            await self.janus.detach(self.admin)
