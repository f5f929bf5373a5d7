"""Ephemeral TURN credentials in welcome.ice_servers (coturn's REST-API scheme)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable

import pytest

from parley.protocol.messages import IceServer, ParticipantReconnecting, Welcome
from parley.server import CallServer, ServerConfig
from tests.server.conftest import Connect

TURN_SECRET = b"coturn-static-auth-secret-32-byt"
TURN_URLS = ("turn:turn.example.org:3478?transport=udp",
             "turn:turn.example.org:3478?transport=tcp",
             "turns:turn.example.org:443?transport=tcp")
STUN = IceServer(urls=("stun:stun.example.org:3478",))
Servers = Callable[..., Awaitable[CallServer]]


def _turn(welcome: Welcome) -> IceServer:
    (turn,) = [s for s in welcome.ice_servers if s.urls[0].startswith("turn")]
    return turn


def _check_credentials(turn: IceServer, participant_id: str, expires_between: tuple[int, int],
                       secret: bytes = TURN_SECRET) -> int:
    """coturn's check, done independently: the username's expiry and id, and the HMAC."""
    assert turn.username is not None and turn.credential is not None
    expiry, _, pid = turn.username.partition(":")
    assert pid == participant_id
    assert expires_between[0] <= int(expiry) <= expires_between[1]
    mac = hmac.new(secret, turn.username.encode(), hashlib.sha1).digest()
    assert turn.credential == base64.b64encode(mac).decode()
    return int(expiry)


async def test_welcome_hands_each_participant_its_own_turn_credentials(
        servers: Servers, connect: Connect) -> None:
    server = await servers(ice_servers=(STUN,), turn_urls=TURN_URLS, turn_secret=TURN_SECRET,
                           turn_ttl=600)
    ada, bob = await connect(server), await connect(server)
    before = int(time.time())
    ada_welcome = await ada.join("room", "Ada")
    bob_welcome = await bob.join("room", "Bob")
    after = int(time.time())
    for welcome in (ada_welcome, bob_welcome):
        stun, turn = welcome.ice_servers
        assert stun == STUN  # the STUN server first, then TURN in the order configured
        assert turn.urls == TURN_URLS
        _check_credentials(turn, welcome.participant_id, (before + 600, after + 600))
    assert _turn(ada_welcome).username != _turn(bob_welcome).username


async def test_a_resume_gets_fresh_credentials(servers: Servers, connect: Connect) -> None:
    offset = [0.0]
    server = await servers(turn_urls=TURN_URLS[:1], turn_secret=TURN_SECRET, turn_ttl=60,
                           clock=lambda: time.time() + offset[0])
    ada, bob = await connect(server), await connect(server)
    welcome = await ada.join("room", "Ada")
    await bob.join("room", "Bob")
    first = _check_credentials(_turn(welcome), ada.pid, (0, 2**40))
    offset[0] = 5.0  # five seconds later (resume tokens live 15 s here)
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    back = await connect(server)
    again = await back.join("room", "Ada", resume_token=welcome.resume_token)
    assert again.resumed
    second = _check_credentials(_turn(again), ada.pid, (0, 2**40))
    assert second - first in (4, 5, 6)


async def test_without_turn_only_the_static_servers_are_given(servers: Servers,
                                                              connect: Connect) -> None:
    server = await servers(ice_servers=(STUN,))
    welcome = await (await connect(server)).join("room", "Ada")
    assert welcome.ice_servers == (STUN,)


@pytest.mark.parametrize(("config", "match"), [
    ({"turn_urls": TURN_URLS}, "both --turn-url and --turn-secret"),
    ({"turn_secret": TURN_SECRET}, "both --turn-url and --turn-secret"),
    ({"turn_urls": ("stun:x:3478",), "turn_secret": TURN_SECRET}, "not a TURN URL"),
    ({"turn_urls": ("turn:x y",), "turn_secret": TURN_SECRET}, "not a TURN URL"),
    ({"turn_urls": TURN_URLS, "turn_secret": b"short"}, "--allow-weak-secret"),
    ({"turn_urls": TURN_URLS, "turn_secret": "str"}, "bytes"),
    ({"turn_urls": TURN_URLS, "turn_secret": TURN_SECRET, "turn_ttl": 0}, "turn_ttl"),
])
def test_bad_turn_settings_are_refused(config: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ServerConfig(**config)  # type: ignore[arg-type]
