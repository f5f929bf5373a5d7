"""Link drops, resume within the grace period, expiry, replacement and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
    ParticipantUpdated,
    Ping,
    Pong,
)
from parley.server import CallServer
from tests.server.conftest import Client, Connect

Servers = Callable[..., Awaitable[CallServer]]


async def _joined(server: CallServer, connect: Connect, *names: str) -> list[Client]:
    clients = []
    for name in names:
        client = await connect(server)
        await client.join("room", name)
        for earlier in clients:
            await earlier.expect(ParticipantJoined)
        clients.append(client)
    return clients


async def test_resume_within_grace_keeps_the_id_and_room_sees_no_leave(
        server: CallServer, connect: Connect) -> None:
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    assert ada.welcome is not None
    token = ada.welcome.resume_token
    await ada.drop()
    assert (await bob.expect(ParticipantReconnecting)).participant_id == ada.pid

    back = await connect(server)
    welcome = await back.join("room", "ignored", resume_token=token, audio_muted=True)
    assert welcome.resumed and welcome.participant_id == ada.pid
    assert not welcome.room_recreated
    assert [p.id for p in welcome.participants] == [ada.pid, bob.pid]
    assert not welcome.participants[0].reconnecting
    assert welcome.participants[0].name == "Ada"
    assert (await bob.expect(ParticipantRestored)).participant_id == ada.pid
    # The flags given at resume are applied and announced as an update, not a join.
    assert (await bob.expect(ParticipantUpdated)).participant.audio_muted
    await back.send(Offer(sdp="after resume", to=bob.pid))
    assert (await bob.expect(Offer)).sender == ada.pid


async def test_pong_carries_a_fresh_resume_token_that_works(
        server: CallServer, connect: Connect) -> None:
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    await ada.send(Ping(t=42.5))
    pong = await ada.expect(Pong, skip=())
    assert pong.t == 42.5 and pong.resume_token
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    back = await connect(server)
    assert (await back.join("room", "Ada", resume_token=pong.resume_token)).resumed
    await bob.expect(ParticipantRestored)


async def test_ping_before_join_gets_a_pong_without_token(
        server: CallServer, connect: Connect) -> None:
    client = await connect(server)
    await client.send(Ping(t=1.0))
    pong = await client.expect(Pong, skip=())
    assert pong.resume_token is None


async def test_after_the_grace_period_room_sees_timeout_and_resume_is_refused(
        servers: Servers, connect: Connect) -> None:
    server = await servers(departure_timeout=0.2)
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    assert ada.welcome is not None
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    left = await bob.expect(ParticipantLeft)
    assert left.participant_id == ada.pid and left.reason == "timeout"

    late = await connect(server)
    await late.send_raw(_join_json(ada.welcome.resume_token))
    error = await late.expect(Error)
    assert error.code == ErrorCode.RESUME_REFUSED and error.ref == "join"
    assert "left" in error.message
    assert await late.closed() == 4010
    await bob.roundtrip()


async def test_resume_after_explicit_leave_is_refused(server: CallServer,
                                                      connect: Connect) -> None:
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    assert ada.welcome is not None
    await ada.send(Leave())
    assert await ada.closed() == 1000
    await bob.expect(ParticipantLeft)
    again = await connect(server)
    await again.send_raw(_join_json(ada.welcome.resume_token))
    error = await again.expect(Error)
    assert error.code == ErrorCode.RESUME_REFUSED and "participant has left" in error.message
    assert await again.closed() == 4010


async def test_resume_with_garbage_or_foreign_room_token_is_refused(
        server: CallServer, connect: Connect) -> None:
    (ada,) = await _joined(server, connect, "Ada")
    assert ada.welcome is not None
    bad = await connect(server)
    await bad.send_raw(_join_json(ada.welcome.resume_token[:-3] + "AAA"))
    assert (await bad.expect(Error)).code == ErrorCode.RESUME_REFUSED
    assert await bad.closed() == 4010
    other = await connect(server)
    await other.send_raw(_join_json(ada.welcome.resume_token, room="elsewhere"))
    assert (await other.expect(Error)).code == ErrorCode.RESUME_REFUSED
    assert await other.closed() == 4010
    await ada.roundtrip()


async def test_resume_while_the_old_socket_is_open_replaces_it(
        server: CallServer, connect: Connect) -> None:
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    assert ada.welcome is not None
    twin = await connect(server)
    welcome = await twin.join("room", "Ada", resume_token=ada.welcome.resume_token)
    assert welcome.resumed and welcome.participant_id == ada.pid
    assert await ada.closed() == 4009
    assert ada.ws.close_code == 4009
    # The room never sees a leave or a join: only the restore.
    assert (await bob.expect(ParticipantRestored)).participant_id == ada.pid
    await bob.roundtrip()
    await bob.send(Offer(sdp="to the new socket", to=ada.pid))
    assert (await twin.expect(Offer)).sdp == "to the new socket"


async def test_heartbeat_timeout_marks_reconnecting_and_closes(
        servers: Servers, connect: Connect) -> None:
    server = await servers(heartbeat_interval=0.1, heartbeat_timeout=0.5)
    quiet, talker = await connect(server), await connect(server)
    await quiet.join("room", "Quiet")
    await talker.join("room", "Talker")
    await quiet.expect(ParticipantJoined)

    async def keep_pinging() -> None:
        while True:
            await talker.send(Ping(t=0.0))
            await asyncio.sleep(0.1)  # a heartbeat cadence, not synchronisation

    pinger = asyncio.create_task(keep_pinging())
    try:
        reconnecting = await talker.expect(ParticipantReconnecting, timeout=2.0)
        assert reconnecting.participant_id == quiet.pid
        assert await quiet.closed() == 4008
    finally:
        pinger.cancel()
        await asyncio.gather(pinger, return_exceptions=True)


async def test_resume_to_a_restarted_server_keeps_the_ids(servers: Servers,
                                                          connect: Connect) -> None:
    first = await servers()
    ada, bob = await _joined(first, connect, "Ada", "Bob")
    assert ada.welcome is not None and bob.welcome is not None
    await bob.send(Ping(t=1.0))
    bob_token = (await bob.expect(Pong)).resume_token
    assert bob_token is not None
    await first.stop(graceful=False)
    await ada.closed()
    await bob.closed()

    second = await servers(port=first.port)  # same state_dir: same resume key
    ada2 = await connect(second)
    welcome = await ada2.join("room", "x", resume_token=ada.welcome.resume_token)
    assert welcome.resumed and welcome.participant_id == ada.pid
    assert welcome.room_recreated  # the others it lacks have not resumed yet
    assert [(p.id, p.name) for p in welcome.participants] == [(ada.pid, "Ada")]

    bob2 = await connect(second)
    welcome = await bob2.join("room", "x", resume_token=bob_token)
    assert welcome.resumed and welcome.participant_id == bob.pid and welcome.room_recreated
    assert {p.id for p in welcome.participants} == {ada.pid, bob.pid}
    joined = await ada2.expect(ParticipantJoined)
    assert joined.participant.id == bob.pid and joined.participant.name == "Bob"
    await ada2.send(Offer(sdp="again", to=bob.pid))
    assert (await bob2.expect(Offer)).sender == ada.pid


def _join_json(token: str, room: str = "room") -> str:
    import json

    return json.dumps({"v": 1, "type": "join", "session_id": room, "display_name": "X",
                       "resume_token": token})




async def test_a_resume_whose_welcome_was_lost_is_made_again_with_the_same_token(
        server: CallServer, connect: Connect) -> None:
    """Ada resumes, and her link dies before the welcome (with the next token) reaches
    her: she still holds only the token she spent. Her next resume with it gets the
    seat back; Bob sees her reconnecting and restored, never gone. The token of the
    lost welcome is worthless meanwhile, and the spent one is once her link spoke."""
    ada, bob = await _joined(server, connect, "Ada", "Bob")
    assert ada.welcome is not None
    spent = ada.welcome.resume_token
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    lost = await connect(server)
    await lost.send(Join(session_id="room", display_name="Ada", resume_token=spent))
    await bob.expect(ParticipantRestored)  # the server resumed her: the welcome is on its way
    await lost.drop()  # ... and is lost with the link
    await bob.expect(ParticipantReconnecting)

    back = await connect(server)
    welcome = await back.join("room", "Ada", resume_token=spent)
    assert welcome.resumed and welcome.participant_id == ada.pid
    assert (await bob.expect(ParticipantRestored)).participant_id == ada.pid
    await back.roundtrip()  # her link speaks: she has the newest token now
    await bob.roundtrip()
    late = await connect(server)
    await late.send(Join(session_id="room", display_name="Ada", resume_token=spent))
    assert (await late.expect(Error)).code == ErrorCode.RESUME_REFUSED
    assert (await bob.expect(ParticipantLeft)).participant_id == ada.pid
