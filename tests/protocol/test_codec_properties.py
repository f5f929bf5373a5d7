"""Property tests of the wire codec: round trips, and nothing but ProtocolError on bad input."""

from __future__ import annotations

import json
import typing
from dataclasses import fields, is_dataclass
from types import UnionType
from typing import Any, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.protocol.chattext import check_chat_text
from parley.protocol.errors import ProtocolError
from parley.protocol.messages import (
    MESSAGE_TYPES,
    Message,
    decode,
    encode,
    to_dict,
)
from parley.protocol.names import MAX_NAME_LENGTH, check_display_name

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

session_ids = st.from_regex(r"\A[A-Za-z0-9_.-]{1,64}\Z")


def _is_display_name(text: str) -> bool:
    try:
        check_display_name(text)
    except ValueError:
        return False
    return True


display_names = st.text(min_size=1, max_size=MAX_NAME_LENGTH).filter(_is_display_name)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)


def _chat_ok(text: str) -> bool:
    try:
        check_chat_text(text)
    except ValueError:
        return False
    return True


chat_texts = st.text(min_size=1, max_size=80).filter(_chat_ok)

_FIELD_OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "session_id": session_ids,
    "display_name": display_names,
    "text": chat_texts,
    "generation": st.integers(min_value=0, max_value=2**53),
}


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any field type the protocol uses."""
    origin = typing.get_origin(tp)
    if origin in (Union, UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = st.one_of(*(strategy_for(a) for a in args))
        return st.none() | inner if type(None) in typing.get_args(tp) else inner
    if origin is tuple:
        return st.lists(strategy_for(typing.get_args(tp)[0]), max_size=4).map(tuple)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp is float:
        return finite_floats
    if tp is str:
        return st.text(max_size=40)
    if isinstance(tp, type) and is_dataclass(tp):
        return dataclass_strategy(tp)
    raise TypeError(f"no strategy for {tp!r}")


def dataclass_strategy(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{
        f.name: (_FIELD_OVERRIDES[f.name] if f.name in _FIELD_OVERRIDES
                 else strategy_for(hints[f.name]))
        for f in fields(cls)
    })


messages = st.one_of(*(dataclass_strategy(cls) for cls in MESSAGE_TYPES.values()))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("cls", list(MESSAGE_TYPES.values()), ids=list(MESSAGE_TYPES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_decode_encode_round_trip_for_every_type(cls: type[Message],
                                                 data: st.DataObject) -> None:
    message = data.draw(dataclass_strategy(cls))
    assert decode(encode(message)) == message
    assert decode(encode(message).encode("utf-8")) == message  # bytes too


@SETTINGS
@given(messages)
def test_encoding_is_a_versioned_json_object(message: Message) -> None:
    obj = json.loads(encode(message))
    assert obj["v"] == 1 and obj["type"] == message.TYPE
    assert obj == to_dict(message)


def _decode_only_protocol_errors(frame: str | bytes) -> None:
    try:
        result = decode(frame)
    except ProtocolError:
        return
    assert isinstance(result, Message)


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_protocol_error(frame: bytes) -> None:
    _decode_only_protocol_errors(frame)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_protocol_error(frame: str) -> None:
    _decode_only_protocol_errors(frame)


@SETTINGS
@given(json_values)
def test_arbitrary_json_raises_only_protocol_error(value: Any) -> None:
    _decode_only_protocol_errors(json.dumps(value))


@SETTINGS
@given(st.sampled_from(sorted(MESSAGE_TYPES)),
       st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_arbitrary_fields_of_a_known_type_raise_only_protocol_error(
        kind: str, body: dict[str, Any]) -> None:
    _decode_only_protocol_errors(json.dumps({**body, "v": 1, "type": kind}))


@SETTINGS
@given(messages, st.data())
def test_one_corrupted_field_raises_only_protocol_error(message: Message,
                                                       data: st.DataObject) -> None:
    obj = to_dict(message)
    key = data.draw(st.sampled_from(sorted(obj)))
    obj[key] = data.draw(json_values)
    _decode_only_protocol_errors(json.dumps(obj))
