"""What the join screen says when joining fails."""

from __future__ import annotations

from parley.sdk import JoinError, JoinFailure


def join_failure_text(error: JoinError, server: str) -> str:
    """A message for the join screen that says what went wrong and what to do."""
    reason = error.reason
    if reason is JoinFailure.UNREACHABLE:
        return f"Can't reach the call server at {server}. Check the address and your network."
    if reason is JoinFailure.TOKEN_REJECTED:
        return "The call server refused the invite's token. Ask for a new invite link."
    if reason is JoinFailure.ROOM_FULL:
        return "This call is full. Try again later or ask the host for another call."
    if reason is JoinFailure.INVALID_SESSION_ID:
        return "That session id isn't valid: use 1-64 letters, digits, '.', '_' or '-'."
    if reason is JoinFailure.ALREADY_JOINED:
        return "You're already in a call."
    if reason is JoinFailure.INVALID_SETTINGS:
        return f"The call server refused your settings: {error.message}"
    return f"The call server could not let you in: {error.message}"
