"""Why a join failed and why a session ended."""

from __future__ import annotations

from enum import Enum


class JoinFailure(Enum):
    """Why :meth:`CallSession.join_session` raised."""

    UNREACHABLE = "unreachable"
    """The server could not be reached (refused, timed out, DNS)."""
    TOKEN_REJECTED = "token_rejected"
    """The join token is not a valid grant, or was minted for another room."""
    TOKEN_REQUIRED = "token_required"
    """The server lets nobody in without a grant, and the join had none."""
    TOKEN_EXPIRED = "token_expired"
    """The invite (or identity grant) has expired: ask for a new link."""
    TOKEN_USED_UP = "token_used_up"
    """The invite has let in as many joins as it allows."""
    DENIED = "denied"
    """The host answered your knock in the lobby with Deny."""
    LOBBY_TIMEOUT = "lobby_timeout"
    """Nobody let you in while you waited in the lobby (2 minutes by default)."""
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
    ROOM_CLOSED = "room_closed"
    """The host ended the call for everyone (on_session_left, at once: nothing to resume)."""
    REPLACED = "replaced"
    """Your identity joined the call again elsewhere (another window or device), and that
    seat took this one's place (on_session_left)."""
