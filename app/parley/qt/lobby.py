"""LobbyFeed: Ask to join as Qt signals - the joiner's wait, and the host's knocks.

The joiner's side is one signal (``waitingForHost``) while ``join_session`` waits in the
lobby; the host's side is the join requests (``requestsChanged`` with all of them, in
arrival order) and two slots to answer them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from parley.sdk import CallSession, ParticipantEventListener, SessionStatusListener
from parley.sdk.lobby import JoinRequest


class LobbyFeed(QObject):
    """One session's lobby, both sides of it."""

    waitingForHost = Signal()  # your join waits for the host to let you in
    requestsChanged = Signal(list)  # [JoinRequest]: who waits to be let in (hosts)
    requestEnded = Signal(object)  # JoinRequest, its outcome set

    def __init__(self, session: CallSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._status = SessionStatusListener(on_waiting_for_host=self.waitingForHost.emit)
        self._people = ParticipantEventListener(on_join_request=self._changed,
                                                on_join_request_ended=self._ended)
        session.add_session_status_listener(self._status)
        session.add_participant_event_listener(self._people)

    @property
    def requests(self) -> list[JoinRequest]:
        """Who waits now (hosts)."""
        return list(self._session.join_requests)

    @Slot(str)
    def admit(self, request_id: str) -> None:
        """Let ``request_id`` in (nothing when it no longer waits)."""
        self._session.admit(request_id)

    @Slot(str)
    def deny(self, request_id: str) -> None:
        """Turn ``request_id`` away (nothing when it no longer waits)."""
        self._session.deny(request_id)

    def clear(self) -> None:
        """The call ended: nobody waits any more."""
        self.requestsChanged.emit([])

    def dispose(self) -> None:
        self._session.remove_session_status_listener(self._status)
        self._session.remove_participant_event_listener(self._people)

    def _changed(self, _request: JoinRequest) -> None:
        self.requestsChanged.emit(self.requests)

    def _ended(self, request: JoinRequest) -> None:
        self.requestEnded.emit(request)
        self.requestsChanged.emit(self.requests)
