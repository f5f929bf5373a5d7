"""Each seat's one multistream subscriber on Janus (:class:`Subscriptions`): which feeds
it takes, one layer of each camera (:mod:`.layers`), and its negotiation relayed to the
client (Janus's offer as ``sfu_offer``, the client's ``sfu_answer``, ``start``), one at a
time per seat. :class:`~parley.server.sfu.room.SfuRooms` owns the rooms and seats and
calls it when a feed comes up or Janus renegotiates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from parley.protocol.base import Message
from parley.protocol.sfu import SfuOffer
from parley.server.rooms import SeatKey
from parley.server.sfu import layers
from parley.server.sfu.janus import Event, JanusClient
from parley.server.sfu.seats import JanusRoom, JanusSeat

ANSWER_TIMEOUT = 10.0
"""Seconds a client has to answer a subscriber offer."""
JOIN_TIMEOUT = 10.0
"""Seconds a seat's publisher has to join before its subscriber (or publish) gives up."""


class Subscriptions:
    """The subscriber side of every seat.

    Args:
        send: Sends a message to a seat's client.
        spawn: Runs a coroutine as an owned task (a failed Janus request is logged).
        register: Notes a new Janus handle as a seat's (its events come back by it).
    """

    def __init__(self, send: Callable[[SeatKey, Message], None],
                 spawn: Callable[[Coroutine[Any, Any, Any], str], None],
                 register: Callable[[JanusClient, int, JanusRoom, JanusSeat], None]) -> None:
        self._send = send
        self._spawn = spawn
        self._register = register

    async def subscribe(self, room: JanusRoom, seat: JanusSeat) -> None:
        """Subscribe ``seat`` to every active feed it lacks, once its publisher has joined
        (its subscriber names that publisher's private id): one feed in the first
        negotiation (aiortc sometimes never played one of two video m-lines in a first
        offer), then every feed still lacking at once (one feed per negotiation made a
        move's last video wait for N-1 negotiations in a row)."""
        async with asyncio.timeout(JOIN_TIMEOUT):
            await seat.joined.wait()
        while await self._one(room, seat):
            pass

    async def _one(self, room: JanusRoom, seat: JanusSeat) -> bool:
        janus = room.janus
        async with seat.lock:
            add = sorted(room.active - {seat.feed} - seat.feeds)
            if seat.subscriber is None:
                add = add[:1]
            if not add or seat.gone:
                return False
            owners = [room.seats.get(room.owner(feed) or "") for feed in add]
            streams = [stream for owner in owners if owner is not None
                       for stream in layers.subscription(
                           owner, seat.wanted.get(owner.key[1], layers.DEFAULT_LAYER))]
            if not streams:
                return False
            if seat.subscriber is None:
                handle = await janus.attach()
                self._register(janus, handle, room, seat)
                answer = await janus.message(handle, {
                    "request": "join", "ptype": "subscriber", "room": room.janus_id,
                    "streams": streams, "token": seat.token, "use_msid": False,
                    "private_id": seat.private_id})
                seat.subscriber = handle  # once joined: a refused join is tried afresh
            else:
                answer = await janus.message(seat.subscriber,
                                             {"request": "subscribe", "streams": streams})
            seat.feeds.update(add)
            await self._offer(room, seat, answer)
            if seat.subscriber_up:  # the new m-lines are live at once: no DTLS to wait for
                self.keyframes(room, add)
            return True

    def keyframes(self, room: JanusRoom, feeds: Iterable[int]) -> None:
        """Ask the publishers of ``feeds`` for a keyframe now: a subscriber just started
        receiving them, and without one it shows nothing until the publisher's next
        keyframe (Janus asks by itself only when a subscriber's connection first comes
        up, not for feeds added later; its ``fir_freq`` is 3 s)."""
        for feed in feeds:
            owner = room.owner(feed)
            publisher = room.seats[owner].publisher if owner is not None else None
            if publisher is not None:
                self._spawn(room.janus.message(publisher, {
                    "request": "configure", "keyframe": True}), f"sfu-keyframe-{owner}")

    async def renegotiate(self, room: JanusRoom, seat: JanusSeat, message: Event) -> None:
        """Janus renegotiates a subscriber by itself (a feed it serves went): relay it."""
        async with seat.lock:
            if not seat.gone:
                await self._offer(room, seat, message)

    async def _offer(self, room: JanusRoom, seat: JanusSeat, answer: Event) -> None:
        """Relay Janus's subscriber offer in ``answer`` (if any) and start with the
        client's answer."""
        jsep = answer.get("jsep")
        if not jsep or seat.subscriber is None:
            return
        data = answer.get("plugindata", {}).get("data", {})
        if "streams" in data:
            seat.streams = layers.subscriber_streams(room, data["streams"])
        seat.version += 1
        seat.answer = asyncio.get_running_loop().create_future()
        seat.offered = SfuOffer(sdp=jsep["sdp"], version=seat.version,
                                streams=tuple(seat.streams.values()))
        self._send(seat.key, seat.offered)
        sdp = await asyncio.wait_for(seat.answer, ANSWER_TIMEOUT)
        await room.janus.message(seat.subscriber, {"request": "start"},
                                  jsep={"type": "answer", "sdp": sdp})
