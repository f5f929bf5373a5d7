"""Why a join failed and why a session ended."""

from __future__ import annotations

from enum import Enum


class JoinFailure(Enum):
    """Why :meth:`CallSession.join_session` raised."""

    UNREACHABLE = "unreachable"
    """The server could not be reached (refused, timed out, DNS)."""
    TOKEN_REJECTED = "token_rejected"
    """The join token is missing, invalid, expired or for another room."""
    ROOM_FULL = "room_full"
    """The room or the server is at its limit."""
    INVALID_SESSION_ID = "invalid_session_id"
    """Session ids are 1-64 characters of ``[A-Za-z0-9_.-]``."""
    INVALID_SETTINGS = "invalid_settings"
    """The display name or another setting was refused by the server."""
    SERVER_ERROR = "server_error"
    """The server answered with something unexpected."""
    ALREADY_JOINED = "already_joined"
    """This CallSession is already connecting or in a call."""
    CANCELLED = "cancelled"
    """leave_session() was called while joining."""


class JoinError(Exception):
    """Joining failed; no lifecycle callback fired.

    Attributes:
        reason: Machine-readable cause.
        message: What to show a person.
    """

    def __init__(self, reason: JoinFailure, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class EndReason(Enum):
    """Why a joined session ended (``CallSession.end_reason``)."""

    LEFT = "left"
    """leave_session() was called (on_session_left)."""
    IDLE_TIMEOUT = "idle_timeout"
    """Alone in the call for idle_timeout_period seconds (on_session_timed_out)."""
    RECONNECT_TIMEOUT = "reconnect_timeout"
    """Reconnecting did not succeed within reconnect_timeout (on_connection_closed)."""
    RESUME_REFUSED = "resume_refused"
    """The server no longer knew this participant when it came back (on_connection_closed)."""
