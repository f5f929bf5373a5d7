"""Join grants on a server with a secret: accept, expired, wrong room, tampered, missing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest

from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_invite
from parley.protocol.messages import Error, Join, Offer, ParticipantJoined, ParticipantReconnecting
from parley.server import CallServer
from tests.server.conftest import Client, Connect

SECRET = b"test-secret-of-at-least-32-bytes!"
Servers = Callable[..., Awaitable[CallServer]]


@pytest.fixture
async def secured(servers: Servers) -> CallServer:
    return await servers(secret=SECRET)


async def _member(server: CallServer, connect: Connect) -> Client:
    member = await connect(server)
    await member.join("room", "Member", token=mint_invite(SECRET, "room", 60))
    return member


async def test_valid_token_is_accepted(secured: CallServer, connect: Connect) -> None:
    member = await _member(secured, connect)
    assert member.welcome is not None and not member.welcome.resumed


def _tampered() -> str:
    token = mint_invite(SECRET, "room", 60)
    header, claims, mac = token.split(".")
    return f"{header}.{claims}." + ("A" if mac[0] != "A" else "B") + mac[1:]


@pytest.mark.parametrize(("token", "code"), [
    (None, ErrorCode.TOKEN_REQUIRED),
    (lambda: mint_invite(SECRET, "room", 60, now=time.time() - 120), ErrorCode.TOKEN_EXPIRED),
    (lambda: mint_invite(SECRET, "other-room", 60), ErrorCode.TOKEN_WRONG_ROOM),
    (_tampered, ErrorCode.TOKEN_INVALID),
    (lambda: mint_invite(b"another-secret-also-32-bytes-long", "room", 60),
     ErrorCode.TOKEN_INVALID),
    (lambda: "not-a-token", ErrorCode.TOKEN_INVALID),
], ids=["missing", "expired", "wrong-room", "tampered", "foreign-secret", "garbage"])
async def test_refused_tokens_get_their_code_and_close_4001(
        secured: CallServer, connect: Connect,
        token: Callable[[], str] | None, code: ErrorCode) -> None:
    member = await _member(secured, connect)
    intruder = await connect(secured)
    await intruder.send(Join(session_id="room", display_name="Eve",
                             token=token() if token else None))
    error = await intruder.expect(Error)
    assert error.code == code and error.ref == "join"
    assert await intruder.closed() == 4001
    await member.roundtrip()  # the member saw no join and still works


async def test_resume_needs_no_join_token(secured: CallServer, connect: Connect) -> None:
    member = await _member(secured, connect)
    other = await connect(secured)
    await other.join("room", "Other", token=mint_invite(SECRET, "room", 60))
    await member.expect(ParticipantJoined)
    assert other.welcome is not None
    await other.drop()
    await member.expect(ParticipantReconnecting)
    back = await connect(secured)
    welcome = await back.join("room", "Other", resume_token=other.welcome.resume_token)
    assert welcome.resumed and welcome.participant_id == other.pid
    await member.send(Offer(sdp="x", to=other.pid))
    assert (await back.expect(Offer)).sender == member.pid


async def test_a_resume_token_is_not_a_join_token(secured: CallServer, connect: Connect) -> None:
    member = await _member(secured, connect)
    assert member.welcome is not None
    sneaky = await connect(secured)
    await sneaky.send(Join(session_id="room", display_name="S",
                           token=member.welcome.resume_token))
    assert (await sneaky.expect(Error)).code == ErrorCode.TOKEN_INVALID
    assert await sneaky.closed() == 4001
