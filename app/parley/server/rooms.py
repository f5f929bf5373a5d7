"""Rooms and their participants: pure state, no sockets, no clock of its own.

The hub drives this model; every rule about seats (room size, server size,
who has left for good) lives here so it can be tested without a network.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant
from parley.protocol.names import distinct_name
from parley.protocol.presence import Flag, ParticipantInfo
from parley.server.budgets import Budget, RelayBudget

SeatKey = tuple[str, str]
"""(session id, participant id)."""


def new_participant_id() -> str:
    """A fresh, unguessable participant id such as ``p_3kT9xQ2a``."""
    return "p_" + secrets.token_urlsafe(6)


class TokenUse(Enum):
    """How a resume token stands to its seat's rotation."""

    NEWEST = "newest"
    """The seat's newest token: its holder takes the seat back."""
    PREDECESSOR = "predecessor"
    """The one its client presented last, whose successor the client has not confirmed:
    the welcome carrying that successor may have been lost."""
    REUSED = "reused"
    """Any other: a copy used after its successor reached someone (theft)."""


@dataclass
class Seat:
    """One participant's place in a room; it outlives a dropped link until the grace ends."""

    id: str
    name: str
    flags: set[Flag] = field(default_factory=set)
    """The presence flags that are on."""
    grant: Grant | None = None
    """What the seat was let in with (None: an open room); fixed for the seat's life."""
    source: str | None = None
    """The address of the link that holds (or last held) the seat; None: exempt from the
    per-address limits."""
    dropped_at: float = 0.0
    """When its link dropped without ``leave`` (wall clock), while it is reconnecting."""
    generation: int = 0
    """The generation of the seat's newest resume token (the welcome's, the pongs')."""
    predecessor: int | None = None
    """The generation its client presented at its last resume, still valid while the
    client has not shown it received the newest (that welcome may have been lost); None
    once it has: anything but the newest is then theft (:meth:`presented`)."""
    budget: Budget | None = None
    """Messages it may send (kept across resumes); made by its first connection."""
    relay: RelayBudget | None = None
    """Signalling bytes it may relay (kept across resumes)."""

    def presented(self, generation: int) -> TokenUse:
        """What a resume presenting a token of ``generation`` is (docs/protocol.md, *Resume*)."""
        if generation == self.generation:
            return TokenUse.NEWEST
        if generation == self.predecessor:
            return TokenUse.PREDECESSOR
        return TokenUse.REUSED

    @property
    def reconnecting(self) -> bool:
        """The participant's link is down; the seat waits for a resume."""
        return Flag.RECONNECTING in self.flags

    @reconnecting.setter
    def reconnecting(self, value: bool) -> None:
        self._set(Flag.RECONNECTING, value)

    def info(self) -> ParticipantInfo:
        """The participant as the protocol reports it."""
        return ParticipantInfo.with_flags(self.id, self.name, self.flags, **self.standing())

    def standing(self) -> dict[str, bool]:
        """The wire fields that say how the seat got in: guest, verified, host."""
        grant = self.grant
        if grant is None:
            return {}
        return {"guest": grant.guest, "verified": grant.verified, "host": grant.host}

    @property
    def user_id(self) -> str | None:
        """The identity grant's user id, if the seat has one."""
        return self.grant.user_id if self.grant is not None else None

    def update(self, **flags: bool | None) -> bool:
        """Apply the flags (by wire name, e.g. ``audio_muted=True``) that are not None;
        True when anything changed. An unknown name raises ValueError."""
        before = set(self.flags)
        for name, value in flags.items():
            flag = Flag(name)
            if value is not None:
                self._set(flag, value)
        return self.flags != before

    def _set(self, flag: Flag, on: bool) -> None:
        if on:
            self.flags.add(flag)
        else:
            self.flags.discard(flag)


@dataclass
class Room:
    """A call: the seats of one session id, in joining order."""

    session_id: str
    seats: dict[str, Seat] = field(default_factory=dict)

    def participants(self) -> tuple[ParticipantInfo, ...]:
        """Everybody in the room, reconnecting participants included."""
        return tuple(seat.info() for seat in self.seats.values())

    def others(self, participant_id: str) -> list[Seat]:
        """Every seat but ``participant_id``'s."""
        return [s for s in self.seats.values() if s.id != participant_id]

    def seat_of_user(self, user_id: str) -> Seat | None:
        """The seat an identity grant for ``user_id`` holds, if any."""
        return next((s for s in self.seats.values() if s.user_id == user_id), None)


