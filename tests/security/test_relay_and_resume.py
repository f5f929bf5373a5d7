"""Relay floods, budgets that a resume used to refill, stolen resume tokens, and a left
participant coming back after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.messages import (
    Error,
    Join,
    Leave,
    Offer,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    ParticipantRestored,
    Ping,
    Pong,
    Welcome,
)
from parley.server import CallServer
from tests.security.conftest import Client, Connect

Servers = Callable[..., Awaitable[CallServer]]
BLOB = "o" * 60_000


async def _room(server: CallServer, connect: Connect, names: list[str]) -> list[Client]:
    clients = []
    for name in names:
        client = await connect(server)
        await client.join("room", name)
        clients.append(client)
    for i, client in enumerate(clients):  # everyone has seen everyone join
        for _ in range(len(clients) - 1 - i):
            await client.expect(ParticipantJoined)
    return clients


async def test_three_seats_cannot_flood_one_participant(servers: Servers,
                                                        connect: Connect) -> None:
    server = await servers(outbound_queue=512)
    victim, bystander, *attackers = await _room(server, connect, ["Vic", "Bea", "X", "Y", "Z"])
    refused = 0
    for _ in range(40):  # 3 x 40 offers of 60 kB = 7 MB at the victim as fast as possible
        for attacker in attackers:
            await attacker.send(Offer(sdp=BLOB, to=victim.pid))
    for attacker in attackers:
        await attacker.send(Ping(t=7.0))
        while True:
            message = await attacker.next()
            if isinstance(message, Pong) and message.t == 7.0:
                break
            assert isinstance(message, Error) and message.code == ErrorCode.RATE_LIMITED
            assert "too much signalling to" in message.message
            refused += 1
    budget_offers = (256 * 1024) // (len(BLOB) + 64) + 2  # the burst, and a little refill
    assert refused >= 3 * (40 - budget_offers)
    delivered = 0
    await victim.send(Ping(t=9.0))
    while True:
        message = await victim.next()
        if isinstance(message, Pong) and message.t == 9.0:
            break
        assert isinstance(message, Offer), message  # no reconnecting: not dropped
        delivered += 1
    assert delivered <= 3 * budget_offers
    # Signalling between the others is untouched, and the victim is still in the call.
    await bystander.send(Offer(sdp="v=0", to=victim.pid))
    assert (await victim.expect(Offer)).sdp == "v=0"
    await bystander.roundtrip()


async def test_a_resume_does_not_refill_the_seat_budget(servers: Servers,
                                                         connect: Connect) -> None:
    server = await servers(rate_per_second=0.01, rate_burst=4, flood_drops=100)
    ada = await connect(server)
    welcome = await ada.join("room", "Ada")  # 1 of 4
    for t in range(3):
        await ada.send(Ping(t=float(t)))  # 2..4
    for _ in range(3):
        await ada.expect(Pong)
    await ada.send(Ping(t=9.0))
    assert (await ada.expect(Error)).code == ErrorCode.RATE_LIMITED
    await ada.drop()
    back = await connect(server)
    # The join is the new connection's own; after it, the seat's empty budget applies.
    await back.send(Join(session_id="room", display_name="Ada",
                         resume_token=welcome.resume_token))
    assert (await back.expect(Welcome)).resumed
    await back.send(Ping(t=10.0))
    assert (await back.expect(Error)).code == ErrorCode.RATE_LIMITED


async def test_a_reused_resume_token_closes_both_seats(server: CallServer,
                                                       connect: Connect) -> None:
    bob, ada = await _room(server, connect, ["Bob", "Ada"])
    assert ada.welcome is not None
    stolen = ada.welcome.resume_token  # generation 0, copied by a thief
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    back = await connect(server)
    resumed = await back.join("room", "Ada", resume_token=stolen)  # Ada resumes first
    assert resumed.resumed and resumed.resume_token != stolen
    await bob.expect(ParticipantRestored)
    await back.roundtrip()  # Ada's link speaks: she has the welcome's token
    thief = await connect(server)
    await thief.send(Join(session_id="room", display_name="x", resume_token=stolen))
    refused = await thief.expect(Error)
    assert refused.code == ErrorCode.RESUME_REFUSED and "used twice" in refused.message
    assert await thief.closed() == CloseCode.RESUME_REFUSED
    # Ada's live seat goes too: whoever holds it must join again with a grant.
    assert (await back.expect(Error)).code == ErrorCode.RESUME_REFUSED
    assert await back.closed() == CloseCode.RESUME_REFUSED
    assert (await bob.expect(ParticipantLeft)).participant_id == resumed.participant_id
    again = await connect(server)
    await again.send(Join(session_id="room", display_name="x",
                          resume_token=resumed.resume_token))
    assert (await again.expect(Error)).code == ErrorCode.RESUME_REFUSED
    fresh = await connect(server)
    assert len((await fresh.join("room", "Ada")).participants) == 2  # Bob is untouched
    await bob.expect(ParticipantJoined)
    await bob.roundtrip()


async def test_a_copy_used_while_the_resumed_link_is_up_takes_nothing(
        server: CallServer, connect: Connect) -> None:
    """A replay concurrent with the real resume: the copy of the token Ada just spent
    arrives on another link while hers is up but has not spoken since its welcome. That
    token is still good for a resume whose welcome was lost, but not while her link
    holds the seat: refused (4014, retry later), and her call goes on. Once her link
    speaks, the copy is a reused token: refused for good, the seat closed."""
    bob, ada = await _room(server, connect, ["Bob", "Ada"])
    assert ada.welcome is not None
    stolen = ada.welcome.resume_token
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    back = await connect(server)
    resumed = await back.join("room", "Ada", resume_token=stolen)
    await bob.expect(ParticipantRestored)
    thief = await connect(server)
    await thief.send(Join(session_id="room", display_name="x", resume_token=stolen))
    pending = await thief.expect(Error)
    assert pending.code == ErrorCode.RESUME_PENDING
    assert await thief.closed() == CloseCode.RESUME_PENDING
    await back.roundtrip()  # Ada's seat is untouched, and Bob heard nothing of it
    await bob.roundtrip()
    again = await connect(server)
    await again.send(Join(session_id="room", display_name="x", resume_token=stolen))
    refused = await again.expect(Error)
    assert refused.code == ErrorCode.RESUME_REFUSED and "used twice" in refused.message
    assert await back.closed() == CloseCode.RESUME_REFUSED
    assert (await bob.expect(ParticipantLeft)).participant_id == resumed.participant_id


async def test_a_thief_who_resumes_first_is_thrown_out_when_the_victim_returns(
        server: CallServer, connect: Connect) -> None:
    bob, ada = await _room(server, connect, ["Bob", "Ada"])
    assert ada.welcome is not None
    await ada.send(Ping(t=1.0))
    leaked = (await ada.expect(Pong)).resume_token  # a refreshed token of the same seat
    assert leaked is not None
    thief = await connect(server)
    taken = await thief.join("room", "x", resume_token=leaked)
    assert taken.resumed
    assert await ada.closed() == CloseCode.REPLACED
    await thief.roundtrip()  # a thief who keeps the seat must speak (heartbeats)
    victim = await connect(server)
    await victim.send(Join(session_id="room", display_name="Ada",
                           resume_token=ada.welcome.resume_token))
    assert (await victim.expect(Error)).code == ErrorCode.RESUME_REFUSED
    assert await thief.closed() == CloseCode.RESUME_REFUSED
    assert (await bob.expect(ParticipantLeft,
                             skip=(ParticipantRestored, Pong))).participant_id == ada.pid
    await bob.roundtrip()


async def test_pong_tokens_refresh_without_rotating(server: CallServer,
                                                    connect: Connect) -> None:
    ada = await connect(server)
    await ada.join("room", "Ada")
    tokens = []
    for t in range(3):
        await ada.send(Ping(t=float(t)))
        tokens.append((await ada.expect(Pong)).resume_token)
    await ada.drop()
    back = await connect(server)
    assert (await back.join("room", "Ada", resume_token=tokens[0])).resumed


async def test_who_left_cannot_come_back_after_a_restart(servers: Servers,
                                                         connect: Connect) -> None:
    first = await servers()
    stay, leave = await _room(first, connect, ["Stay", "Leave"])
    assert stay.welcome is not None and leave.welcome is not None
    await leave.send(Leave())
    assert await leave.closed() == CloseCode.NORMAL
    await stay.expect(ParticipantLeft)
    await first.stop()
    second = await servers()  # same state directory, a new process's worth of memory
    gone = await connect(second)
    await gone.send(Join(session_id="room", display_name="Leave",
                         resume_token=leave.welcome.resume_token))
    refused = await gone.expect(Error)
    assert refused.code == ErrorCode.RESUME_REFUSED and "has left" in refused.message
    back = await connect(second)
    welcome = await back.join("room", "Stay", resume_token=stay.welcome.resume_token)
    assert welcome.resumed and welcome.room_recreated
    await asyncio.wait_for(back.roundtrip(), 3)
