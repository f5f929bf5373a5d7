"""The TURN ladder (which TURN URL each new connection gets) and the path names."""

from __future__ import annotations

import time

from parley.media.ice import IcePath, TurnLadder, turn_transport
from parley.protocol.messages import IceServer
from tests.media.conftest import Router, flowing

TURN = IceServer(urls=("turns:t.example:443?transport=tcp", "turn:t.example:3478?transport=tcp",
                       "turn:t.example:3478?transport=udp"), username="1:p", credential="c")
STUN = IceServer(urls=("stun:s.example:3478", "stun:s2.example:3478"))


def test_turn_urls_are_read_by_transport() -> None:
    assert turn_transport("turn:h:3478") == "udp"
    assert turn_transport("turn:h:3478?transport=udp") == "udp"
    assert turn_transport("turn:h:3478?transport=TCP") == "tcp"
    assert turn_transport("turns:h:443?transport=tcp") == "tls"
    assert turn_transport("turns:h") == "tls"
    assert turn_transport("turns:h:443?transport=udp") is None  # DTLS: aiortc can't
    assert turn_transport("stun:h:3478") is None


def test_each_rung_hands_one_turn_url_in_the_order_udp_tcp_tls() -> None:
    ladder = TurnLadder((STUN, TURN))
    seen = []
    for _ in range(4):
        servers = ladder.servers()
        assert servers[0] == STUN  # aiortc takes its first STUN URL
        (turn,) = servers[1:]
        assert len(turn.urls) == 1 and (turn.username, turn.credential) == ("1:p", "c")
        seen.append(turn_transport(turn.urls[0]))
        ladder.found_no_path()
    assert seen == ["udp", "tcp", "tls", "udp"]  # and round again: the outage may be over


def test_a_connection_that_worked_keeps_its_rung_and_no_turn_means_stun_only() -> None:
    ladder = TurnLadder((TURN,))
    ladder.found_no_path()
    assert ladder.current is not None and ladder.current.transport == "tcp"
    assert ladder.servers() == ladder.servers()  # asking again changes nothing
    assert TurnLadder((STUN,)).servers() == (STUN,)
    assert TurnLadder(()).servers() == () and TurnLadder(()).current is None
    lone = TurnLadder((IceServer(urls=("turn:h:3478",)),))
    lone.found_no_path()
    assert lone.current is not None and lone.current.transport == "udp"


def test_a_path_is_named_by_its_ends() -> None:
    assert IcePath("relay", "host", "tcp").kind == "relay"
    assert IcePath("host", "relay", "udp").kind == "relay"
    assert IcePath("host", "prflx", "udp").kind == "srflx"
    assert IcePath("host", "host", "udp").kind == "host"
    assert IcePath("relay", "srflx", "tls").describe() == \
        "Path: relay over TLS (local relay, remote srflx)"


async def test_a_peer_no_path_reaches_is_unreachable_until_one_connects(
        router: Router) -> None:
    a, ra = await router.add("a", unreachable_after=1.0)
    b, rb = await router.add("b", unreachable_after=1.0)
    router.take_offline("b")  # every connection b makes neither sends nor receives
    started = time.monotonic()
    router.connect_all()
    await ra.until(lambda: ra.named("on_peer_reachable") == [("b", False)], timeout=5,
                   what="b unreachable")
    assert time.monotonic() - started >= 1.0
    await rb.until(lambda: rb.named("on_peer_reachable") == [("a", False)], timeout=5,
                   what="a unreachable")
    router.bring_online("b")
    await ra.until(lambda: flowing(ra, "b"), timeout=20, what="media from b at last")
    await ra.until(lambda: ra.named("on_peer_reachable") == [("b", False), ("b", True)],
                   timeout=5, what="b reachable again")
    assert ra.named("on_peer_connected") == [("b",)]
