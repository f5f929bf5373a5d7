import pytest

from parley.qt.invite import Invite, format_invite, normalize_server, parse_invite


def test_round_trip_of_the_parley_link() -> None:
    link = format_invite("standup", "ws://192.168.1.20:8787/ws", "tok.en")
    assert link == "parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws&token=tok.en"
    assert parse_invite(link) == Invite("standup", "ws://192.168.1.20:8787/ws", "tok.en")


def test_bare_id_and_web_links() -> None:
    assert parse_invite("  team.sync-1 ") == Invite("team.sync-1")
    assert parse_invite("https://calls.example.org/join/abc?token=t") == Invite(
        "abc", "wss://calls.example.org/ws", "t")
    assert parse_invite("http://10.0.0.2:8787/join/abc") == Invite(
        "abc", "ws://10.0.0.2:8787/ws", None)


@pytest.mark.parametrize("text", ["", "has space", "x" * 65, "parley://call/abc",
                                  "ftp://host/join/abc", "https://host/abc",
                                  "parley://join/abc?server=http%3A%2F%2Fhost"])
def test_bad_invites_say_why(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_invite(text)
    assert str(info.value)


def test_normalize_server() -> None:
    assert normalize_server("") == ""
    assert normalize_server("10.0.0.2:8787") == "ws://10.0.0.2:8787/ws"
    assert normalize_server("https://calls.example.org") == "wss://calls.example.org/ws"
    assert normalize_server("ws://h:1/custom") == "ws://h:1/custom"
    for bad in ("ftp://h", "ws://", "ws://h:99999/ws"):
        with pytest.raises(ValueError):
            normalize_server(bad)
