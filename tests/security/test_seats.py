"""Seats and rooms under attack: join-and-drop ghosts, ghost rooms, invites stretched past
their uses, join storms. Every attack comes from its own loopback address; the victims
from others."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_invite
from parley.protocol.messages import (
    Error,
    Join,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    Pong,
)
from parley.server import CallServer
from tests.security.conftest import ConnectFrom

Servers = Callable[..., Awaitable[CallServer]]
SECRET = b"s" * 32
ATTACKER = "127.0.5.66"


async def test_join_and_drop_ghosts_cannot_fill_a_room(servers: Servers,
                                                        connect_from: ConnectFrom) -> None:
    server = await servers(max_participants=16, max_ghosts_per_ip=4)
    host = await connect_from(server, "127.0.5.1")
    await host.join("room", "Host")
    for i in range(16):  # the old attack: 16 ghosts in a blink filled the room
        ghost = await connect_from(server, ATTACKER)
        await ghost.join("room", f"Ghost {i}")
        await ghost.drop()
    # Only the attacker's four newest ghosts are left waiting to resume.
    for _ in range(12):
        message = await host.expect(ParticipantLeft,
                                    skip=(ParticipantJoined, ParticipantReconnecting, Pong))
        assert message.reason == "timeout"
    await host.roundtrip()
    guests = [await connect_from(server, f"127.0.5.{10 + i}") for i in range(11)]
    for i, guest in enumerate(guests):  # the room still has room for everyone else
        welcome = await guest.join("room", f"Guest {i}")
        assert len(welcome.participants) == 1 + 4 + i + 1


async def test_a_dropped_seat_counts_against_its_invite(servers: Servers,
                                                        connect_from: ConnectFrom) -> None:
    server = await servers(secret=SECRET, max_ghosts_per_ip=100)
    invite = mint_invite(SECRET, "room", 600, uses=3)
    for i in range(3):
        ghost = await connect_from(server, ATTACKER)
        await ghost.join("room", f"Ghost {i}", token=invite)
        await ghost.drop()
    late = await connect_from(server, "127.0.5.2")
    await late.send(Join(session_id="room", display_name="Late", token=invite))
    error = await late.expect(Error)
    assert error.code == ErrorCode.TOKEN_USED_UP
    assert await late.closed() == CloseCode.AUTH
    other = mint_invite(SECRET, "room", 600)
    victim = await connect_from(server, "127.0.5.3")
    assert len((await victim.join("room", "Victim", token=other)).participants) == 4


async def test_one_address_cannot_exhaust_the_room_limit(servers: Servers,
                                                         connect_from: ConnectFrom) -> None:
    server = await servers(max_rooms=30, max_rooms_per_ip=20, max_ghosts_per_ip=100)
    for i in range(20):  # ghost rooms: join a fresh room, drop
        ghost = await connect_from(server, ATTACKER)
        await ghost.join(f"ghost-{i}", "Ghost")
        await ghost.drop()
    refused = await connect_from(server, ATTACKER)
    await refused.send(Join(session_id="ghost-20", display_name="Ghost"))
    error = await refused.expect(Error)
    assert error.code == ErrorCode.TOO_MANY_ROOMS and "this address" in error.message
    assert await refused.closed() == CloseCode.FULL
    # Another address still opens rooms, and the attacker may still join an existing one.
    victim = await connect_from(server, "127.0.5.4")
    await victim.join("standup", "Ada")
    joiner = await connect_from(server, ATTACKER)
    assert len((await joiner.join("standup", "Bob")).participants) == 2


async def test_a_join_storm_from_one_address_is_cut_off(servers: Servers,
                                                        connect_from: ConnectFrom) -> None:
    server = await servers(joins_per_second_per_ip=0.01, join_burst_per_ip=5)
    for i in range(5):
        await (await connect_from(server, ATTACKER)).join(f"r{i}", "Storm")
    storm = await connect_from(server, ATTACKER)
    await storm.send(Join(session_id="r9", display_name="Storm"))
    error = await storm.expect(Error)
    assert error.code == ErrorCode.RATE_LIMITED and "joins" in error.message
    assert await storm.closed() == CloseCode.POLICY
    calm = await connect_from(server, "127.0.5.5")
    await calm.join("r0", "Ada")
