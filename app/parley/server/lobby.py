"""Ask to join: joiners without a valid grant wait in a lobby until a host answers.

On a server started with ``--lobby``, a fresh join that the gate refuses for its
token (none, expired, used up, not valid) does not fail: the connection waits
(``lobby_waiting``) and every host of the room is told (``knock``). A host's
``admit`` gives the joiner a seat as a guest - the hub seats it as it would any
join - and ``deny``, the lobby's timeout (2 minutes) or the host ending the call
ends the wait with an error (close 4013). A joiner in the lobby has no seat: it
is in no roster, receives no presence, no relay and no chat; it may only ping.

Pure logic on the loop's thread like the hub; it reaches links and seats only
through the callbacks it is given.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from parley.protocol.closecodes import CLOSE_CODES, CloseCode
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant, GrantKind
from parley.protocol.messages import Error, Join, Knock, KnockEnded, LobbyWaiting, Message
from parley.server.config import ServerConfig
from parley.server.logs import log_event

ADMITTED_SEAT_LIFETIME = 24 * 3600.0
"""How long the grant an admitted guest is seated with lasts (its seat may resume
until then), as long as an invite link does by default."""

_TAKEN = frozenset({ErrorCode.TOKEN_REQUIRED, ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED,
                    ErrorCode.TOKEN_WRONG_ROOM, ErrorCode.TOKEN_USED_UP})
"""The gate's refusals that send a join to the lobby instead."""


class Waiter(Protocol):
    """What the lobby needs of a connection (the hub's Link)."""

    @property
    def label(self) -> str: ...

    def send(self, message: Message) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


