"""Ask to join, the host's side: who knocks in the lobby, and the answers sent back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from parley.protocol.messages import Admit, Deny, Knock, KnockEnded, Message
from parley.sdk.event_types import ParticipantEvent


@dataclass(frozen=True)
class JoinRequest:
    """Someone waiting in the lobby to be let in (``session.admit(request.id)``)."""

    id: str
    """The knock's id, for :meth:`CallSession.admit` / :meth:`CallSession.deny`."""
    name: str
    """The name they gave; nobody vouches for it (they join as a guest)."""
    outcome: str = ""
    """Once it ended (on_join_request_ended): ``admitted``, ``denied``, ``timeout``,
    ``gone`` (they gave up) or ``closed``; "" while waiting."""


class HostLobby:
    """The join requests a host sees, kept in arrival order.

    Args:
        send: Sends a message to the server; False when the link is down.
        emit: Fires a participant event (on_join_request / on_join_request_ended).
    """

    def __init__(self, send: Callable[[Message], bool],
                 emit: Callable[[ParticipantEvent, JoinRequest], None]) -> None:
        self._send = send
        self._emit = emit
        self._waiting: dict[str, JoinRequest] = {}

    @property
    def requests(self) -> tuple[JoinRequest, ...]:
        """Everyone waiting now."""
        return tuple(self._waiting.values())

    def handle(self, message: Message) -> bool:
        """Apply a lobby message; False when ``message`` is not one."""
        if isinstance(message, Knock):
            if message.id not in self._waiting:  # a resumed host hears of them again
                request = self._waiting[message.id] = JoinRequest(message.id, message.name)
                self._emit("on_join_request", request)
            return True
        if isinstance(message, KnockEnded):
            ended = self._waiting.pop(message.id, None)
            if ended is not None:
                self._emit("on_join_request_ended",
                           JoinRequest(ended.id, ended.name, message.outcome))
            return True
        return False

    def answer(self, request_id: str, admit: bool) -> bool:
        """Admit or deny ``request_id``; False when it no longer waits or the link is down.
        It stays listed until the server says it ended (on_join_request_ended)."""
        if request_id not in self._waiting:
            return False
        return self._send(Admit(request_id) if admit else Deny(request_id))

    def reset(self) -> None:
        """Our link was down: whoever waited may have gone meanwhile. Each one ends
        (``gone``); the server announces again everyone still waiting."""
        for request in self.requests:
            del self._waiting[request.id]
            self._emit("on_join_request_ended", JoinRequest(request.id, request.name, "gone"))

    def clear(self) -> None:
        """The call ended: nobody waits for this session any more (no events)."""
        self._waiting.clear()


class JoinRequests:
    """The join-request half of :class:`~parley.sdk.session.CallSession`'s API (hosts):
    it holds the session's HostLobby part and nothing else of the session."""

    def __init__(self, lobby: HostLobby) -> None:
        self._lobby = lobby

    @property
    def join_requests(self) -> tuple[JoinRequest, ...]:
        """(Hosts) everyone waiting in the lobby now, in arrival order."""
        return self._lobby.requests

    def admit(self, request_id: str) -> bool:
        """(Hosts) let a join request in; False when it no longer waits (or the link is
        down). on_join_request_ended follows, then on_participant_joined."""
        return self._lobby.answer(request_id, admit=True)

    def deny(self, request_id: str) -> bool:
        """(Hosts) turn a join request away; False when it no longer waits."""
        return self._lobby.answer(request_id, admit=False)
