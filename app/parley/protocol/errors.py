"""Error codes of the Parley wire protocol and the one exception decoding raises."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes carried by ``error`` messages and close reasons (see docs/protocol.md)."""

    MALFORMED = "malformed"
    """The frame is not a JSON object, or is not UTF-8 text."""
    UNSUPPORTED_VERSION = "unsupported_version"
    """The ``v`` field names a protocol version this server does not speak."""
    UNKNOWN_TYPE = "unknown_type"
    """The ``type`` field names no message of the protocol."""
    INVALID_FIELD = "invalid_field"
    """A field is missing, has the wrong type, or a value out of range."""
    INVALID_SESSION_ID = "invalid_session_id"
    """Session ids are 1-64 characters of ``[A-Za-z0-9_.-]``."""
    TOKEN_REQUIRED = "token_required"
    """The server has a secret and the join carried no token."""
    TOKEN_INVALID = "token_invalid"
    """The token's signature or format is wrong."""
    TOKEN_EXPIRED = "token_expired"
    """The token was valid but its expiry has passed."""
    TOKEN_WRONG_ROOM = "token_wrong_room"
    """The token was minted for another session id."""
    TOKEN_USED_UP = "token_used_up"
    """The invite has been used as many times as its use limit allows."""
    ROOM_FULL = "room_full"
    """The room already has the maximum number of participants."""
    TOO_MANY_ROOMS = "too_many_rooms"
    """The server already hosts its maximum number of rooms."""
    RESUME_REFUSED = "resume_refused"
    """The resume token is invalid, expired, or the participant already left."""
    RESUME_PENDING = "resume_pending"
    """The token before the seat's newest, while a link that has not confirmed the newest
    still holds the seat: retry on a new connection shortly (docs/protocol.md, *Resume*)."""
    NOT_JOINED = "not_joined"
    """The message needs a joined participant (join first)."""
    ALREADY_JOINED = "already_joined"
    """A second join on the same connection."""
    UNKNOWN_PARTICIPANT = "unknown_participant"
    """A relay addressed to nobody in the sender's room."""
    FRAME_TOO_LARGE = "frame_too_large"
    """The frame exceeds the server's size limit (64 KiB by default)."""
    RATE_LIMITED = "rate_limited"
    """Too many messages per second on this connection."""
    HEARTBEAT_TIMEOUT = "heartbeat_timeout"
    """No message arrived for longer than the heartbeat timeout."""
    REPLACED = "replaced"
    """The participant resumed on another connection; this one is closed."""
    DUPLICATE_IDENTITY = "duplicate_identity"
    """(Close reason) a new join with the same identity took this seat's place."""
    NOT_HOST = "not_host"
    """Only the host may end the call for everyone."""
    ROOM_CLOSED = "room_closed"
    """(Close reason) the host ended the call for everyone."""
    LOBBY_DENIED = "lobby_denied"
    """The host turned the knock away (or ended the call while it waited)."""
    LOBBY_TIMEOUT = "lobby_timeout"
    """Nobody let the knock in within the lobby's timeout."""
    SERVER_SHUTDOWN = "server_shutdown"
    """The server is going away; reconnect (resume) to its replacement."""
    INTERNAL = "internal"
    """A server bug; the connection stays usable."""


class ProtocolError(Exception):
    """A frame could not be decoded into a protocol message.

    Attributes:
        code: The error code to answer with.
        detail: A human-readable description of what was wrong.
    """

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail
