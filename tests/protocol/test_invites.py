"""Invite links: the formatter's output reads back, and what the join screen accepts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.protocol.invites import Invite, format_invite, parse_invite
from parley.protocol.urls import normalize_server_url
from tests.protocol.strategies import session_ids, tokens, typed_servers


def test_round_trip_of_the_parley_link() -> None:
    link = format_invite("standup", "ws://192.168.1.20:8787/ws", "tok.en")
    assert link == "parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws&token=tok.en"
    assert parse_invite(link) == Invite("standup", "ws://192.168.1.20:8787/ws", "tok.en")


def test_the_invite_names_the_normalised_server() -> None:
    assert parse_invite(format_invite("a", "10.0.0.2:8787")) == Invite(
        "a", "ws://10.0.0.2:8787/ws")
    assert format_invite("a") == "parley://join/a"


def test_bare_id_and_web_links() -> None:
    assert parse_invite("  team.sync-1 ") == Invite("team.sync-1")
    assert parse_invite("https://calls.example.org/join/abc?token=t") == Invite(
        "abc", "wss://calls.example.org/ws", "t")
    assert parse_invite("http://10.0.0.2:8787/join/abc") == Invite(
        "abc", "ws://10.0.0.2:8787/ws", None)


@pytest.mark.parametrize(("text", "why"), [
    ("", "Enter a session id"),
    ("has space", "A session id is 1-64 letters"),
    ("x" * 65, "A session id is 1-64 letters"),
    ("parley://call/abc", "not an invite"),
    ("ftp://host/join/abc", "ftp:// are not Parley invites"),
    ("https://host/abc", "not a Parley invite"),
    ("https://[::1/join/abc", "not a Parley invite"),
    ("parley://join/a b", "invalid session id"),
    ("parley://join/abc?server=http%3A%2F%2Fhost", "must be a ws:// or wss://"),
    ("parley://join/abc?server=ws%3A%2F%2Fh%3A99999", "port must be a number"),
    ("https://h:99999/join/abc", "port must be a number"),
])
def test_bad_invites_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_invite(text)


@pytest.mark.parametrize(("session_id", "server"), [("a b", None), ("ok", "ftp://h")])
def test_the_formatter_refuses_what_the_parser_would(session_id: str,
                                                     server: str | None) -> None:
    with pytest.raises(ValueError, match="session id|must look like"):
        format_invite(session_id, server)


@settings(max_examples=300, deadline=None)
@given(session_ids, typed_servers().map(lambda t: t[0]) | tokens, tokens)
def test_whatever_the_formatter_writes_the_parser_reads_back(
        session_id: str, server: str | None, token: str | None) -> None:
    try:
        expected_server = normalize_server_url(server) if server else None
    except ValueError:  # a token-like string is rarely a server address
        with pytest.raises(ValueError, match="server"):
            format_invite(session_id, server, token)
        return
    link = format_invite(session_id, server, token)
    assert parse_invite(link) == Invite(session_id, expected_server or None, token or None)
    assert parse_invite(f"  {link}\n") == parse_invite(link)


def test_several_servers_are_written_in_order_and_one_server_is_unchanged() -> None:
    one = "parley://join/a?server=ws%3A%2F%2F10.0.0.2%3A8787%2Fws&token=t"
    assert format_invite("a", "10.0.0.2:8787", "t", alternates=()) == one
    two = format_invite("a", "10.0.0.2:8787", "t", alternates=("ws://10.8.0.5:8787/ws",))
    assert two == ("parley://join/a?server=ws%3A%2F%2F10.0.0.2%3A8787%2Fws"
                   "&server=ws%3A%2F%2F10.8.0.5%3A8787%2Fws&token=t")
    invite = parse_invite(two)
    assert invite.server == "ws://10.0.0.2:8787/ws"
    assert invite.servers == ("ws://10.0.0.2:8787/ws", "ws://10.8.0.5:8787/ws")
    assert invite.alternates == ("ws://10.8.0.5:8787/ws",)
    assert invite.token == "t"


def test_repeated_servers_are_normalised_and_deduplicated() -> None:
    link = ("parley://join/a?server=ws%3A%2F%2Fb%3A1&server=ws%3A%2F%2Fa%3A1%2Fws"
            "&server=ws%3A%2F%2Fb%3A1%2Fws&server=")
    assert parse_invite(link).servers == ("ws://b:1/ws", "ws://a:1/ws")
    assert format_invite("a", "b:1", alternates=("ws://b:1/ws", "a:1")) == (
        "parley://join/a?server=ws%3A%2F%2Fb%3A1%2Fws&server=ws%3A%2F%2Fa%3A1%2Fws")


def test_more_than_eight_servers_or_a_non_websocket_one_is_refused() -> None:
    many = "&".join(f"server=ws%3A%2F%2F10.0.0.{i}%3A1%2Fws" for i in range(9))
    with pytest.raises(ValueError, match="more than 8 servers"):
        parse_invite(f"parley://join/a?{many}")
    with pytest.raises(ValueError, match="at most 8 servers"):
        format_invite("a", "h:1", alternates=[f"h{i}:1" for i in range(8)])
    mixed = "parley://join/a?server=ws%3A%2F%2Fh%3A1&server=https%3A%2F%2Fh"
    with pytest.raises(ValueError, match="must be a ws:// or wss://"):
        parse_invite(mixed)


@settings(max_examples=200, deadline=None)
@given(session_ids, st.lists(typed_servers().map(lambda t: t[0]), max_size=8), tokens)
def test_whatever_list_of_servers_the_formatter_writes_the_parser_reads_back(
        session_id: str, servers: list[str], token: str | None) -> None:
    try:
        expected = tuple(dict.fromkeys(normalize_server_url(s) for s in servers if s))
    except ValueError:
        with pytest.raises(ValueError, match="server|look like"):
            format_invite(session_id, servers[0] if servers else None, token,
                          alternates=servers[1:])
        return
    link = format_invite(session_id, servers[0] if servers else None, token,
                         alternates=servers[1:])
    invite = parse_invite(link)
    assert invite.servers == expected
    assert invite.server == (expected[0] if expected else None)
    assert invite.token == (token or None)
    if len(expected) <= 1:
        assert link == format_invite(session_id, expected[0] if expected else None, token)
