"""Ask to join (``--lobby``): a join without a valid grant waits for a host to admit or
deny it; while it waits it has no seat and hears nothing of the call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_identity, mint_invite
from parley.protocol.messages import (
    Admit,
    Deny,
    EndCall,
    Error,
    Join,
    Knock,
    KnockEnded,
    LobbyWaiting,
    Offer,
    ParticipantJoined,
    ParticipantUpdated,
    Ping,
    Pong,
    Update,
    Welcome,
)
from parley.server import CallServer, ServerConfig
from tests.server.conftest import Client, Connect

SECRET = b"lobby-test-secret-of-32-bytes-ok"
Servers = Callable[..., Awaitable[CallServer]]


def host_token(user: str = "ada", name: str = "Ada") -> str:
    return mint_identity(SECRET, "room", user, name, 600, host=True)


async def _host(server: CallServer, connect: Connect) -> Client:
    host = await connect(server)
    await host.join("room", "x", token=host_token())
    return host


async def _knock(server: CallServer, connect: Connect, name: str = "Bob",
                 token: str | None = None) -> tuple[Client, LobbyWaiting]:
    guest = await connect(server)
    await guest.send(Join(session_id="room", display_name=name, token=token))
    return guest, await guest.expect(LobbyWaiting)


async def test_admit_seats_the_guest_and_it_heard_nothing_before(
        servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    host = await _host(server, connect)
    member = await connect(server)
    await member.join("room", "Cy", token=mint_invite(SECRET, "room", 600))
    await host.expect(ParticipantJoined)

    guest, waiting = await _knock(server, connect, "Bob")
    assert waiting == LobbyWaiting(session_id="room", timeout=120.0, heartbeat_interval=0.5,
                                   hosts_present=True)
    knock = await host.expect(Knock)
    assert knock.name == "Bob"
    # The call goes on while Bob waits: presence changes, and an offer addressed to the
    # knock (nobody can send media to someone without a seat).
    await member.send(Update(audio_muted=True))
    await host.expect(ParticipantUpdated)
    await member.expect(ParticipantUpdated)  # its own acknowledgement
    await host.send(Offer(sdp="v=0", to=knock.id))
    refused = await host.expect(Error)
    assert refused.code == ErrorCode.UNKNOWN_PARTICIPANT.value
    # Bob hears nothing of it: the very next message after a ping is its pong.
    await guest.roundtrip(t=7.0)
    await guest.send(Update(hand_raised=True))  # and may do nothing but wait
    assert (await guest.expect(Error)).code == ErrorCode.NOT_JOINED.value

    await host.send(Admit(knock.id))
    welcome = await guest.expect(Welcome)
    me = next(p for p in welcome.participants if p.id == welcome.participant_id)
    assert (me.name, me.guest, me.verified, me.host) == ("Bob", True, False, False)
    assert [p.name for p in welcome.participants] == ["Ada", "Cy", "Bob"]
    assert await host.expect(KnockEnded) == KnockEnded(knock.id, "admitted")
    joined = await host.expect(ParticipantJoined)
    assert joined.participant.id == welcome.participant_id
    assert (await member.expect(ParticipantJoined)).participant.name == "Bob"


async def test_deny_turns_the_guest_away(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    host = await _host(server, connect)
    guest, _ = await _knock(server, connect)
    knock = await host.expect(Knock)
    await host.send(Deny(knock.id))
    error = await guest.expect(Error)
    assert (error.code, error.message) == (ErrorCode.LOBBY_DENIED.value,
                                           "the host did not let you in")
    assert await guest.closed() == CloseCode.LOBBY == 4013
    assert await host.expect(KnockEnded) == KnockEnded(knock.id, "denied")
    await host.send(Admit(knock.id))  # too late: nobody waits under that id any more
    assert (await host.expect(Error)).code == ErrorCode.UNKNOWN_PARTICIPANT.value


async def test_nobody_answering_times_out(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True, lobby_timeout=0.5)
    host = await _host(server, connect)
    guest, waiting = await _knock(server, connect, token=mint_invite(SECRET, "room", 600,
                                                                      now=0.0, max_lifetime=None))
    assert waiting.timeout == 0.5  # an expired invite waits like no token at all
    knock = await host.expect(Knock)
    error = await guest.expect(Error)
    assert error.code == ErrorCode.LOBBY_TIMEOUT.value
    assert await guest.closed() == CloseCode.LOBBY
    assert await host.expect(KnockEnded) == KnockEnded(knock.id, "timeout")


async def test_a_host_arriving_later_hears_of_those_waiting(servers: Servers,
                                                           connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    guest, waiting = await _knock(server, connect, "Bob")
    assert not waiting.hosts_present
    host = await connect(server)
    await host.join("room", "x", token=host_token())
    knock = await host.expect(Knock)
    assert knock.name == "Bob"
    await host.send(Admit(knock.id))
    assert (await guest.expect(Welcome)).participant_id


async def test_only_a_host_answers_knocks(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    host = await _host(server, connect)
    member = await connect(server)
    await member.join("room", "Cy", token=mint_invite(SECRET, "room", 600))
    guest, _ = await _knock(server, connect)
    knock = await host.expect(Knock, skip=(Pong, ParticipantJoined))
    await member.send(Admit(knock.id))
    error = await member.expect(Error, skip=(Pong, ParticipantJoined))
    assert (error.code, error.message) == (ErrorCode.NOT_HOST.value,
                                           "only the host may let people in from the lobby")
    await guest.roundtrip()  # still waiting, nothing else


async def test_the_guest_hanging_up_or_the_host_ending_ends_the_wait(
        servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    host = await _host(server, connect)
    quitter, _ = await _knock(server, connect, "Quitter")
    first = await host.expect(Knock)
    await quitter.drop()
    assert await host.expect(KnockEnded) == KnockEnded(first.id, "gone")

    stayer, _ = await _knock(server, connect, "Stayer")
    await host.expect(Knock)
    await host.send(EndCall())
    error = await stayer.expect(Error)
    assert (error.code, error.message) == (ErrorCode.LOBBY_DENIED.value,
                                           "the host ended the call")
    assert await stayer.closed() == CloseCode.LOBBY


async def test_a_waiting_connection_cannot_join_twice(servers: Servers,
                                                      connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    guest, _ = await _knock(server, connect)
    await guest.send(Join(session_id="room", display_name="Again"))
    assert (await guest.expect(Error)).code == ErrorCode.ALREADY_JOINED.value
    await guest.send(Ping(t=3.0))
    assert await guest.expect(Pong) == Pong(t=3.0, resume_token=None)  # no seat, no token


async def test_a_valid_grant_skips_the_lobby_and_no_lobby_refuses(
        servers: Servers, connect: Connect) -> None:
    with_lobby = await servers(secret=SECRET, lobby=True)
    client = await connect(with_lobby)
    welcome = await client.join("room", "Cy", token=mint_invite(SECRET, "room", 600))
    assert welcome.participants[0].guest
    without = await servers(secret=SECRET)
    refused = await connect(without)
    await refused.send(Join(session_id="room", display_name="Bob"))
    assert (await refused.expect(Error)).code == ErrorCode.TOKEN_REQUIRED.value
    assert await refused.closed() == CloseCode.AUTH


async def test_the_lobby_is_bounded(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True, max_participants=2)
    for _ in range(2):
        await _knock(server, connect)
    late = await connect(server)
    await late.send(Join(session_id="room", display_name="Late"))
    assert (await late.expect(Error)).code == ErrorCode.ROOM_FULL.value
    assert await late.closed() == CloseCode.FULL


def test_the_lobby_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="^the lobby needs a secret"):
        ServerConfig(lobby=True)


async def test_a_stopping_server_forgets_its_lobby(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET, lobby=True)
    guest, _ = await _knock(server, connect)
    await asyncio.wait_for(server.stop(), 5.0)
    assert await guest.closed() == CloseCode.GOING_AWAY
