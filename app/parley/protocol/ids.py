"""The session-id rule: what names a call (a room) on the wire, in invites and on the CLI."""

from __future__ import annotations

import re

from parley.protocol.errors import ErrorCode, ProtocolError

MAX_SESSION_ID_LENGTH = 64
SESSION_ID_RULE = f"1-{MAX_SESSION_ID_LENGTH} characters of A-Z a-z 0-9 _ . -"
"""The rule in words, for messages."""

_SESSION_ID = re.compile(rf"[A-Za-z0-9_.\-]{{1,{MAX_SESSION_ID_LENGTH}}}")


def is_valid_session_id(session_id: object) -> bool:
    """True if ``session_id`` is a string of 1-64 characters of ``[A-Za-z0-9_.-]``."""
    return isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id) is not None


def validate_session_id(session_id: object) -> None:
    """Raise ProtocolError(INVALID_SESSION_ID) unless the id is 1-64 of [A-Za-z0-9_.-]."""
    if not is_valid_session_id(session_id):
        raise ProtocolError(
            ErrorCode.INVALID_SESSION_ID, f"session id {session_id!r} must be {SESSION_ID_RULE}"
        )
