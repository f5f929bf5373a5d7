"""The session-id and display-name rules: one definition, the same answer everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.ids import is_valid_session_id, validate_session_id
from parley.protocol.invites import Invite, parse_invite
from parley.protocol.messages import Join, decode, encode
from parley.protocol.names import MAX_NAME_LENGTH, check_display_name, validate_display_name
from parley.sdk.settings import SessionSettings

SETTINGS = settings(max_examples=300, deadline=None)
id_like = st.text(alphabet=st.characters(codec="utf-8"), max_size=70) \
    | st.from_regex(r"\A[A-Za-z0-9_.-]{0,66}\Z")


@pytest.mark.parametrize("good", ["a", "standup", "team.sync-1", "A_b", "x" * 64])
def test_good_session_ids(good: str) -> None:
    assert is_valid_session_id(good)
    validate_session_id(good)


@pytest.mark.parametrize("bad", ["", "x" * 65, "has space", "a/b", "é", "a\n", None, 7])
def test_bad_session_ids_are_invalid_session_id(bad: object) -> None:
    assert not is_valid_session_id(bad)
    with pytest.raises(ProtocolError, match="must be 1-64 characters of") as info:
        validate_session_id(bad)
    assert info.value.code is ErrorCode.INVALID_SESSION_ID


@SETTINGS
@given(id_like)
def test_wire_and_join_screen_agree_on_every_session_id(text: str) -> None:
    wire_ok = is_valid_session_id(text)
    frame = encode(Join(session_id=text, display_name="Ada"))
    try:
        decode(frame)
    except ProtocolError as exc:
        assert not wire_ok and exc.code is ErrorCode.INVALID_SESSION_ID
    else:
        assert wire_ok
    if "://" in text or text != text.strip():
        return  # the join screen reads links, and trims what is typed
    try:
        typed = parse_invite(text)
    except ValueError:
        assert not wire_ok
    else:
        assert wire_ok and typed == Invite(text)


@pytest.mark.parametrize("good", ["Ada", " Ada ", "Zoë 🎉", "x" * MAX_NAME_LENGTH])
def test_good_display_names(good: str) -> None:
    assert check_display_name(good) == good.strip()
    validate_display_name(good)
    assert SessionSettings(display_name=good).display_name == good.strip()


@pytest.mark.parametrize("bad", ["", "   ", "x" * (MAX_NAME_LENGTH + 1), "a\tb", "a\u200bb",
                                 None])
def test_bad_display_names_are_refused_by_the_wire_and_the_sdk(bad: object) -> None:
    with pytest.raises(ValueError, match="display_name must be 1-64 printable characters"):
        check_display_name(bad)
    with pytest.raises(ProtocolError, match="display_name must be 1-64 printable") as info:
        validate_display_name(bad)
    assert info.value.code is ErrorCode.INVALID_FIELD
    with pytest.raises(ValueError, match=r"display_name must be 1-64 printable .*, got "):
        SessionSettings(display_name=bad)  # type: ignore[arg-type]


@SETTINGS
@given(st.text(max_size=MAX_NAME_LENGTH + 4))
def test_wire_and_sdk_agree_on_every_display_name(name: str) -> None:
    try:
        SessionSettings(display_name=name)
    except ValueError:
        sdk_ok = False
    else:
        sdk_ok = True
    try:
        decode(encode(Join(session_id="s", display_name=name)))
    except ProtocolError as exc:
        assert exc.code is ErrorCode.INVALID_FIELD
        wire_ok = False
    else:
        wire_ok = True
    assert sdk_ok == wire_ok