class Registry:
    """All rooms of one server, plus the participants who left for good.

    ``departed`` remembers (room, participant) pairs, and why they went, until
    their last resume token has expired, so a token of someone who left cannot
    bring them back.
    Times given to it are wall-clock seconds (the clock resume tokens use).
    """

    def __init__(self, max_rooms: int, max_participants: int, max_rooms_per_source: int = 0,
                 on_departed: Callable[[], None] | None = None) -> None:
        """``max_rooms_per_source``: rooms one source may hold a seat in (0: no limit);
        ``on_departed`` is called whenever the departed list changes (to store it)."""
        self.max_rooms = max_rooms
        self.max_participants = max_participants
        self.max_rooms_per_source = max_rooms_per_source
        self.rooms: dict[str, Room] = {}
        self._departed: dict[SeatKey, tuple[float, str]] = {}
        self._on_departed = on_departed

    def seat(self, key: SeatKey) -> Seat | None:
        """The seat of (room, participant), if it exists."""
        room = self.rooms.get(key[0])
        return room.seats.get(key[1]) if room else None

    def admit(self, session_id: str, name: str, participant_id: str | None = None,
              grant: Grant | None = None, source: str | None = None) -> Seat:
        """Give ``name`` a seat in ``session_id``, creating the room if needed.

        ``participant_id`` is given when a resume re-creates a seat this server
        does not know (it restarted); otherwise a fresh id is assigned. A name
        that looks like one the room has already ("Ada", "Аda") gets a number
        ("Ada (2)"), so that nobody passes for somebody else.

        Raises:
            ProtocolError: ROOM_FULL or TOO_MANY_ROOMS.
        """
        room = self.rooms.get(session_id)
        if room is None and len(self.rooms) >= self.max_rooms:
            raise ProtocolError(ErrorCode.TOO_MANY_ROOMS,
                                f"this server already hosts {self.max_rooms} rooms")
        if room is None and source is not None and self.max_rooms_per_source \
                and self.rooms_of(source) >= self.max_rooms_per_source:
            raise ProtocolError(ErrorCode.TOO_MANY_ROOMS,
                                f"this address already holds seats in "
                                f"{self.max_rooms_per_source} rooms")
        if room is not None and len(room.seats) >= self.max_participants:
            raise ProtocolError(ErrorCode.ROOM_FULL,
                                f"room {session_id} already has {self.max_participants} "
                                "participants")
        if room is None:
            room = self.rooms[session_id] = Room(session_id)
        pid = participant_id or new_participant_id()
        while participant_id is None and pid in room.seats:
            pid = new_participant_id()
        name = distinct_name(name, (s.name for s in room.seats.values()))
        seat = room.seats[pid] = Seat(pid, name, grant=grant, source=source)
        return seat

    def rooms_of(self, source: str) -> int:
        """Rooms in which ``source`` holds a seat (live or dropped)."""
        return sum(1 for room in self.rooms.values()
                   if any(s.source == source for s in room.seats.values()))

    def ghosts_over(self, source: str, limit: int) -> list[SeatKey]:
        """The dropped seats of ``source`` past the ``limit`` it may keep, oldest first."""
        ghosts = sorted(((seat.dropped_at, (room.session_id, seat.id))
                         for room in self.rooms.values() for seat in room.seats.values()
                         if seat.source == source and seat.reconnecting),
                        key=lambda item: item[0])
        return [key for _, key in ghosts[:max(0, len(ghosts) - limit)]]

    def remove(self, key: SeatKey, now: float, remember_for: float,
               reason: str = "left") -> Seat | None:
        """Free a seat for good; its resume tokens are refused for ``remember_for`` s."""
        room = self.rooms.get(key[0])
        seat = room.seats.pop(key[1], None) if room else None
        if room is not None and not room.seats:
            del self.rooms[room.session_id]
        if seat is not None:
            self._departed[key] = (now + remember_for, reason)
            if room is not None:
                for other in room.seats.values():
                    if other.relay is not None:
                        other.relay.forget(seat.id)
            if self._on_departed is not None:
                self._on_departed()
        return seat

    def close(self, session_id: str, now: float, remember_for: float) -> list[Seat]:
        """Forget a room: free every seat (departed as ``room_closed``); the seats freed."""
        room = self.rooms.get(session_id)
        seats = list(room.seats.values()) if room else []
        for seat in seats:
            self.remove((session_id, seat.id), now, remember_for, reason="room_closed")
        return seats

    def has_departed(self, key: SeatKey, now: float) -> bool:
        """True when (room, participant) left for good and may not resume."""
        return self.departure(key, now) is not None

    def departure(self, key: SeatKey, now: float) -> str | None:
        """Why (room, participant) left for good (``left``, ``timeout``, ``replaced``,
        ``room_closed``), or None when it did not."""
        self._prune(now)
        entry = self._departed.get(key)
        return entry[1] if entry else None

    def departed(self, now: float) -> list[tuple[str, str, float, str]]:
        """Who left for good, as (room, participant, remembered until, why)."""
        self._prune(now)
        return [(k[0], k[1], until, why) for k, (until, why) in self._departed.items()]

    def restore_departed(self, entries: Iterable[tuple[str, str, float, str]],
                         now: float) -> None:
        """Take back a stored :meth:`departed` list (after a restart); expired ones go."""
        for room, pid, until, why in entries:
            if until > now:
                self._departed[(room, pid)] = (until, why)

    def _prune(self, now: float) -> None:
        expired = [k for k, (until, _) in self._departed.items() if until <= now]
        for k in expired:
            del self._departed[k]

    def counts(self) -> tuple[int, int]:
        """(rooms, participants) currently hosted."""
        return len(self.rooms), sum(len(r.seats) for r in self.rooms.values())
