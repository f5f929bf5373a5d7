"""Every sentence the app says about a problem, and what the call is called on screen."""

from __future__ import annotations

from parley.qt.problems import Problem, ProblemKind
from parley.sdk import EndReason, JoinFailure

TEST_CALL_TITLE = "Test call"
WAITING_FOR_HOST_TEXT = "Waiting for the host to let you in…"
HOST_ENDED_TEXT = "The host ended the call."
REPLACED_TEXT = "You joined this call from somewhere else, so it ended here."

_REFUSED = {
    JoinFailure.TOKEN_REJECTED: "The call server refused the invite's token. "
                                "Ask for a new invite link.",
    JoinFailure.ROOM_FULL: "This call is full. Try again later or ask the host for another "
                           "call.",
    JoinFailure.INVALID_SESSION_ID: "That session id isn't valid: use 1-64 letters, digits, "
                                    "'.', '_' or '-'.",
    JoinFailure.ALREADY_JOINED: "You're already in a call.",
    JoinFailure.TOKEN_REQUIRED: "This call needs an invite link. Ask the host for one.",
    JoinFailure.TOKEN_EXPIRED: "This invite link has expired. Ask the host for a new one.",
    JoinFailure.TOKEN_USED_UP: "This invite link has been used as often as it allows. "
                               "Ask the host for a new one.",
    JoinFailure.DENIED: "The host didn't let you in.",
    JoinFailure.LOBBY_TIMEOUT: "Nobody let you in. Try again later, or ask the host for an "
                               "invite link.",
}


def join_failure_text(failure: JoinFailure | None, server: str, detail: str) -> str:
    """What the join screen says when the SDK refused a join, and what to do about it."""
    if failure is JoinFailure.UNREACHABLE:
        return f"Can't reach the call server at {server}. Check the address and your network."
    if failure in _REFUSED:
        return _REFUSED[failure]
    if failure is JoinFailure.INVALID_SETTINGS:
        return f"The call server refused your settings: {detail}"
    return f"The call server could not let you in: {detail}"


TOKEN_REQUIRED_TEXT = _REFUSED[JoinFailure.TOKEN_REQUIRED]


def needs_token(problem: Problem) -> bool:
    """A join refused for want of a token that was never given (the token field is to blame;
    a server without TOKEN_REQUIRED says TOKEN_REJECTED)."""
    return (problem.kind is ProblemKind.JOIN_REFUSED and not problem.token_given
            and problem.join_failure in (JoinFailure.TOKEN_REQUIRED, JoinFailure.TOKEN_REJECTED))


def problem_text(problem: Problem) -> str:
    """The sentence shown for ``problem`` (on the join screen or as a call notice)."""
    kind, detail = problem.kind, problem.detail
    if needs_token(problem):
        return TOKEN_REQUIRED_TEXT
    if kind is ProblemKind.JOIN_REFUSED:
        return join_failure_text(problem.join_failure, problem.server, detail)
    texts = {
        ProblemKind.NO_SERVER: "No call server is configured. Enter a server address.",
        ProblemKind.INVALID_SETTINGS: detail,
        ProblemKind.JOIN_CRASHED: f"Could not join the call: {detail}",
        ProblemKind.NO_ECHO: "The echo participant is not available in this build yet.",
        ProblemKind.ECHO_FAILED: f"The test call could not start its echo: {detail}",
        ProblemKind.SHARE_FAILED: f"Screen sharing failed: {detail}",
        ProblemKind.DEVICES_UNOPENED: f"Could not open your devices: {detail}",
        ProblemKind.DEVICE_FAILED: f"{problem.device}: {detail}",
        ProblemKind.HOSTING_FAILED: f"Could not start a call on this computer: {detail}",
    }
    return texts[kind]


def call_ended_text(reason: EndReason | None) -> str:
    """What the join screen says when the server ended your call ("" for none of those)."""
    if reason is EndReason.ROOM_CLOSED:
        return HOST_ENDED_TEXT
    if reason is EndReason.REPLACED:
        return REPLACED_TEXT
    return ""


def media_unreachable_text(name: str) -> str:
    """A tile's notice when no media path to that participant connects."""
    return f"Can't reach {name or 'Guest'}'s media"


def knock_text(name: str) -> str:
    """The host's prompt for a join request."""
    return f"{name} wants to join"


def call_title(session_id: str, test_call: bool) -> str:
    """What to call the call on screen: "Test call", or its session id ("" outside one)."""
    return TEST_CALL_TITLE if test_call and session_id else session_id


def call_status(session_id: str, test_call: bool, people: int, reconnecting: bool) -> str:
    """The window title's part about the call: "standup (2 people) — reconnecting"."""
    count = f"{people} {'person' if people == 1 else 'people'}"
    status = " — reconnecting" if reconnecting else ""
    return f"{call_title(session_id, test_call)} ({count}){status}"


_NOTICES = {"joined": "{name} joined", "left": "{name} left",
            "hand": "{name} raised their hand"}


def notice_text(name: str, what: str) -> str:
    """A toast: "Grace Hopper joined", "… left", "… raised their hand"."""
    return _NOTICES[what].format(name=name or "Guest")
