"""The switchboard: binds rooms to live links — joins, resumes, presence, relay, departures.

Every handler here is synchronous and runs on the event loop's thread, so the
room state never changes under a handler's feet; sending only enqueues a
frame on the recipient's link.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import NoReturn

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant
from parley.protocol.messages import (
    Admit,
    Answer,
    Candidate,
    Chat,
    Deny,
    EndCall,
    Error,
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
    RoomClosed,
    Update,
    Welcome,
)
from parley.protocol.resume import ResumeClaim, mint_resume_token, verify_resume_token
from parley.server.admission import Admission, Gate
from parley.server.chat import ChatRelay
from parley.server.config import ServerConfig
from parley.server.keys import state_dir
from parley.server.link import DEPARTED as _DEPARTED
from parley.server.link import Link as Link
from parley.server.lobby import Lobby
from parley.server.logs import log_event
from parley.server.relay import relay
from parley.server.rooms import Registry, Seat, SeatKey, TokenUse
from parley.server.sfu.room import SFU_REQUESTS, SfuRooms
from parley.server.state import DepartedStore, load_departed
from parley.server.welcome import welcome_message


class Hub:
    """Room logic for one server: one instance per running :class:`CallServer`."""

    def __init__(self, config: ServerConfig, resume_key: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        directory = state_dir(config)
        self._store = DepartedStore(directory, lambda: self.registry.departed(self._clock()))
        self._link_of: dict[SeatKey, Link] = {}
        self.sfu = SfuRooms(config, self._link_of)
        self.registry = Registry(config.max_rooms, config.max_participants, config.max_rooms_per_ip,
                                 on_departed=self.sfu.after(self._store.changed))
        self.sfu.registry = self.registry
        self.registry.restore_departed(load_departed(directory), clock())
        self._gate = Gate(config, clock)
        self._resume_key = resume_key
        self._clock = clock
        self._key_of: dict[Link, SeatKey] = {}
        self._departures: dict[SeatKey, asyncio.TimerHandle] = {}
        self.lobby = Lobby(config, self._host_links, self._seat_admitted, clock)
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
        if key is not None:
            self._confirmed(key)
        if isinstance(message, Ping):
            token = self._resume_token(key) if key else None
            link.send(Pong(t=message.t, resume_token=token))
        elif isinstance(message, Join):
            if key is not None or self.lobby.waiting(link):
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
        elif isinstance(message, EndCall):
            self._end_call(key)
        elif isinstance(message, Admit | Deny):
            self._require_host(key, "let people in from the lobby")
            self.lobby.answer(key[0], message.id, admit=isinstance(message, Admit))
        elif isinstance(message, Offer | Answer | Candidate):
            relay(self.registry.rooms[key[0]], key, message, self._link_of, self.config)
        elif isinstance(message, Chat):
            self.chat.post(key, message)
        elif isinstance(message, SFU_REQUESTS):
            self.sfu.handle(key, message)
        else:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE,
                                f"{message.TYPE} is sent by the server, not to it")

    def seat_of(self, link: Link) -> Seat | None:
        """The seat ``link`` holds (None: it has not joined)."""
        key = self._key_of.get(link)
        return self.registry.seat(key) if key is not None else None

    def link_closed(self, link: Link, cause: str) -> None:
        """The link is gone (closed, errored, or silent too long) without a leave."""
        self.lobby.link_closed(link)
        key = self._key_of.pop(link, None)
        if key is None:
            return
        del self._link_of[key]
        seat = self.registry.seat(key)
        if seat is None or self.stopping:
            return
        seat.reconnecting = True
        seat.dropped_at = self._clock()
        log_event("reconnecting", room=key[0], participant=key[1], cause=cause)
        self._send_room(key[0], ParticipantReconnecting(key[1]), exclude=key[1])
        loop = asyncio.get_running_loop()
        self._departures[key] = loop.call_later(self.config.departure_timeout,
                                                self._depart, key)
        if seat.source is not None:
            # Join-and-drop must not fill rooms: an address keeps only a few seats waiting.
            for ghost in self.registry.ghosts_over(seat.source, self.config.max_ghosts_per_ip):
                self._cancel_departure(ghost)
                self._depart(ghost, reason="ghost")

    def stop(self) -> None:
        """Stop for a shutdown: no more departures or announcements; seats stay resumable."""
        self.stopping = True
        self.lobby.stop()
        for handle in self._departures.values():
            handle.cancel()
        self._departures.clear()
        self._store.flush()

    def counts(self) -> tuple[int, int]:
        """(rooms, participants) hosted now."""
        return self.registry.counts()

    # ------------------------------------------------------------ join and resume

    def _join(self, link: Link, join: Join) -> None:
        try:
            admission = self._gate.check(join)
        except ProtocolError as refusal:
            if not self.lobby.takes(refusal):
                raise
            self.lobby.knock(link, join)  # ask to join: wait for a host
            return
        self._seat(link, join, admission)

    def _seat_admitted(self, link: Link, join: Join, grant: Grant) -> None:
        """A host admitted ``join`` from the lobby: seat it as a guest."""
        self._seat(link, join, Admission(join.display_name, grant))

    def _seat(self, link: Link, join: Join, admission: Admission) -> None:
        grant = admission.grant
        if grant is not None and grant.user_id is not None:
            self._replace_identity(join.session_id, grant.user_id)
        seat = self.registry.admit(join.session_id, admission.name, grant=grant,
                                   source=link.source)
        self._gate.spend(admission)
        seat.update(audio_muted=join.audio_muted, video_paused=join.video_paused)
        key = (join.session_id, seat.id)
        self._bind(link, key)
        self.sfu.seat_joined(key)  # the room may move to the SFU: before the welcome says
        link.send(self._welcome(key, seat, resumed=False))
        self.chat.greet(link, key[0])
        self._send_room(key[0], ParticipantJoined(seat.info()), exclude=seat.id)
        log_event("join", room=key[0], participant=seat.id, link=link.label)
        if grant is not None and grant.host:
            self.lobby.host_arrived(key[0], link)

    def _resume(self, link: Link, join: Join, token: str) -> None:
        now = self._clock()
        claim = verify_resume_token(self._resume_key, token, now)
        if claim.session_id != join.session_id:
            raise ProtocolError(ErrorCode.RESUME_REFUSED, "resume token is for another session")
        key = (claim.session_id, claim.participant_id)
        departure = self.registry.departure(key, now)
        if departure is not None:  # a seat the host's end removed is told so (4011)
            code = ErrorCode.ROOM_CLOSED if departure == "room_closed" else ErrorCode.RESUME_REFUSED
            raise ProtocolError(code, _DEPARTED.get(departure, departure))
        if claim.grant is not None and now >= claim.grant.expires_at:
            # A seat outlives its grant only while its link stays up.
            raise ProtocolError(ErrorCode.RESUME_REFUSED, "the join grant has expired")
        seat = self.registry.seat(key)
        recreated = seat is None
        if seat is None:
            # A seat this server never saw: it restarted (or is another node).
            seat = self.registry.admit(claim.session_id, claim.name, claim.participant_id,
                                       grant=claim.grant, source=link.source)
            seat.generation = claim.generation
        else:
            self._admit_token(key, seat, claim.generation)
        # This token is spent: the welcome carries its successor. Until the client
        # confirms it, this one stays good for a resume on a new link (the welcome lost).
        seat.predecessor = claim.generation
        seat.generation += 1
        seat.source = link.source
        changed = seat.update(audio_muted=join.audio_muted, video_paused=join.video_paused)
        self._bind(link, key)
        self.sfu.seat_joined(key)  # a recreated seat counts again; on the SFU, a publisher
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
        if seat.grant is not None and seat.grant.host:
            self.lobby.host_arrived(key[0], link)

    def _admit_token(self, key: SeatKey, seat: Seat, generation: int) -> None:
        """Let a resume with a token of ``generation`` take ``seat`` back, or refuse it."""
        use = seat.presented(generation)
        if use is TokenUse.REUSED:
            self._token_reused(key)
        if use is TokenUse.PREDECESSOR and key in self._link_of:
            # The link it was spent on is up and silent since its welcome: a copy used
            # at the same time (or that link is dying). Not both: retry once it has gone.
            log_event("resume_pending", room=key[0], participant=key[1])
            raise ProtocolError(ErrorCode.RESUME_PENDING,
                                "the seat's last resume is still on another link: retry")
        self._take_over(key, seat)

    def _confirmed(self, key: SeatKey) -> None:
        """The seat's link spoke after its welcome: its client holds the newest token."""
        seat = self.registry.seat(key)
        if seat is not None:
            seat.predecessor = None

    def _token_reused(self, key: SeatKey) -> NoReturn:
        """A resume token older than the seat's: a copy was used after its successor.
        Whoever holds the seat and whoever presented the copy both go; each must
        join again with its grant (RFC 6819 5.2.2.3, refresh-token rotation)."""
        self._cancel_departure(key)
        link = self._unbind(key)
        if link is not None:
            link.send(Error(ErrorCode.RESUME_REFUSED.value, _DEPARTED["token_reused"]))
            link.close(CloseCode.RESUME_REFUSED, ErrorCode.RESUME_REFUSED.value)
        self._send_room(key[0], ParticipantLeft(key[1], reason="left"), exclude=key[1])
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime,
                             reason="token_reused")
        log_event("token_reused", logging.WARNING, room=key[0], participant=key[1],
                  link=link.label if link else None)
        raise ProtocolError(ErrorCode.RESUME_REFUSED, _DEPARTED["token_reused"])

    def _take_over(self, key: SeatKey, seat: Seat) -> None:
        """A resume reclaims an existing seat: stop its departure clock, evict its old link."""
        self._cancel_departure(key)
        old = self._unbind(key)
        if old is not None:
            old.close(CloseCode.REPLACED, ErrorCode.REPLACED.value)
            log_event("replaced", room=key[0], participant=key[1], link=old.label)
        seat.reconnecting = False

    def _replace_identity(self, session_id: str, user_id: str) -> None:
        """A fresh join with an identity the room holds: the old seat goes for good."""
        room = self.registry.rooms.get(session_id)
        old = room.seat_of_user(user_id) if room is not None else None
        if old is None:
            return
        key = (session_id, old.id)
        self._cancel_departure(key)
        link = self._unbind(key)
        if link is not None:
            link.close(CloseCode.DUPLICATE_IDENTITY, ErrorCode.DUPLICATE_IDENTITY.value)
        self._send_room(session_id, ParticipantLeft(old.id, reason="replaced"), exclude=old.id)
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime,
                             reason="replaced")
        log_event("leave", room=session_id, participant=old.id, reason="replaced")

    def _cancel_departure(self, key: SeatKey) -> None:
        handle = self._departures.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _unbind(self, key: SeatKey) -> Link | None:
        link = self._link_of.pop(key, None)
        if link is not None:
            del self._key_of[link]
        return link

    def _bind(self, link: Link, key: SeatKey) -> None:
        self._link_of[key] = link
        self._key_of[link] = key

    def _welcome(self, key: SeatKey, seat: Seat, resumed: bool,
                 recreated: bool = False) -> Welcome:
        return welcome_message(self.config, self.registry.rooms[key[0]], key,
                               self._mint(key, seat), self._clock(), resumed, recreated,
                               media=self.sfu.modes.of(key[0]))

    def _resume_token(self, key: SeatKey) -> str | None:
        seat = self.registry.seat(key)
        return self._mint(key, seat) if seat is not None else None

    def _mint(self, key: SeatKey, seat: Seat) -> str:
        now = self._clock()
        claim = ResumeClaim(key[0], key[1], seat.name,
                            now + self.config.resume_token_lifetime, seat.grant, seat.generation)
        return mint_resume_token(self._resume_key, claim, now)

    # ------------------------------------------------------------ presence and relay

    def _leave(self, link: Link, key: SeatKey) -> None:
        del self._key_of[link]
        del self._link_of[key]
        self._send_room(key[0], ParticipantLeft(key[1], reason="left"), exclude=key[1])
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime)
        link.close(CloseCode.NORMAL, "left")
        log_event("leave", room=key[0], participant=key[1], reason="left")

    def _end_call(self, key: SeatKey) -> None:
        """The host ends the call: everyone is told and closed, the room forgotten."""
        self._require_host(key, "end the call for everyone")
        session_id, host_id = key
        self.lobby.room_closed(session_id)
        closed = RoomClosed(reason="ended_by_host", by=host_id)
        for other in self.registry.close(session_id, self._clock(),
                                         self.config.resume_token_lifetime):
            other_key = (session_id, other.id)
            self._cancel_departure(other_key)
            link = self._unbind(other_key)
            if link is None:
                continue  # reconnecting: its resume is refused
            link.send(closed)
            if other.id == host_id:
                link.close(CloseCode.NORMAL, ErrorCode.ROOM_CLOSED.value)
            else:
                link.close(CloseCode.ROOM_CLOSED, ErrorCode.ROOM_CLOSED.value)
        log_event("room_closed", room=session_id, by=host_id)

    def _require_host(self, key: SeatKey, what: str) -> None:
        seat = self.registry.seat(key)
        if seat is None or seat.grant is None or not seat.grant.host:
            raise ProtocolError(ErrorCode.NOT_HOST, f"only the host may {what}")

    def _host_links(self, session_id: str) -> list[Link]:
        """The links of the room's hosts that are connected now."""
        room = self.registry.rooms.get(session_id)
        seats = [s for s in room.seats.values() if s.grant is not None and s.grant.host] \
            if room is not None else []
        links = (self._link_of.get((session_id, s.id)) for s in seats)
        return [link for link in links if link is not None]

    def _depart(self, key: SeatKey, reason: str = "timeout") -> None:
        self._departures.pop(key, None)
        seat = self.registry.seat(key)
        if seat is None or not seat.reconnecting or self.stopping:
            return
        self.registry.remove(key, self._clock(), self.config.resume_token_lifetime, reason)
        self._send_room(key[0], ParticipantLeft(key[1], reason="timeout"))
        log_event("leave", room=key[0], participant=key[1], reason=reason)

    def _update(self, key: SeatKey, update: Update) -> None:
        seat = self.registry.seat(key)
        assert seat is not None  # a bound link always has a seat
        seat.update(audio_muted=update.audio_muted, video_paused=update.video_paused,
                    hand_raised=update.hand_raised, screen_sharing=update.screen_sharing,
                    no_camera=update.no_camera, no_microphone=update.no_microphone)
        # Sent to the sender too: it is the acknowledgement.
        self._send_room(key[0], ParticipantUpdated(seat.info()))

    def _send_room(self, session_id: str, message: Message, exclude: str | None = None) -> None:
        room = self.registry.rooms.get(session_id)
        if room is None:
            return
        for seat in room.others(exclude) if exclude else list(room.seats.values()):
            link = self._link_of.get((session_id, seat.id))
            if link is not None:
                link.send(message)
