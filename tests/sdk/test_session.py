"""CallSession against the real call server on loopback (signaling only: media=False).

Each test asserts the exact sequence of lifecycle callbacks a user of the SDK sees.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from parley.sdk import (
    CallSession,
    EndReason,
    JoinError,
    JoinFailure,
    SessionSettings,
    SessionState,
)
from parley.server import CallServer, ServerConfig
from tests.sdk.recorder import Recorder


def settings(name: str = "Ada", **kw: object) -> SessionSettings:
    return SessionSettings(display_name=name, media=False, **kw)  # type: ignore[arg-type]


async def joined(server: CallServer, name: str, room: str = "standup",
                 **kw: object) -> tuple[CallSession, Recorder]:
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    session.add_participant_event_listener(rec.participant_listener())
    await session.join_session(room, settings(name, **kw), server=server.url)
    return session, rec


async def test_join_and_leave_fire_exactly_joined_then_left(server: CallServer) -> None:
    session, rec = await joined(server, "Ada")
    assert session.state is SessionState.JOINED
    assert session.local_participant is not None and session.local_participant.name == "Ada"
    await session.leave_session()
    await session.leave_session()  # idempotent: nothing more fires
    assert rec.status_names() == ["on_session_joined", "on_session_left"]
    assert session.state is SessionState.ENDED and session.end_reason is EndReason.LEFT
    # The same CallSession can join again.
    await session.join_session("standup", settings("Ada"), server=server.url)
    await session.leave_session()
    assert rec.status_names() == ["on_session_joined", "on_session_left"] * 2


async def test_get_instance_is_process_wide() -> None:
    assert CallSession.get_instance() is CallSession.get_instance()
    assert CallSession() is not CallSession.get_instance()


async def test_unreachable_server_raises_and_fires_nothing(unused_tcp_port: int) -> None:
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    with pytest.raises(JoinError, match="^cannot reach the call server at ") as info:
        await session.join_session("standup", settings(), server=f"127.0.0.1:{unused_tcp_port}")
    assert info.value.reason is JoinFailure.UNREACHABLE
    assert f"127.0.0.1:{unused_tcp_port}" in info.value.message
    assert rec.events == [] and session.state is SessionState.IDLE


async def test_invalid_session_id_is_refused_before_any_network(server: CallServer) -> None:
    session = CallSession()
    with pytest.raises(JoinError, match="^session id 'no spaces!' must be 1-64 characters") as info:
        await session.join_session("no spaces!", settings(), server=server.url)
    assert info.value.reason is JoinFailure.INVALID_SESSION_ID
    assert session.state is SessionState.IDLE


async def test_bad_token_and_full_room(tmp_path: Path) -> None:
    from parley.protocol.grants import mint_invite

    secret = b"s3cret-of-at-least-thirty-two-bytes"
    config = ServerConfig(port=0, secret=secret, max_participants=1, state_dir=tmp_path)
    async with CallServer(config) as srv:
        session = CallSession()
        with pytest.raises(JoinError, match=r"^token is not in the expected format "
                                            r"\(header\.claims\.signature\)$") as info:
            await session.join_session("room", settings(), server=srv.url, token="nope")
        assert info.value.reason is JoinFailure.TOKEN_REJECTED
        with pytest.raises(JoinError, match="^token was minted for another session$") as info:
            await session.join_session("room", settings(), server=srv.url,
                                       token=mint_invite(secret, "other-room", 60))
        assert info.value.reason is JoinFailure.TOKEN_REJECTED
        good = mint_invite(secret, "room", 60)
        await session.join_session("room", settings(), server=srv.url, token=good)
        second = CallSession()
        with pytest.raises(JoinError, match="^room room already has 1 participants$") as info:
            await second.join_session("room", settings("Bob"), server=srv.url,
                                      token=mint_invite(secret, "room", 60))
        assert info.value.reason is JoinFailure.ROOM_FULL
        assert second.state is SessionState.IDLE
        await session.leave_session()


async def test_join_twice_is_refused(server: CallServer) -> None:
    session, _ = await joined(server, "Ada")
    with pytest.raises(JoinError, match="^this session is already joined$") as info:
        await session.join_session("standup", settings(), server=server.url)
    assert info.value.reason is JoinFailure.ALREADY_JOINED
    await session.leave_session()


async def test_presence_reaches_the_other_participant(server: CallServer) -> None:
    ada, ada_rec = await joined(server, "Ada")
    bob, _ = await joined(server, "Bob")
    await ada_rec.wait("on_participant_joined")
    bob.mute_audio()
    bob.raise_hand()
    await ada_rec.wait("on_hand_raised")
    bob.lower_hand()
    bob.unmute_audio()
    await ada_rec.wait("on_audio_unmuted")
    await bob.leave_session()
    await ada_rec.wait("on_participant_left")
    assert [n for n in ada_rec.names if n.startswith("on_participant") or "hand" in n
            or "audio" in n] == [
        "on_participant_joined", "on_audio_muted", "on_hand_raised", "on_hand_lowered",
        "on_audio_unmuted", "on_participant_left"]
    assert [p.name for p in ada.participants] == ["Ada"]
    await ada.leave_session()


async def test_idle_timeout_runs_while_alone_and_resets_when_someone_joins(
        server: CallServer) -> None:
    ada, ada_rec = await joined(server, "Ada", idle_timeout_period=1.0)
    bob, _ = await joined(server, "Bob")
    await ada_rec.wait("on_participant_joined")
    await bob.leave_session()
    left_at = await ada_rec.wait("on_participant_left")
    timed_out_at = await ada_rec.wait("on_session_timed_out", timeout=5)
    assert timed_out_at - left_at >= 0.95  # a full period after Bob left, not after the join
    assert ada_rec.status_names() == ["on_session_joined", "on_session_timed_out"]
    assert ada.end_reason is EndReason.IDLE_TIMEOUT and ada.state is SessionState.ENDED
    # The timed-out session has really left the room.
    carl, carl_rec = await joined(server, "Carl")
    assert [p.name for p in carl.participants] == ["Carl"]
    await carl.leave_session()


async def test_server_killed_and_restarted_restores_with_same_ids(
        server: CallServer, server_config: ServerConfig) -> None:
    ada, ada_rec = await joined(server, "Ada")
    bob, bob_rec = await joined(server, "Bob")
    await ada_rec.wait("on_participant_joined")
    ids = {p.name: p.id for p in ada.participants}
    await server.stop(graceful=False)  # a crash: sockets just drop
    await ada_rec.wait("on_connection_lost")
    await bob_rec.wait("on_connection_lost")
    replacement = CallServer(ServerConfig(**{**server_config.__dict__, "port": server.port}))
    await replacement.start()
    try:
        await ada_rec.wait("on_connection_restored")
        await bob_rec.wait("on_connection_restored")
        assert {p.name: p.id for p in ada.participants} == ids
        assert {p.name: p.id for p in bob.participants} == ids
        # Nobody ever saw the other leave and join again.
        for rec in (ada_rec, bob_rec):
            assert rec.status_names() == [
                "on_session_joined", "on_connection_lost", "on_connection_restored"]
        assert "on_participant_left" not in ada_rec.names
        assert ada_rec.names.count("on_participant_joined") == 1
        # The restored call works: presence still flows.
        bob.raise_hand()
        await ada_rec.wait("on_hand_raised")
        await ada.leave_session()
        await bob.leave_session()
    finally:
        await replacement.stop()


async def test_server_down_past_reconnect_timeout_closes(server: CallServer) -> None:
    ada, rec = await joined(server, "Ada", reconnect_timeout=1.5)
    await server.stop(graceful=False)
    lost_at = await rec.wait("on_connection_lost")
    closed_at = await rec.wait("on_connection_closed", timeout=5)
    assert 1.4 <= closed_at - lost_at <= 1.5 + 1.0
    assert rec.status_names() == ["on_session_joined", "on_connection_lost",
                                  "on_connection_closed"]
    assert ada.end_reason is EndReason.RECONNECT_TIMEOUT
    await ada.leave_session()  # after the end: nothing more fires
    assert rec.status_names()[-1] == "on_connection_closed"


async def test_server_refusing_the_resume_closes(server: CallServer, tmp_path: Path) -> None:
    ada, rec = await joined(server, "Ada")
    await server.stop(graceful=False)
    await rec.wait("on_connection_lost")
    # A replacement with another key cannot honour the old resume token.
    other = CallServer(ServerConfig(port=server.port, state_dir=tmp_path / "other-key"))
    await other.start()
    try:
        await rec.wait("on_connection_closed")
        assert ada.end_reason is EndReason.RESUME_REFUSED
        assert rec.status_names() == ["on_session_joined", "on_connection_lost",
                                      "on_connection_closed"]
    finally:
        await other.stop()


async def test_leave_while_reconnecting_ends_with_left(server: CallServer) -> None:
    ada, rec = await joined(server, "Ada")
    await server.stop(graceful=False)
    await rec.wait("on_connection_lost")
    await ada.leave_session()
    assert rec.status_names() == ["on_session_joined", "on_connection_lost", "on_session_left"]
    assert ada.end_reason is EndReason.LEFT


async def test_graceful_shutdown_reconnects_to_the_replacement(
        server: CallServer, server_config: ServerConfig) -> None:
    ada, rec = await joined(server, "Ada")
    pid = ada.local_participant.id if ada.local_participant else None
    await server.stop(graceful=True)
    await rec.wait("on_connection_lost")
    replacement = CallServer(ServerConfig(**{**server_config.__dict__, "port": server.port}))
    await replacement.start()
    try:
        await rec.wait("on_connection_restored")
        assert ada.local_participant is not None and ada.local_participant.id == pid
        await ada.leave_session()
    finally:
        await replacement.stop()


async def test_leave_while_joining_cancels_the_join(unused_tcp_port: int) -> None:
    # A listening socket that never answers the WebSocket handshake.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)

    srv = await asyncio.start_server(silent, "127.0.0.1", unused_tcp_port)
    try:
        session = CallSession()
        rec = Recorder()
        session.add_session_status_listener(rec.status_listener())
        join = asyncio.ensure_future(
            session.join_session("room", settings(), server=f"127.0.0.1:{unused_tcp_port}"))
        while session.state is not SessionState.CONNECTING:
            await asyncio.sleep(0)
        await session.leave_session()
        with pytest.raises(JoinError,
                           match=r"^leave_session\(\) was called while joining$") as info:
            await join
        assert info.value.reason is JoinFailure.CANCELLED
        assert rec.events == [] and session.state is SessionState.IDLE
    finally:
        srv.close()
        await srv.wait_closed()
