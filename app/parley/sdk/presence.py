"""Who is in the call, as the server tells it - and what to believe after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from parley.protocol.messages import (
    Message,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    ParticipantRestored,
    ParticipantUpdated,
    Welcome,
)
from parley.sdk.participants import Events, Participant, Roster


class Presence:
    """Applies the server's presence messages and welcomes to the roster.

    After a resume on a restarted server (``room_recreated``) the others it lacks
    have not resumed yet: they stay, marked reconnecting, until the departure
    grace period ends - as the server would have shown them - instead of leaving
    and joining again. Any word from the server about one of them ends that guess.

    Args:
        roster: The participants, updated in place.
        emit: Receives the listener events each change makes.
        connected: Whether our own link to the server is up right now.
        returned: Told the id of a participant the server says is back (restored, or
            resumed into a restarted server's room), so media can renegotiate at once.
    """

    def __init__(self, roster: Roster, emit: Callable[[Events], None],
                 connected: Callable[[], bool], returned: Callable[[str], None]) -> None:
        self._roster = roster
        self._returned = returned
        self._emit = emit
        self._connected = connected
        self._forget: dict[str, asyncio.TimerHandle] = {}
        """Per peer missing after a server restart: when to stop waiting for it."""

    def take_welcome(self, welcome: Welcome) -> None:
        """The server's full list, at join or after a resume."""
        infos = welcome.participants
        if welcome.room_recreated:
            known = {p.id for p in infos}
            waiting = [p for p in self._roster.all if p.id not in known and not p.is_local]
            infos = infos + tuple(replace(p, reconnecting=True) for p in waiting)
            loop = asyncio.get_running_loop()
            for p in waiting:
                self._cancel(p.id)
                self._forget[p.id] = loop.call_later(welcome.departure_timeout,
                                                     self._forget_if_absent, p.id)
        for info in welcome.participants:
            self._cancel(info.id)
        self._emit(self._roster.replace_all(infos, welcome.participant_id))

    def handle(self, message: Message) -> bool:
        """Apply one presence message; False when the message is not about presence."""
        local = self._roster.local_id
        if isinstance(message, ParticipantJoined | ParticipantUpdated):
            self._cancel(message.participant.id)
            events = self._roster.upsert(Participant.from_info(message.participant, local))
        elif isinstance(message, ParticipantLeft):
            self._cancel(message.participant_id)
            events = self._roster.remove(message.participant_id)
        elif isinstance(message, ParticipantReconnecting):
            self._cancel(message.participant_id)
            events = self._roster.set_reconnecting(message.participant_id, True)
        elif isinstance(message, ParticipantRestored):
            self._cancel(message.participant_id)
            events = self._roster.set_reconnecting(message.participant_id, False)
        else:
            return False
        self._emit(events)
        if isinstance(message, ParticipantRestored):
            self._returned(message.participant_id)
        elif isinstance(message, ParticipantJoined):
            self._returned(message.participant.id)
        return True

    def clear(self) -> None:
        for pid in list(self._forget):
            self._cancel(pid)

    def _forget_if_absent(self, pid: str) -> None:
        self._forget.pop(pid, None)
        if not self._connected():  # cut off ourselves, we cannot tell: the next welcome will
            return
        if self._roster.server_reconnecting(pid):
            self._emit(self._roster.remove(pid))

    def _cancel(self, pid: str) -> None:
        """The server spoke of ``pid``: its word, not our guess, decides from now on."""
        handle = self._forget.pop(pid, None)
        if handle is not None:
            handle.cancel()