@dataclass(eq=False)
class Waiting:
    """One knock: a connection waiting in a room's lobby."""

    id: str
    link: Waiter
    join: Join
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class Lobby:
    """The lobbies of one server, per room.

    Args:
        config: ``lobby`` (on/off), ``lobby_timeout``, ``lobby_max_waiting`` and the
            room size (``max_participants`` knocks per room).
        hosts: The connected links of a room's hosts, to tell them about knocks.
        seat: Seats an admitted joiner (the hub's join, with the grant given); raises
            ProtocolError (a full room) to refuse it.
        clock: Wall-clock time (for the admitted seat's grant expiry).
    """

    def __init__(self, config: ServerConfig, hosts: Callable[[str], Sequence[Waiter]],
                 seat: Callable[[Waiter, Join, Grant], None],
                 clock: Callable[[], float]) -> None:
        self.enabled = config.lobby
        self._timeout = config.lobby_timeout
        self._heartbeat = config.heartbeat_interval
        self._per_room = config.max_participants
        self._max = config.lobby_max_waiting
        self._hosts = hosts
        self._seat = seat
        self._clock = clock
        self._rooms: dict[str, dict[str, Waiting]] = {}
        self._of_link: dict[Waiter, tuple[str, str]] = {}

    # ------------------------------------------------------------ the joiner's side

    def takes(self, refusal: ProtocolError) -> bool:
        """Whether a join the gate refused with ``refusal`` waits here instead."""
        return self.enabled and refusal.code in _TAKEN

    def knock(self, link: Waiter, join: Join) -> None:
        """``join`` waits for a host; every host of its room is told.

        Raises:
            ProtocolError: ROOM_FULL when the room's (or the server's) lobby is full.
        """
        room = self._rooms.get(join.session_id, {})
        if len(room) >= self._per_room or len(self._of_link) >= self._max:
            raise ProtocolError(ErrorCode.ROOM_FULL, "too many people are waiting to join")
        waiting = Waiting("k_" + secrets.token_urlsafe(6), link, join)
        self._rooms.setdefault(join.session_id, {})[waiting.id] = waiting
        self._of_link[link] = (join.session_id, waiting.id)
        waiting.timer = asyncio.get_running_loop().call_later(
            self._timeout, self._expire, join.session_id, waiting.id)
        hosts = self._hosts(join.session_id)
        link.send(LobbyWaiting(session_id=join.session_id, timeout=self._timeout,
                               heartbeat_interval=self._heartbeat, hosts_present=bool(hosts)))
        for host in hosts:
            host.send(Knock(waiting.id, join.display_name))
        log_event("knock", room=join.session_id, knock=waiting.id, link=link.label)

    def waiting(self, link: Waiter) -> bool:
        """True while ``link`` waits in a lobby (it has no seat)."""
        return link in self._of_link

    def link_closed(self, link: Waiter) -> None:
        """The joiner hung up while waiting."""
        where = self._of_link.get(link)
        if where is not None:
            self._end(*where, outcome="gone")

    # ------------------------------------------------------------ the hosts' side

    def answer(self, session_id: str, knock_id: str, admit: bool) -> None:
        """A host's ``admit`` or ``deny`` for ``knock_id`` of ``session_id``.

        Raises:
            ProtocolError: UNKNOWN_PARTICIPANT when nobody waits under that id (it
                was answered already, gave up or timed out).
        """
        waiting = self._rooms.get(session_id, {}).get(knock_id)
        if waiting is None:
            raise ProtocolError(ErrorCode.UNKNOWN_PARTICIPANT,
                                f"nobody is waiting to join as {knock_id!r}")
        if not admit:
            self._refuse(waiting, ErrorCode.LOBBY_DENIED, "the host did not let you in")
            self._end(session_id, knock_id, outcome="denied")
            return
        self._end(session_id, knock_id, outcome="admitted")
        grant = Grant(GrantKind.INVITE, session_id, self._clock() + ADMITTED_SEAT_LIFETIME)
        try:
            self._seat(waiting.link, waiting.join, grant)
        except ProtocolError as exc:
            self._refuse(waiting, exc.code, exc.detail)

    def host_arrived(self, session_id: str, link: Waiter) -> None:
        """A host joined or resumed: it hears of everyone already waiting."""
        for waiting in self._rooms.get(session_id, {}).values():
            link.send(Knock(waiting.id, waiting.join.display_name))

    def room_closed(self, session_id: str) -> None:
        """The host ended the call: nobody waits for it any more."""
        for waiting in list(self._rooms.get(session_id, {}).values()):
            self._refuse(waiting, ErrorCode.LOBBY_DENIED, "the host ended the call")
            self._end(session_id, waiting.id, outcome="closed", tell_hosts=False)

    def stop(self) -> None:
        """A shutdown: stop every timer (the sockets are closed by the server)."""
        for room in self._rooms.values():
            for waiting in room.values():
                if waiting.timer is not None:
                    waiting.timer.cancel()
        self._rooms.clear()
        self._of_link.clear()

    def counts(self) -> int:
        """How many joiners wait now."""
        return len(self._of_link)

    # ------------------------------------------------------------ internals

    def _expire(self, session_id: str, knock_id: str) -> None:
        waiting = self._rooms.get(session_id, {}).get(knock_id)
        if waiting is None:
            return
        self._refuse(waiting, ErrorCode.LOBBY_TIMEOUT,
                     f"nobody let you in within {self._timeout:g} s")
        self._end(session_id, knock_id, outcome="timeout")

    def _end(self, session_id: str, knock_id: str, outcome: str,
             tell_hosts: bool = True) -> None:
        room = self._rooms.get(session_id, {})
        waiting = room.pop(knock_id, None)
        if waiting is None:
            return
        if not room:
            self._rooms.pop(session_id, None)
        self._of_link.pop(waiting.link, None)
        if waiting.timer is not None:
            waiting.timer.cancel()
        if tell_hosts:
            for host in self._hosts(session_id):
                host.send(KnockEnded(knock_id, outcome))
        log_event("knock_ended", room=session_id, knock=knock_id, outcome=outcome)

    @staticmethod
    def _refuse(waiting: Waiting, code: ErrorCode, detail: str) -> None:
        waiting.link.send(Error(code.value, detail, Join.TYPE))
        waiting.link.close(CLOSE_CODES.get(code, CloseCode.LOBBY), code.value)
