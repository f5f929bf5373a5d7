"""The one server-address rule, and "the SDK dials the URL the UI shows"."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.protocol.defaults import DEFAULT_PORT, DEFAULT_SERVER_URL, WS_PATH
from parley.protocol.invites import format_invite, parse_invite
from parley.protocol.urls import normalize_server_url
from parley.sdk.signaling import normalize_server_url as sdk_dial_url
from tests.protocol.strategies import session_ids, tokens, typed_servers

SETTINGS = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize(("typed", "url"), [
    ("10.0.0.2:8787", "ws://10.0.0.2:8787/ws"),
    ("  https://calls.example.org  ", "wss://calls.example.org/ws"),
    ("http://h/", "ws://h/ws"),
    ("ws://h:1/custom", "ws://h:1/custom"),
    # The three disagreements the UI and the SDK used to have:
    ("wss://host/parley", "wss://host/parley"),        # the SDK dialled /parley/ws
    ("ws://h:1/ws?room=a&x=1", "ws://h:1/ws?room=a&x=1"),  # the SDK dropped the query
    ("ws://h?x=1#frag", "ws://h/ws?x=1"),
    ("WS://[::1]:8787", "ws://[::1]:8787/ws"),
])
def test_typed_addresses_become_the_url_that_is_dialled(typed: str, url: str) -> None:
    assert normalize_server_url(typed) == url
    assert sdk_dial_url(typed) == url


@pytest.mark.parametrize(("typed", "why"), [
    ("ftp://h", "must look like ws://host:port/ws"),
    ("ws://", "must look like ws://host:port/ws"),
    ("ws://[::1", "must look like ws://host:port/ws"),
    ("ws://h:99999/ws", "port must be a number from 1 to 65535"),  # the SDK accepted it
    ("ws://h:0/ws", "port must be a number from 1 to 65535"),
    ("h:http", "port must be a number from 1 to 65535"),
    ("ws://my host/ws", "must not contain spaces"),
    ("ws://h/ws\x00", "invisible characters"),
])
def test_bad_addresses_say_why_to_the_ui_and_the_sdk_alike(typed: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalize_server_url(typed)
    with pytest.raises(ValueError, match=why):
        sdk_dial_url(typed)


def test_no_address_is_the_callers_default() -> None:
    assert normalize_server_url("") == normalize_server_url("  ") == ""
    assert sdk_dial_url(None) == sdk_dial_url("") == DEFAULT_SERVER_URL
    assert DEFAULT_SERVER_URL == f"ws://127.0.0.1:{DEFAULT_PORT}{WS_PATH}" \
        == "ws://127.0.0.1:8787/ws"


@SETTINGS
@given(typed_servers())
def test_typed_address_keeps_host_port_path_and_query(
        typed: tuple[str, dict[str, object]]) -> None:
    text, parts = typed
    url = urlsplit(normalize_server_url(text))
    assert url.scheme == {"http": "ws", "https": "wss"}.get(str(parts["scheme"]),
                                                           parts["scheme"])
    assert url.netloc == str(parts["host"]) + (
        f":{parts['port']}" if parts["port"] is not None else "")
    assert url.path == (parts["path"] if parts["path"] not in (None, "/") else WS_PATH)
    assert url.query == (parts["query"] or "")
    assert url.fragment == ""


@SETTINGS
@given(st.text(max_size=60) | typed_servers().map(lambda t: t[0]))
def test_the_rule_is_idempotent_and_refuses_only_with_value_error(text: str) -> None:
    try:
        url = normalize_server_url(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert normalize_server_url(url) == url
    assert sdk_dial_url(url) == (url or DEFAULT_SERVER_URL)


@SETTINGS
@given(typed_servers().map(lambda t: t[0]), session_ids, tokens)
def test_the_sdk_dials_the_url_the_ui_shows_and_the_invite_names(
        typed: str, session_id: str, token: str | None) -> None:
    shown = normalize_server_url(typed)  # the join screen and `parley --server`
    assert sdk_dial_url(typed) == sdk_dial_url(shown) == shown
    invite = parse_invite(format_invite(session_id, shown, token))
    assert invite.server == shown
    assert invite.server is not None and sdk_dial_url(invite.server) == shown


def test_the_access_key_never_leaves_in_an_invite() -> None:
    from parley.protocol.urls import without_access_key

    assert without_access_key("ws://127.0.0.1:8787/ws?key=s3cret") == "ws://127.0.0.1:8787/ws"
    assert without_access_key("wss://h/ws?room=a&key=s3cret&b=1") == "wss://h/ws?room=a&b=1"
    assert without_access_key("") == ""
