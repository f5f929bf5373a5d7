"""Join, leave and presence fan-out over real sockets."""

from __future__ import annotations

from parley.protocol.messages import (
    Leave,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    Update,
)
from parley.server import CallServer
from tests.server.conftest import Connect


async def test_join_two_welcome_lists_everyone_and_others_see_joined(
        server: CallServer, connect: Connect) -> None:
    ada, bob = await connect(server), await connect(server)
    w1 = await ada.join("standup", "Ada")
    assert w1.session_id == "standup" and not w1.resumed
    assert [p.name for p in w1.participants] == ["Ada"]
    assert w1.participant_id.startswith("p_") and w1.resume_token
    assert w1.heartbeat_interval == 0.5 and w1.heartbeat_timeout == 1.5
    assert w1.departure_timeout == server.config.departure_timeout

    w2 = await bob.join("standup", "Bob", audio_muted=True)
    assert [p.id for p in w2.participants] == [ada.pid, bob.pid]
    assert ada.pid != bob.pid
    joined = await ada.expect(ParticipantJoined)
    assert joined.participant.id == bob.pid and joined.participant.name == "Bob"
    assert joined.participant.audio_muted


async def test_room_of_five_fanout_update_and_leave(server: CallServer, connect: Connect) -> None:
    clients = [await connect(server) for _ in range(5)]
    for i, client in enumerate(clients):
        welcome = await client.join("five", f"P{i}")
        assert len(welcome.participants) == i + 1
        for earlier in clients[:i]:
            assert (await earlier.expect(ParticipantJoined)).participant.id == client.pid

    # Update reaches everybody, the sender included (its ack).
    await clients[2].send(Update(hand_raised=True))
    for client in clients:
        updated = await client.expect(ParticipantUpdated)
        assert updated.participant.id == clients[2].pid and updated.participant.hand_raised
        assert not updated.participant.audio_muted  # None fields left unchanged

    # Leave: the others see "left", the leaver's socket is closed with 1000.
    await clients[4].send(Leave())
    assert await clients[4].closed() == 1000
    for client in clients[:4]:
        left = await client.expect(ParticipantLeft)
        assert left.participant_id == clients[4].pid and left.reason == "left"
    rejoin = await connect(server)
    welcome = await rejoin.join("five", "Late")
    assert [p.name for p in welcome.participants] == ["P0", "P1", "P2", "P3", "Late"]


async def test_rooms_are_separate(server: CallServer, connect: Connect) -> None:
    a, b = await connect(server), await connect(server)
    await a.join("one", "A")
    welcome = await b.join("two", "B")
    assert [p.name for p in welcome.participants] == ["B"]
    await a.roundtrip()  # nothing about B arrived before this pong


async def test_health_counts_rooms_and_participants(server: CallServer, connect: Connect,
                                                    http: object) -> None:
    import aiohttp

    assert isinstance(http, aiohttp.ClientSession)
    base = server.url.replace("ws://", "http://").removesuffix("/ws")
    async with http.get(base + "/health") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["rooms"] == 0 and body["participants"] == 0
    assert isinstance(body["version"], str) and body["version"]
    for room in ("x", "x", "y"):
        await (await connect(server)).join(room, "N")
    async with http.get(base + "/health") as response:
        body = await response.json()
    assert (body["rooms"], body["participants"]) == (2, 3)
