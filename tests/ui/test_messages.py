"""The sentences the app says about problems: one per kind, naming what matters."""

import pytest

from parley.qt.problems import Problem, ProblemKind, join_problem
from parley.sdk import EndReason, JoinError, JoinFailure
from parley.ui.messages import call_ended_text, call_title, knock_text, problem_text


@pytest.mark.parametrize("failure,text", [
    (JoinFailure.UNREACHABLE,
     "Can't reach the call server at ws://h:1/ws. Check the address and your network."),
    (JoinFailure.TOKEN_REJECTED,
     "The call server refused the invite's token. Ask for a new invite link."),
    (JoinFailure.ROOM_FULL,
     "This call is full. Try again later or ask the host for another call."),
    (JoinFailure.INVALID_SESSION_ID,
     "That session id isn't valid: use 1-64 letters, digits, '.', '_' or '-'."),
    (JoinFailure.ALREADY_JOINED, "You're already in a call."),
    (JoinFailure.INVALID_SETTINGS, "The call server refused your settings: bad name"),
    (JoinFailure.SERVER_ERROR, "The call server could not let you in: bad name"),
    (JoinFailure.TOKEN_REQUIRED, "This call needs an invite link. Ask the host for one."),
    (JoinFailure.TOKEN_EXPIRED, "This invite link has expired. Ask the host for a new one."),
    (JoinFailure.TOKEN_USED_UP, "This invite link has been used as often as it allows. "
                                "Ask the host for a new one."),
    (JoinFailure.DENIED, "The host didn't let you in."),
    (JoinFailure.LOBBY_TIMEOUT,
     "Nobody let you in. Try again later, or ask the host for an invite link."),
])
def test_a_refused_join_says_why_and_what_to_do(failure: JoinFailure, text: str) -> None:
    problem = join_problem(JoinError(failure, "bad name"), "ws://h:1/ws")
    assert problem == Problem(ProblemKind.JOIN_REFUSED, "bad name", "ws://h:1/ws", failure)
    assert problem_text(problem) == text


def test_a_cancelled_join_is_no_problem_and_a_crash_is_one() -> None:
    assert join_problem(JoinError(JoinFailure.CANCELLED, "left"), "ws://h:1/ws") is None
    crash = join_problem(RuntimeError("boom"), "ws://h:1/ws")
    assert crash is not None and problem_text(crash) == "Could not join the call: boom"


def test_every_kind_of_problem_has_its_sentence() -> None:
    texts = {kind: problem_text(Problem(kind, "why", "ws://h:1/ws", JoinFailure.ROOM_FULL,
                                        "camera")) for kind in ProblemKind}
    assert texts[ProblemKind.DEVICE_FAILED] == "camera: why"
    assert texts[ProblemKind.SHARE_FAILED] == "Screen sharing failed: why"
    assert texts[ProblemKind.NO_SERVER] == "No call server is configured. Enter a server address."
    assert all(texts.values())


def test_the_call_title() -> None:
    assert call_title("standup", test_call=False) == "standup"
    assert call_title("test-1a2b", test_call=True) == "Test call"
    assert call_title("", test_call=True) == ""


def test_the_server_ending_your_call_is_said_and_other_endings_are_not() -> None:
    assert call_ended_text(EndReason.ROOM_CLOSED) == "The host ended the call."
    assert call_ended_text(EndReason.REPLACED) == (
        "You joined this call from somewhere else, so it ended here.")
    assert call_ended_text(EndReason.LEFT) == "" and call_ended_text(None) == ""
    assert knock_text("Bob") == "Bob wants to join"


def test_the_unreachable_media_sentence_names_the_participant() -> None:
    from parley.ui.messages import media_unreachable_text

    assert media_unreachable_text("Bob") == "Can't reach Bob's media"
    assert media_unreachable_text("") == "Can't reach Guest's media"
