"""The switchboard: binds rooms to live links — joins, resumes, presence, relay, departures.

Every handler here is synchronous and runs on the event loop's thread, so the
room state never changes under a handler's feet; sending only enqueues a
frame on the recipient's link.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import (
    Answer,
    Candidate,
    Chat,
    Join,
    Leave,
    Message,
    Offer,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    ParticipantRestored,
    ParticipantUpdated,
    Ping,
    Pong,
    Update,
    Welcome,
)
from parley.protocol.tokens import (
    ResumeClaim,
    mint_resume_token,
    verify_join_token,
    verify_resume_token,
)
from parley.server.chat import ChatRelay
from parley.server.config import ServerConfig
from parley.server.logs import log_event
from parley.server.rooms import Registry, Seat, SeatKey


class Link(Protocol):
    """What the hub needs of a client connection."""

    @property
    def label(self) -> str:
        """A short id for logs."""
        ...

    def send(self, message: Message) -> None:
        """Queue a message; never blocks."""
        ...

    def close(self, code: int, reason: str) -> None:
        """Close after the queued messages have been sent."""
        ...


class Hub:
    """Room logic for one server: one instance per running :class:`CallServer`."""

    def __init__(self, config: ServerConfig, resume_key: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.registry = Registry(config.max_rooms, config.max_participants)
        self._resume_key = resume_key
        self._clock = clock
        self._link_of: dict[SeatKey, Link] = {}
        self._key_of: dict[Link, SeatKey] = {}
        self._departures: dict[SeatKey, asyncio.TimerHandle] = {}
        self.stopping = False
        self.chat = ChatRelay(self.registry, self._send_room)

    # ------------------------------------------------------------ entry points

    def handle(self, link: Link, message: Message) -> None:
        """Act on one decoded message from ``link``.

        Raises:
            ProtocolError: the request is refused; the caller answers with an
                ``error`` (and closes when the code is in
                :data:`~parley.protocol.closecodes.CLOSE_CODES`).
        """
        key = self._key_of.get(link)
        if isinstance(message, Ping):
            token = self._resume_token(key) if key else None
            link.send(Pong(t=message.t, resume_token=token))
        elif isinstance(message, Join):
            if key is not None:
                raise ProtocolError(ErrorCode.ALREADY_JOINED, "this connection already joined")
            if message.resume_token is not None:
                self._resume(link, message, message.resume_token)
            else:
                self._join(link, message)
        elif key is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, f"join before sending {message.TYPE}")
        elif isinstance(message, Leave):
            self._leave(link, key)
        elif isinstance(message, Update):
            self._update(key, message)
        elif isinstance(message, Offer | Answer | Candidate):
            self._relay(key, message)
        elif isinstance(message, Chat):
            self.chat.post(key, message)
        else:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE,
                                f"{message.TYPE} is sent by the server, not to it")

    def link_closed(self, link: Link, cause: str) -> None:
        """The link is gone (closed, errored, or silent too long) without a leave."""
        key = self._key_of.pop(link, None)
        if key is None:
            return
        del self._link_of[key]
        seat = self.registry.seat(key)
        if seat is None or self.stopping:
            return
        seat.reconnecting = True
        log_event("reconnecting", room=key[0], participant=key[1], cause=cause)
        self._send_room(key[0], ParticipantReconnecting(key[1]), exclude=key[1])
        loop = asyncio.get_running_loop()
        self._departures[key] = loop.call_later(self.config.departure_timeout,
                                                self._depart, key)

    def stop(self) -> None:
        """Stop for a shutdown: no more departures or announcements; seats stay resumable."""
        self.stopping = True
        for handle in self._departures.values():
            handle.cancel()
        self._departures.clear()

    def counts(self) -> tuple[int, int]:
        """(rooms, participants) hosted now."""
        return self.registry.counts()

    # ------------------------------------------------------------ join and resume

    def _join(self, link: Link, join: Join) -> None:
        secret = self.config.secret
        if secret is not None:
            if join.token is None:
                raise ProtocolError(ErrorCode.TOKEN_REQUIRED, "this server needs a join token")
            verify_join_token(secret, join.token, join.session_id, self._clock())
        seat = self.registry.admit(join.session_id, join.display_name)
        seat.update(audio_muted=join.audio_muted, video_paused=join.video_paused)
        key = (join.session_id, seat.id)
        self._bind(link, key)
        link.send(self._welcome(key, seat, resumed=False))
        self.chat.greet(link, key[0])
        self._send_room(key[0], ParticipantJoined(seat.info()), exclude=seat.id)
        log_event("join", room=key[0], participant=seat.id, link=link.label)

    def _resume(self, link: Link, join: Join, token: str) -> None:
        now = self._clock()
        claim = verify_resume_token(self._resume_key, token, now)
        if claim.session_id != join.session_id:
            raise ProtocolError(ErrorCode.RESUME_REFUSED, "resume token is for another session")
        key = (claim.session_id, claim.participant_id)
        if self.registry.has_departed(key, now):
            raise ProtocolError(ErrorCode.RESUME_REFUSED, "participant has left")
        seat = self.registry.seat(key)
        recreated = seat is None
        if seat is None:
            # A seat this server never saw: it restarted (or is another node).
            seat = self.registry.admit(claim.session_id, claim.name, claim.participant_id)
        else:
            self._take_over(key, seat)
        changed = seat.update(audio_muted=join.audio_muted, video_paused=join.video_paused)
        self._bind(link, key)
        link.send(self._welcome(key, seat, resumed=True, recreated=recreated))
        self.chat.greet(link, key[0])
        if recreated:
            self._send_room(key[0], ParticipantJoined(seat.info()), exclude=seat.id)
        else:
            self._send_room(key[0], ParticipantRestored(seat.id), exclude=seat.id)
            if changed:
                self._send_room(key[0], ParticipantUpdated(seat.info()), exclude=seat.id)
        log_event("resume", room=key[0], participant=seat.id, link=link.label,
                  recreated=recreated)

    def _take_over(self, key: SeatKey, seat: Seat) -> None:
        """A resume reclaims an existing seat: stop its departure clock, evict its old link."""
        handle = self._departures.pop(key, None)
        if handle is not None:
            handle.cancel()
        old = self._link_of.pop(key, None)
        if old is not None:
            del self._key_of[old]
            old.close(CloseCode.REPLACED, ErrorCode.REPLACED.value)
            log_event("replaced", room=key[0], participant=key[1], link=old.label)
        seat.reconnecting = False

    def _bind(self, link: Link, key: SeatKey) -> None:
        self._link_of[key] = link
        self._key_of[link] = key

    def _welcome(self, key: SeatKey, seat: Seat, resumed: bool,
                 recreated: bool = False) -> Welcome:
        room = self.registry.rooms[key[0]]
        return Welcome(
            session_id=key[0],
            participant_id=key[1],
            participants=room.participants(),
            resume_token=self._mint(key, seat.name),
            heartbeat_interval=self.config.heartbeat_interval,
            heartbeat_timeout=self.config.client_heartbeat_timeout,
            departure_timeout=self.config.departure_timeout,
            ice_servers=self.config.ice_servers,
            resumed=resumed,
            room_recreated=recreated,
        )

    def _resume_token(self, key: SeatKey) -> str | None:
        seat = self.registry.seat(key)
        return self._mint(key, seat.name) if seat is not None else None

    def _mint(self, key: SeatKey, name: str) -> str:
        expires = self._clock() + self.config.resume_token_lifetime
        return mint_resume_token(self._resume_key, ResumeClaim(key[0], key[1], name, expires))

    # ------------------------------------------------------------ presence and relay

    def _leave(self, link: Link, key: SeatKey) -> None:
        del self._key_of[link]
        del self._link_of[key]
        self._send_room(key[0], ParticipantLeft(key[1], reason="left"), exclude=key[1])
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime)
        link.close(CloseCode.NORMAL, "left")
        log_event("leave", room=key[0], participant=key[1], reason="left")

    def _depart(self, key: SeatKey) -> None:
        self._departures.pop(key, None)
        seat = self.registry.seat(key)
        if seat is None or not seat.reconnecting or self.stopping:
            return
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime)
        self._send_room(key[0], ParticipantLeft(key[1], reason="timeout"))
        log_event("leave", room=key[0], participant=key[1], reason="timeout")

    def _update(self, key: SeatKey, update: Update) -> None:
        seat = self.registry.seat(key)
        assert seat is not None  # a bound link always has a seat
        seat.update(audio_muted=update.audio_muted, video_paused=update.video_paused,
                    hand_raised=update.hand_raised, screen_sharing=update.screen_sharing)
        # Sent to the sender too: it is the acknowledgement.
        self._send_room(key[0], ParticipantUpdated(seat.info()))

    def _relay(self, key: SeatKey, message: Offer | Answer | Candidate) -> None:
        if message.to is None:
            raise ProtocolError(ErrorCode.INVALID_FIELD, "to: missing (whom to relay to)")
        room = self.registry.rooms[key[0]]
        target = room.seats.get(message.to)
        if target is None or target.id == key[1]:
            raise ProtocolError(ErrorCode.UNKNOWN_PARTICIPANT,
                                f"no participant {message.to!r} in this room")
        link = self._link_of.get((key[0], target.id))
        if target.reconnecting or link is None:
            return  # the target renegotiates after it resumes; stale signalling is useless
        link.send(replace(message, sender=key[1]))

    def _send_room(self, session_id: str, message: Message, exclude: str | None = None) -> None:
        room = self.registry.rooms.get(session_id)
        if room is None:
            return
        for seat in room.others(exclude) if exclude else list(room.seats.values()):
            link = self._link_of.get((session_id, seat.id))
            if link is not None:
                link.send(message)
