"""Host-ended vs restarting: the host ends the call for everyone (room_closed, 4011, the
room forgotten); nobody else may; a server restart still means resume."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_identity, mint_invite
from parley.protocol.messages import (
    EndCall,
    Error,
    GoingAway,
    Join,
    ParticipantJoined,
    ParticipantReconnecting,
    RoomClosed,
)
from parley.server import CallServer
from tests.server.conftest import Client, Connect

SECRET = b"host-test-secret-of-32-bytes-ok!"
Servers = Callable[..., Awaitable[CallServer]]


def identity(user: str, name: str, host: bool = False) -> str:
    return mint_identity(SECRET, "room", user, name, 600, host=host)


async def _call(server: CallServer, connect: Connect) -> tuple[Client, Client, Client]:
    """host (identity, host), guest (invite), member (identity, not host), all joined."""
    host, guest, member = await connect(server), await connect(server), await connect(server)
    await host.join("room", "x", token=identity("ada", "Ada", host=True))
    await guest.join("room", "Guest", token=mint_invite(SECRET, "room", 600))
    await member.join("room", "x", token=identity("bob", "Bob"))
    await host.expect(ParticipantJoined)
    await host.expect(ParticipantJoined)
    await guest.expect(ParticipantJoined)
    return host, guest, member


async def test_the_host_flag_is_on_the_wire(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET)
    host, guest, member = await _call(server, connect)
    assert member.welcome is not None
    hosts = {p.id: p.host for p in member.welcome.participants}
    assert hosts == {host.pid: True, guest.pid: False, member.pid: False}


async def test_the_host_ends_the_call_for_everyone(servers: Servers, connect: Connect,
                                                  http: aiohttp.ClientSession) -> None:
    server = await servers(secret=SECRET)
    host, guest, member = await _call(server, connect)
    ghost = await connect(server)
    ghost_welcome = await ghost.join("room", "Ghost", token=mint_invite(SECRET, "room", 600))
    await ghost.drop()
    for client in (host, guest, member):
        await client.expect(ParticipantJoined)
        await client.expect(ParticipantReconnecting)

    await host.send(EndCall())
    for client in (guest, member):
        closed = await client.next()  # the very next message: no left, no reconnecting
        assert closed == RoomClosed(reason="ended_by_host", by=host.pid)
        assert await client.closed() == CloseCode.ROOM_CLOSED == 4011
        assert client.ws.close_code == CloseCode.ROOM_CLOSED
    assert await host.next() == RoomClosed(reason="ended_by_host", by=host.pid)
    assert await host.closed() == CloseCode.NORMAL

    # The room is forgotten...
    async with http.get(server.url.replace("ws://", "http://").replace("/ws", "/health")) as r:
        health = await r.json()
    assert (health["rooms"], health["participants"]) == (0, 0)
    # ...so nobody resumes into it, not even the seat whose link was down: it is told
    # the host ended the call (not a bare refusal)...
    late = await connect(server)
    await late.send(Join(session_id="room", display_name="x",
                         resume_token=ghost_welcome.resume_token))
    error = await late.expect(Error)
    assert error.code == ErrorCode.ROOM_CLOSED.value and "host ended" in error.message
    assert await late.closed() == CloseCode.ROOM_CLOSED
    # ...and a fresh join starts a new call.
    fresh = await connect(server)
    welcome = await fresh.join("room", "Cy", token=mint_invite(SECRET, "room", 600))
    assert [p.name for p in welcome.participants] == ["Cy"]


async def test_only_the_host_may_end_the_call(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=SECRET)
    host, guest, member = await _call(server, connect)
    for client in (guest, member):
        await client.send(EndCall())
        error = await client.expect(Error)
        assert (error.code, error.ref) == (ErrorCode.NOT_HOST.value, "end_call")
        await client.roundtrip()  # its connection stays fine
    for client in (host, guest, member):
        await client.roundtrip()  # and nobody saw anything


async def test_an_open_room_has_no_host(server: CallServer, connect: Connect) -> None:
    client = await connect(server)
    await client.join("room", "Ada")
    await client.send(EndCall())
    assert (await client.expect(Error)).code == ErrorCode.NOT_HOST.value
    await client.roundtrip()


async def test_end_call_before_joining_is_not_joined(server: CallServer,
                                                     connect: Connect) -> None:
    client = await connect(server)
    await client.send(EndCall())
    assert (await client.expect(Error)).code == ErrorCode.NOT_JOINED.value


async def test_a_restart_is_no_ending_and_the_host_stays_host(
        servers: Servers, connect: Connect) -> None:
    first = await servers(secret=SECRET)
    host, guest, member = await _call(server=first, connect=connect)
    tokens = {c: c.welcome.resume_token for c in (host, guest, member) if c.welcome}
    stopping = asyncio.create_task(first.stop())
    for client in (host, guest, member):
        assert isinstance(await client.next(), GoingAway)  # resume, not room_closed
        assert await client.closed() == CloseCode.GOING_AWAY
    await stopping

    second = await servers(secret=SECRET, port=first.port)  # same secret: same resume key
    back: dict[Client, Client] = {}
    for client in (host, guest, member):
        back[client] = again = await connect(second)
        welcome = await again.join("room", "ignored", resume_token=tokens[client])
        assert welcome.resumed and welcome.participant_id == client.pid
    assert back[member].welcome is not None
    standing = {p.id: (p.name, p.guest, p.verified, p.host)
                for p in back[member].welcome.participants}
    assert standing == {host.pid: ("Ada", False, True, True),
                        guest.pid: ("Guest", True, False, False),
                        member.pid: ("Bob", False, True, False)}
    await back[host].send(EndCall())
    for client in (guest, member):
        assert (await back[client].expect(RoomClosed, skip=(ParticipantJoined,))).by == host.pid
        assert await back[client].closed() == CloseCode.ROOM_CLOSED
