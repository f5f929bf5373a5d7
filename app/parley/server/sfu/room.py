"""Parley rooms on Janus's VideoRoom: :class:`SfuRooms` maps seats to Janus feeds and
relays each seat's SFU negotiation (docs/protocol.md, *SFU*; docs/sfu.md). It decides what
the call does: its media mode and moves, what Janus's events mean, a node's loss and a
publisher's hangup. Where the Janus rooms live, and how a seat is joined and left there,
is :class:`~parley.server.sfu.placement.JanusRooms`'s; each seat's subscriber,
:class:`~parley.server.sfu.subscriber.Subscriptions`'.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp

from parley.protocol.base import Message
from parley.protocol.sfu import (
    SFU_LAYERS,
    SfuAnswer,
    SfuFeed,
    SfuLayer,
    SfuLeave,
    SfuPublish,
    SfuPublished,
    SfuRestart,
)
from parley.server.config import ServerConfig
from parley.server.rooms import Registry, SeatKey
from parley.server.sfu import layers
from parley.server.sfu.janus import Event, JanusClient, JanusError
from parley.server.sfu.mode import MediaModes
from parley.server.sfu.nodes import JanusNodes
from parley.server.sfu.placement import JanusRooms
from parley.server.sfu.seats import JanusRoom as _Room
from parley.server.sfu.seats import JanusSeat as _Seat
from parley.server.sfu.subscriber import Subscriptions

if TYPE_CHECKING:
    from parley.server.link import Link

log = logging.getLogger("parley.server.sfu")

SFU_REQUESTS = (SfuPublish, SfuAnswer, SfuLeave, SfuLayer)
"""The messages a client sends about its SFU media (the hub hands them here)."""
REPUBLISH_SPACING = 5.0
"""Seconds between two republishes of one seat after Janus hung it up (a client whose
connection to Janus keeps failing is not restarted in a loop)."""


class SfuRooms:
    """The call server's SFU back end (inactive without a Janus or with ``--sfu never``):
    each room's media mode (:class:`~parley.server.sfu.mode.MediaModes`) and, for rooms
    on the SFU, their Janus side.

    Args:
        config: ``janus_urls``, ``janus_api_secret``, ``sfu``.
        links: The hub's live links by seat (read when a message is sent).
    """

    def __init__(self, config: ServerConfig, links: Mapping[SeatKey, Link]) -> None:
        self.modes = MediaModes(config)
        self.registry: Registry | None = None
        """Set by the hub: whose seats still exist (see :meth:`after`)."""
        self._config = config
        self._links = links
        self._nodes = JanusNodes(config.janus_urls, config.janus_api_secret, self._event,
                                 self._node_lost)
        if config.janus_urls and config.sfu != "never" and not config.janus_admin_key:
            log.warning("event=janus_no_admin_key (the shipped VideoRoom configuration "
                        "refuses to create rooms without --janus-admin-key)")
        self._janus = JanusRooms(config, self._nodes)
        self._seats: dict[SeatKey, _Seat] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._subscriptions = Subscriptions(self._send, self._spawn, self._janus.register)

    # ------------------------------------------------------------ the hub's hooks

    def seat_joined(self, key: SeatKey) -> None:
        """A seat was admitted or resumed (before its welcome): the room may move to the
        SFU (the others are told: ``media_mode``); on the SFU the seat gets a publisher."""
        if not self.modes.possible or self.registry is None:
            return
        session_id = key[0]
        moved = self.modes.update(session_id, self._count(session_id), self._nodes.available)
        if moved is not None:
            self._announce(session_id, moved, exclude=key[1])
        if self.modes.of(session_id) == "sfu" \
                or self.modes.prepares(session_id, self._count(session_id)):
            room = self.registry.rooms.get(session_id)
            for pid in room.seats if room is not None else ():
                self._add((session_id, pid))

    def _add(self, key: SeatKey, version: int = 0) -> None:
        seat = self._seats.get(key)
        if seat is None:
            seat = self._seats[key] = _Seat(key, secrets.token_urlsafe(24), secrets.randbits(52),
                                            version=version)
            self._spawn(self._join(seat), f"sfu-join-{key[1]}")
        elif seat.restart_pending:  # a resume: the restart may have died with the old link
            asyncio.get_running_loop().call_soon(self._send, key, SfuRestart())
        elif seat.answer is not None and not seat.answer.done() and seat.offered is not None:
            # a resume: the offer may have died with the old link (after the welcome)
            asyncio.get_running_loop().call_soon(self._send, key, seat.offered)

    def handle(self, key: SeatKey, message: Message) -> None:
        """An :data:`SFU_REQUESTS` message from the seat ``key``."""
        seat = self._seats.get(key)
        if seat is None:
            log.info("event=sfu_ignored type=%s participant=%s", message.TYPE, key[1])
            return
        if isinstance(message, SfuPublish):
            seat.restart_pending = False
            self._spawn(self._publish(seat, message), f"sfu-publish-{key[1]}")
        elif isinstance(message, SfuAnswer):
            if seat.answer is not None and message.version == seat.version \
                    and not seat.answer.done():
                seat.answer.set_result(message.sdp)
        elif isinstance(message, SfuLayer) and message.layer in SFU_LAYERS:
            if seat.room is None or message.participant_id not in seat.room.seats:
                return  # nobody of this call: not kept, nothing spawned
            seat.wanted[message.participant_id] = message.layer
            self._spawn(self._switch(seat, message.participant_id),
                        f"sfu-layer-{key[1]}")
        elif isinstance(message, SfuLeave):  # it moved to the mesh and closed its SFU side
            if self.modes.of(key[0]) == "mesh" \
                    and message.generation >= self.modes.generation(key[0]):
                self._free(key, seat)

    def after(self, callback: Callable[[], None]) -> Callable[[], None]:
        """``callback``, then drop the Janus side of seats the registry no longer has
        (the registry calls this whenever a seat is removed)."""
        def departed() -> None:
            callback()
            self.reconcile()
        return departed

    def reconcile(self) -> None:
        """Forget every seat the registry has freed; a room down to the mesh's size moves
        back (everyone is told: ``media_mode``)."""
        if self.registry is None:
            return
        for key, seat in list(self._seats.items()):
            if self.registry.seat(key) is None:
                self._free(key, seat)
        for session_id in self.modes.rooms():
            moved = self.modes.update(session_id, self._count(session_id),
                                      self._nodes.available)
            if moved is not None:
                self._announce(session_id, moved)
            self._unprepare(session_id)

    def _unprepare(self, session_id: str) -> None:
        """A mesh room no longer one from the SFU: the seats made ready for a move that
        never came go (a seat that published waits for its client's ``sfu_leave``: its
        old SFU path may still be played from)."""
        if self.modes.of(session_id) != "mesh" \
                or self.modes.prepares(session_id, self._count(session_id)):
            return
        for key, seat in list(self._seats.items()):
            if key[0] == session_id and seat.published is None:
                self._free(key, seat)

    def _free(self, key: SeatKey, seat: _Seat) -> None:
        del self._seats[key]
        seat.gone = True
        if seat.room is not None:
            seat.room.seats.pop(key[1], None)
            self._spawn(self._janus.leave(seat.room, seat), f"sfu-leave-{key[1]}")

    def _count(self, session_id: str) -> int:
        room = self.registry.rooms.get(session_id) if self.registry is not None else None
        return len(room.seats) if room is not None else 0

    def _announce(self, session_id: str, moved: Message, exclude: str | None = None) -> None:
        room = self.registry.rooms.get(session_id) if self.registry is not None else None
        for pid in list(room.seats) if room is not None else ():
            if pid != exclude:
                self._send((session_id, pid), moved)

    def janus_room(self, session_id: str) -> int | None:
        """The Janus room id of a Parley room (diagnostics and tests)."""
        room = self._janus.get(session_id)
        return None if room is None else room.janus_id

    def janus_node(self, session_id: str) -> str | None:
        """The URL of the Janus node a Parley room is on (diagnostics and tests)."""
        room = self._janus.get(session_id)
        return None if room is None else room.janus.url

    def subscription(self, session_id: str, pid: str) -> tuple[int, dict[str, str]]:
        """A seat's subscriber: its offers so far, and the camera layer it receives of
        each participant (diagnostics and tests)."""
        seat = self._seats.get((session_id, pid))
        if seat is None:
            return 0, {}
        return seat.version, {s.participant_id: s.layer for s in seat.streams.values()
                              if s.role == "camera"}

    async def close(self) -> None:
        """Cancel the work in flight and close the Janus session. Idempotent."""
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._seats.clear()
        await self._janus.close()  # destroys our rooms: Janus keeps them beyond the session

    # ------------------------------------------------------------ seats on Janus

    async def _join(self, seat: _Seat) -> None:
        key = seat.key
        try:
            room = await self._janus.room(key[0])
        except ConnectionError:  # no node took the room: a call on the SFU has no media
            if self._seats.get(key) is seat:  # a later move or restart tries afresh
                del self._seats[key]
                if self.modes.of(key[0]) == "sfu":
                    self._to_mesh(key[0], failed=True)
            raise
        if seat.gone:
            if not any(k[0] == key[0] for k in self._seats):
                await self._janus.discard(room)  # made for nobody now
            return
        await self._janus.seat(room, seat)
        if seat.gone:  # it left while this was under way
            await self._janus.leave(room, seat)

    async def _publish(self, seat: _Seat, message: SfuPublish) -> None:
        answer = await self._janus.publish(seat, message)
        if answer is not None:
            self._send(seat.key, SfuPublished(sdp=answer))

    # ------------------------------------------------------------ subscriptions

    def _event(self, janus: JanusClient, handle: int, message: Event) -> None:
        """An event of one of our handles that answers no request."""
        found = self._janus.of(janus, handle)
        if found is None:
            return
        room, seat = found
        kind = message.get("janus")
        if handle == seat.publisher and kind in ("webrtcup", "media", "hangup"):
            self._feed_state(room, seat, message)
        if handle == seat.publisher and kind == "hangup":
            self._republish(room, seat)
        if kind == "webrtcup" and handle == seat.publisher:
            room.active.add(seat.feed)
            log.info("event=sfu_feed_up room=%s participant=%s", room.session_id, seat.key[1])
            for other in list(room.seats.values()):
                self._spawn(self._subscriptions.subscribe(room, other),
                            f"sfu-subscribe-{other.key[1]}")
        elif kind == "webrtcup" and handle == seat.subscriber:
            seat.subscriber_up = True  # its first feeds' keyframes can reach it now
            self._subscriptions.keyframes(room, seat.feeds)
        elif kind == "event" and handle == seat.subscriber and "jsep" in message:
            self._spawn(self._subscriptions.renegotiate(room, seat, message),
                        f"sfu-update-{seat.key[1]}")
        elif kind in ("hangup", "media", "slowlink"):
            log.info("event=sfu_%s participant=%s reason=%s", kind, seat.key[1],
                     message.get("reason", message.get("type")))

    def _feed_state(self, room: _Room, seat: _Seat, message: Event) -> None:
        """Tell the others when Janus stops or starts again receiving a publisher's media
        (``sfu_feed``): that participant is reconnecting for them meanwhile."""
        if seat.feed_event(message):
            log.info("event=sfu_feed room=%s participant=%s flowing=%s", room.session_id,
                     seat.key[1], seat.feed_flowing)
            self._announce(room.session_id, SfuFeed(seat.key[1], seat.feed_flowing),
                           exclude=seat.key[1])

    async def _switch(self, seat: _Seat, pid: str) -> None:
        """``seat`` asked for another layer of ``pid``'s camera (:func:`layers.switch`)."""
        switched = await layers.switch(seat, pid)
        if switched is not None:
            self._send(seat.key, switched)

    # ------------------------------------------------------------ failover

    def _node_lost(self, janus: JanusClient) -> None:
        """A Janus node died with its rooms. Each goes back to the mesh when it is small
        enough (``auto``: at most ``mesh_max``) or no node is left (``media_mode``, a
        live move); otherwise it moves to another node (the least loaded that answers)
        as a fresh Janus room, and its seats are told to publish again
        (``sfu_restart``). Presence and the lifecycle never notice."""
        for room in self._janus.lost(janus):
            seats = [seat for seat in room.seats.values() if self._seats.get(seat.key) is seat]
            for seat in room.seats.values():
                seat.gone = True
                if seat.answer is not None and not seat.answer.done():
                    seat.answer.cancel()
            for seat in seats:
                del self._seats[seat.key]
            session_id = room.session_id
            if self.modes.of(session_id) == "mesh":  # made ahead of a move: again elsewhere
                if self._nodes.available:
                    for seat in seats:
                        self._add(seat.key)
                continue
            if self._to_mesh(session_id):
                continue
            log.warning("event=sfu_room_moving room=%s seats=%d from=%s", session_id,
                        len(seats), janus.url)
            for seat in seats:
                self._add(seat.key, version=seat.version)
                fresh = self._seats.get(seat.key)
                if fresh is not None:
                    fresh.restart_pending = True
                self._send(seat.key, SfuRestart())

    def _republish(self, room: _Room, seat: _Seat) -> None:
        """Janus hung a seat's publisher up (ICE failed, a DTLS alert, an ``unpublish``)
        while the call is on the SFU: the seat is seated afresh in the same Janus room
        (a new feed; Janus drops the old one from the others' subscriptions) and told to
        publish again (``sfu_restart``). The others' media is untouched. A client that
        closed its SFU side itself (it moved to the mesh) has no SFU path to restart."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if seat.gone or self._seats.get(seat.key) is not seat \
                or self.modes.of(room.session_id) != "sfu":
            return
        if now - seat.restarted_at < REPUBLISH_SPACING:  # again so soon: later, not never
            loop.call_later(REPUBLISH_SPACING - (now - seat.restarted_at),
                            self._republish_if_down, room, seat)
            return
        log.warning("event=sfu_republish room=%s participant=%s", room.session_id,
                    seat.key[1])
        self._free(seat.key, seat)
        self._add(seat.key, version=seat.version)
        fresh = self._seats[seat.key]
        fresh.restarted_at = now
        fresh.hung_up = True  # the others were told it stopped: its webrtcup says it is back
        fresh.restart_pending = True
        self._send(seat.key, SfuRestart())

    def _republish_if_down(self, room: _Room, seat: _Seat) -> None:
        """A hangup that came within :data:`REPUBLISH_SPACING` of the last restart, once
        the spacing is over: republished if that seat's publisher is still down."""
        if seat.hung_up:
            self._republish(room, seat)

    def hang_up(self, session_id: str, pid: str) -> bool:
        """Have Janus hang up a participant's publisher (VideoRoom ``unpublish``): an
        operator's lever, and the tests' way to make Janus drop one connection. Whether
        there was one to hang up."""
        seat = self._seats.get((session_id, pid))
        if seat is None or seat.room is None or seat.publisher is None:
            return False
        self._spawn(seat.room.janus.message(seat.publisher, {"request": "unpublish"}),
                    f"sfu-hang-up-{pid}")
        return True

    def hold(self, session_id: str, pid: str, held: bool) -> bool:
        """Have Janus stop (``held``) or resume relaying media to a participant's
        subscriber (VideoRoom ``pause`` / ``start``), its publisher untouched: an
        operator's lever, and the tests' way to stop media reaching one client only.
        Whether it has a subscriber."""
        seat = self._seats.get((session_id, pid))
        if seat is None or seat.room is None or seat.subscriber is None:
            return False
        self._spawn(seat.room.janus.message(seat.subscriber, {
            "request": "pause" if held else "start"}), f"sfu-hold-{pid}")
        return True

    def _to_mesh(self, session_id: str, failed: bool = False) -> bool:
        """Move an SFU room whose node is gone back to the mesh if it is small enough,
        or no node is left (``failed``: none took it); whether it moved."""
        count = self._count(session_id)
        if not (failed or not self._nodes.available or self.modes.small(count)):
            return False
        moved = self.modes.force_mesh(session_id)
        if moved is None:
            return False
        log.warning("event=sfu_room_to_mesh room=%s seats=%d", session_id, count)
        for key, seat in list(self._seats.items()):  # nothing of them is left on Janus
            if key[0] == session_id and seat.room is None:
                del self._seats[key]
                seat.gone = True
        self._announce(session_id, moved)
        return True

    # ------------------------------------------------------------ plumbing

    def _send(self, key: SeatKey, message: Message) -> None:
        link = self._links.get(key)
        if link is not None:
            link.send(message)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except (JanusError, TimeoutError, OSError, aiohttp.ClientError) as exc:
                log.warning("event=sfu_failed task=%s error=%r", name, exc)
        task = asyncio.get_running_loop().create_task(guarded(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
