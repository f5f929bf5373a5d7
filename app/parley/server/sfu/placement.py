"""Where this server's Parley rooms live on Janus: :class:`JanusRooms` places each room
on a node (:class:`~parley.server.sfu.nodes.JanusNodes`), creates it there, joins its
seats as publishers, hands them their publish, lets them leave and destroys the room
when the last goes. It knows each Janus handle's room and seat, so Janus's events find
them; what the call does with those events (modes, moves, failover) is
:class:`~parley.server.sfu.room.SfuRooms`'s.

Each Parley room gets a Janus room created by this server, private, with a random
room secret and the ``allowed`` check on: every seat has a random token that only this
server knows, added when the seat joins and removed when it goes, so only admitted
seats publish or subscribe. Per seat there are two Janus handles: its publisher (joined
at once; the client's ``sfu_publish`` offer is handed to it) and its subscriber (one
multistream connection receiving every other active feed, :mod:`.subscriber`). A feed is
active once Janus says its connection is up (``webrtcup``); then every other seat
subscribes to it. Each seat's subscriber negotiation is serialised: offer, answer,
``start``.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from parley.protocol.sfu import SfuPublish
from parley.server.config import ServerConfig
from parley.server.sfu import layers
from parley.server.sfu.janus import JanusClient, JanusError
from parley.server.sfu.nodes import JanusNodes
from parley.server.sfu.seats import JanusRoom, JanusSeat
from parley.server.sfu.subscriber import JOIN_TIMEOUT

log = logging.getLogger("parley.server.sfu")


class JanusRooms:
    """The Janus rooms of this server's Parley rooms, by session id.

    Args:
        config: ``max_participants`` (each room's publishers), ``janus_admin_key``.
        nodes: The Janus nodes rooms are placed on.
    """

    def __init__(self, config: ServerConfig, nodes: JanusNodes) -> None:
        self._config = config
        self._nodes = nodes
        self._rooms: dict[str, JanusRoom] = {}
        self._creating: dict[str, asyncio.Task[JanusRoom]] = {}
        self._handles: dict[tuple[JanusClient, int], tuple[JanusRoom, JanusSeat]] = {}

    def get(self, session_id: str) -> JanusRoom | None:
        """The Janus room of a Parley room, if it has one now."""
        return self._rooms.get(session_id)

    def of(self, janus: JanusClient, handle: int) -> tuple[JanusRoom, JanusSeat] | None:
        """The room and seat a Janus handle is of (None: not ours, or gone)."""
        return self._handles.get((janus, handle))

    def register(self, janus: JanusClient, handle: int, room: JanusRoom,
                 seat: JanusSeat) -> None:
        """Note a new Janus handle as ``seat``'s (its events come back by it)."""
        self._handles[janus, handle] = (room, seat)

    def lost(self, janus: JanusClient) -> list[JanusRoom]:
        """A node died: forget its handles and rooms (they died with it); the rooms."""
        for key in [k for k in self._handles if k[0] is janus]:
            del self._handles[key]
        gone = [r for r in self._rooms.values() if r.janus is janus]
        for room in gone:
            del self._rooms[room.session_id]
        return gone

    async def room(self, session_id: str) -> JanusRoom:
        """The Parley room's Janus room, created on the least loaded node that takes it
        if it has none (once, however many seats ask at the same time).

        Raises:
            ConnectionError: No node took it.
        """
        room = self._rooms.get(session_id)
        if room is not None:
            return room
        task = self._creating.get(session_id)
        if task is None:
            task = self._creating[session_id] = asyncio.ensure_future(self._create(session_id))
            task.add_done_callback(lambda _: self._creating.pop(session_id, None))
        return await asyncio.shield(task)

    async def _create(self, session_id: str) -> JanusRoom:
        for _ in self._nodes.nodes:  # a node lost meanwhile: the next one that answers
            janus = await self._nodes.place()
            try:
                room = await JanusRoom.create(janus, session_id, self._config.max_participants,
                                              self._config.janus_admin_key)
                break
            except (ConnectionError, aiohttp.ClientError, JanusError, TimeoutError) as exc:
                # JanusError: the node refused it (a wrong or missing --janus-admin-key)
                self._nodes.release(janus)
                log.warning("event=sfu_room_retry room=%s node=%s error=%r", session_id,
                            janus.url, exc)
            except BaseException:
                self._nodes.release(janus)
                raise
        else:
            raise ConnectionError(f"no Janus node took the room {session_id}")
        self._rooms[session_id] = room
        log.info("event=sfu_room room=%s node=%s", session_id, janus.url)
        return room

    async def seat(self, room: JanusRoom, seat: JanusSeat) -> None:
        """Seat ``seat`` in ``room``: its token allowed, its publisher joined (Janus
        lists it as a participant that does not publish yet)."""
        seat.room = room
        room.seats[seat.key[1]] = seat
        await room.allowed("add", [seat.token])
        seat.publisher = await room.janus.attach()
        self.register(room.janus, seat.publisher, room, seat)
        joined = await room.janus.message(seat.publisher, {
            "request": "join", "ptype": "publisher", "room": room.janus_id,
            "id": seat.feed, "token": seat.token})
        seat.private_id = int(joined["plugindata"]["data"]["private_id"])
        seat.joined.set()

    async def publish(self, seat: JanusSeat, message: SfuPublish) -> str | None:
        """Hand the client's publisher offer to Janus; Janus's answer to send it, or None
        when there is nothing to send now (an offer again whose answer is still on its
        way from Janus: sent when it comes)."""
        sdp = message.sdp
        async with asyncio.timeout(JOIN_TIMEOUT):
            await seat.joined.wait()
        assert seat.room is not None and seat.publisher is not None
        if seat.published is not None and seat.published[0] == sdp:
            # the same offer again: our answer died with a link (a resume), or is still on
            # its way; Janus would refuse a second publish
            return seat.published[1] or None
        seat.published = (sdp, "")
        seat.tracks = message.tracks
        body = {"request": "publish", "audio": True, "video": True}
        if message.tracks:  # which m-line is which layer (docs/sfu.md, *Layers*)
            body["descriptions"] = layers.descriptions(message.tracks)
        answer = await seat.room.janus.message(
            seat.publisher, body, jsep={"type": "offer", "sdp": sdp, "trickle": False})
        seat.published = (sdp, answer["jsep"]["sdp"])
        return seat.published[1]

    async def leave(self, room: JanusRoom, seat: JanusSeat) -> None:
        """``seat`` leaves ``room`` on Janus (its handles detached, its token no longer
        allowed); the room is destroyed when it was the last."""
        room.active.discard(seat.feed)
        for other in room.seats.values():
            other.feeds.discard(seat.feed)
        if seat.answer is not None and not seat.answer.done():
            seat.answer.cancel()
        janus = room.janus
        if not janus.connected:
            return  # the node is gone, and the room with it
        for handle in (seat.publisher, seat.subscriber):
            if handle is not None:
                self._handles.pop((janus, handle), None)
                await janus.detach(handle)
        await room.allowed("remove", [seat.token])
        await self.discard(room)

    async def discard(self, room: JanusRoom) -> None:
        """Destroy ``room`` if nobody is seated in it (it was made for nobody now)."""
        if not room.seats and self._rooms.get(room.session_id) is room:
            del self._rooms[room.session_id]
            await self._destroy(room)

    async def _destroy(self, room: JanusRoom) -> None:
        self._nodes.release(room.janus)
        await room.destroy()
        log.info("event=sfu_room_closed room=%s", room.session_id)

    async def close(self) -> None:
        """Stop creating rooms and destroy every room (Janus keeps rooms beyond the session
        that made them), then close the nodes' sessions. Idempotent."""
        creating = list(self._creating.values())
        for task in creating:
            task.cancel()
        await asyncio.gather(*creating, return_exceptions=True)
        rooms, self._rooms = list(self._rooms.values()), {}
        await asyncio.gather(*(self._destroy(room) for room in rooms if room.janus.connected),
                             return_exceptions=True)
        await self._nodes.close()
