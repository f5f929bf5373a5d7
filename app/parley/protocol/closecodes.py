"""The WebSocket close codes of the call server, and which errors end a connection."""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType

from parley.protocol.errors import ErrorCode


class CloseCode(IntEnum):
    """Close codes the call server sends (docs/protocol.md, "Error codes and close codes")."""

    NORMAL = 1000
    """After the participant's ``leave``."""
    GOING_AWAY = 1001
    """The server shuts down (after ``going_away``); seats stay resumable."""
    POLICY = 1008
    """The connection flooded the server (rate limit)."""
    TOO_BIG = 1009
    """A frame over the size limit."""
    AUTH = 4001
    """The join grant is missing, invalid, expired, used up or for another room."""
    FULL = 4003
    """The room or the server is full."""
    HEARTBEAT = 4008
    """Nothing arrived for the heartbeat timeout."""
    REPLACED = 4009
    """The seat was resumed on another connection."""
    RESUME_REFUSED = 4010
    """The resume token is invalid, or its participant has left."""
    ROOM_CLOSED = 4011
    """The host ended the call for everyone (after ``room_closed``): do not resume."""
    DUPLICATE_IDENTITY = 4012
    """A new join with the same identity grant replaced this seat: do not resume."""
    LOBBY = 4013
    """The lobby did not let this join in: denied, or nobody answered in time."""
    RESUME_PENDING = 4014
    """The seat's last resume is not confirmed yet and its link is still up: retry."""


CLOSE_CODES: MappingProxyType[ErrorCode, CloseCode] = MappingProxyType({
    ErrorCode.TOKEN_REQUIRED: CloseCode.AUTH,
    ErrorCode.TOKEN_INVALID: CloseCode.AUTH,
    ErrorCode.TOKEN_EXPIRED: CloseCode.AUTH,
    ErrorCode.TOKEN_WRONG_ROOM: CloseCode.AUTH,
    ErrorCode.TOKEN_USED_UP: CloseCode.AUTH,
    ErrorCode.ROOM_FULL: CloseCode.FULL,
    ErrorCode.TOO_MANY_ROOMS: CloseCode.FULL,
    ErrorCode.RESUME_REFUSED: CloseCode.RESUME_REFUSED,
    ErrorCode.RESUME_PENDING: CloseCode.RESUME_PENDING,
    ErrorCode.ROOM_CLOSED: CloseCode.ROOM_CLOSED,  # also answers a resume after the end
    ErrorCode.FRAME_TOO_LARGE: CloseCode.TOO_BIG,
    ErrorCode.HEARTBEAT_TIMEOUT: CloseCode.HEARTBEAT,
    ErrorCode.LOBBY_DENIED: CloseCode.LOBBY,
    ErrorCode.LOBBY_TIMEOUT: CloseCode.LOBBY,
})
"""Errors after which the server closes the connection, and with which close code.
Every other error leaves the connection open."""

CLOSE_REASONS: MappingProxyType[ErrorCode, CloseCode] = MappingProxyType({
    ErrorCode.REPLACED: CloseCode.REPLACED,
    ErrorCode.DUPLICATE_IDENTITY: CloseCode.DUPLICATE_IDENTITY,
})
"""Codes that are only ever a close reason (never an ``error`` message), and their
close code. The host who ends the call is closed 1000 with reason ``room_closed``."""
