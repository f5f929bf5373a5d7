"""Hosting in the SDK against the real server: the host ends the call (ROOM_CLOSED at
once, never reconnecting), a second join of an identity replaces the first (REPLACED),
a restart still resumes, grants refused by name, and Ask to join (the lobby) from both
sides. Each test asserts the exact callbacks a user of the SDK sees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.protocol.grants import mint_identity, mint_invite
from parley.sdk import (
    CallSession,
    EndReason,
    JoinError,
    JoinFailure,
    SessionSettings,
    SessionState,
)
from parley.sdk.lobby import JoinRequest
from parley.server import CallServer, ServerConfig
from tests.sdk.recorder import Recorder

SECRET = b"sdk-hosting-secret-of-32-bytes-!"


def settings(name: str) -> SessionSettings:
    return SessionSettings(display_name=name, media=False)


def host_token(user: str = "ada", name: str = "Ada", host: bool = True) -> str:
    return mint_identity(SECRET, "room", user, name, 600, host=host)


@pytest.fixture
async def hosted(tmp_path: Path) -> AsyncIterator[CallServer]:
    config = ServerConfig(port=0, secret=SECRET, lobby=True, lobby_timeout=2.0,
                          state_dir=tmp_path, departure_timeout=5.0)
    async with CallServer(config) as server:
        yield server


async def join(server: CallServer, name: str, token: str | None,
               rec: Recorder | None = None) -> tuple[CallSession, Recorder]:
    session, rec = CallSession(), rec or Recorder()
    session.add_session_status_listener(rec.status_listener())
    session.add_participant_event_listener(rec.participant_listener())
    await session.join_session("room", settings(name), server=server.url, token=token)
    return session, rec


async def test_the_host_ending_the_call_ends_it_for_the_others_within_a_second(
        hosted: CallServer) -> None:
    host, host_rec = await join(hosted, "x", host_token())
    bob, bob_rec = await join(hosted, "Bob", mint_invite(SECRET, "room", 600))
    await host_rec.wait("on_participant_joined")
    assert host.is_host and not bob.is_host

    started = time.monotonic()
    assert await host.end_call_for_everyone() is True
    ended = await bob_rec.wait("on_session_left", timeout=1.0)
    assert ended - started < 1.0
    assert bob_rec.status_names() == ["on_session_joined", "on_session_left"]  # no lost
    assert bob.end_reason is EndReason.ROOM_CLOSED and bob.state is SessionState.ENDED
    assert host_rec.status_names() == ["on_session_joined", "on_session_left"]
    assert host.end_reason is EndReason.LEFT
    await bob.leave_session()  # idempotent: nothing more fires
    assert bob_rec.status_names() == ["on_session_joined", "on_session_left"]


async def test_only_the_host_may_end_the_call(hosted: CallServer) -> None:
    host, _ = await join(hosted, "x", host_token())
    bob, bob_rec = await join(hosted, "Bob", mint_invite(SECRET, "room", 600))
    with pytest.raises(PermissionError, match="^only the call's host may end it"):
        await bob.end_call_for_everyone()
    assert bob.state is SessionState.JOINED and bob_rec.status_names() == ["on_session_joined"]
    await bob.leave_session()
    await host.leave_session()
    assert await bob.end_call_for_everyone() is False  # not in a call: nothing to end


async def test_a_second_join_of_an_identity_replaces_the_first(hosted: CallServer) -> None:
    first, first_rec = await join(hosted, "x", host_token("bob", "Bob", host=False))
    second, _ = await join(hosted, "x", host_token("bob", "Bob", host=False))
    await first_rec.wait("on_session_left", timeout=2.0)
    assert first_rec.status_names() == ["on_session_joined", "on_session_left"]
    assert first.end_reason is EndReason.REPLACED
    assert second.state is SessionState.JOINED
    await second.leave_session()


async def test_a_server_restart_still_resumes(tmp_path: Path) -> None:
    config = ServerConfig(port=0, secret=SECRET, state_dir=tmp_path, departure_timeout=5.0)
    server = CallServer(config)
    await server.start()
    bob, rec = await join(server, "Bob", mint_invite(SECRET, "room", 600))
    await server.stop(graceful=True)  # going_away: a replacement comes
    replacement = CallServer(ServerConfig(port=server.port, secret=SECRET, state_dir=tmp_path))
    await replacement.start()
    try:
        await rec.wait("on_connection_restored")
        assert rec.status_names() == ["on_session_joined", "on_connection_lost",
                                      "on_connection_restored"]
    finally:
        await bob.leave_session()
        await replacement.stop()


@pytest.mark.parametrize(("token", "failure", "message"), [
    (None, JoinFailure.TOKEN_REQUIRED, "this server needs a join token"),
    (mint_invite(SECRET, "room", 60, now=0.0, max_lifetime=None), JoinFailure.TOKEN_EXPIRED,
     "token has expired"),
    (mint_invite(SECRET, "other", 60), JoinFailure.TOKEN_REJECTED,
     "token was minted for another session"),
], ids=["required", "expired", "wrong-room"])
async def test_refused_grants_are_told_apart(tmp_path: Path, token: str | None,
                                             failure: JoinFailure, message: str) -> None:
    async with CallServer(ServerConfig(port=0, secret=SECRET, state_dir=tmp_path)) as server:
        session = CallSession()
        with pytest.raises(JoinError, match=f"^{message}") as info:
            await session.join_session("room", settings("Bob"), server=server.url,
                                       token=token)
        assert info.value.reason is failure


async def test_a_used_up_invite_is_said_so(tmp_path: Path) -> None:
    async with CallServer(ServerConfig(port=0, secret=SECRET, state_dir=tmp_path)) as server:
        once = mint_invite(SECRET, "room", 60, uses=1)
        first, _ = await join(server, "Ada", once)
        with pytest.raises(JoinError, match="used 1 times") as info:
            await CallSession().join_session("room", settings("Bob"), server=server.url,
                                             token=once)
        assert info.value.reason is JoinFailure.TOKEN_USED_UP
        await first.leave_session()


async def _knock(server: CallServer, name: str = "Bob") -> tuple[
        CallSession, Recorder, asyncio.Task[None]]:
    guest, rec = CallSession(), Recorder()
    guest.add_session_status_listener(rec.status_listener())
    guest.add_participant_event_listener(rec.participant_listener())
    task = asyncio.ensure_future(guest.join_session("room", settings(name), server=server.url))
    await rec.wait("on_waiting_for_host")
    assert guest.state is SessionState.CONNECTING
    return guest, rec, task


async def test_ask_to_join_admitted(hosted: CallServer) -> None:
    host, host_rec = await join(hosted, "x", host_token())
    guest, guest_rec, joining = await _knock(hosted, "Bob")
    await host_rec.wait("on_join_request")
    (request,) = host.join_requests
    assert request == JoinRequest(request.id, "Bob")
    # Waiting, the guest has heard nothing of the call: no roster, no events.
    assert guest.participants == () and guest_rec.names == ["on_waiting_for_host"]

    assert host.admit(request.id)
    await joining
    assert guest.state is SessionState.JOINED
    assert guest_rec.names[:2] == ["on_waiting_for_host", "on_session_joined"]
    assert {p.name for p in guest.participants} == {"Ada", "Bob"}
    assert guest.local_participant is not None and guest.local_participant.guest
    await host_rec.wait("on_participant_joined")
    assert [n for n in host_rec.names if "join" in n] == [
        "on_session_joined", "on_join_request", "on_join_request_ended",
        "on_participant_joined"]
    ended = next(args[0] for n, args, _ in host_rec.events if n == "on_join_request_ended")
    assert ended == JoinRequest(request.id, "Bob", "admitted") and host.join_requests == ()
    await guest.leave_session()
    await host.leave_session()


async def test_ask_to_join_denied(hosted: CallServer) -> None:
    host, host_rec = await join(hosted, "x", host_token())
    guest, guest_rec, joining = await _knock(hosted)
    await host_rec.wait("on_join_request")
    assert host.deny(host.join_requests[0].id)
    with pytest.raises(JoinError, match="^the host did not let you in$") as info:
        await joining
    assert info.value.reason is JoinFailure.DENIED
    assert guest.state is SessionState.IDLE and guest_rec.names == ["on_waiting_for_host"]
    await host_rec.wait("on_join_request_ended")
    assert host.deny("k_gone") is False  # nobody waits under that id
    await host.leave_session()


async def test_ask_to_join_times_out_with_nobody_there(hosted: CallServer) -> None:
    guest, guest_rec, joining = await _knock(hosted)  # no host in the call at all
    with pytest.raises(JoinError, match="^nobody let you in within 2 s$") as info:
        await joining
    assert info.value.reason is JoinFailure.LOBBY_TIMEOUT
    assert guest_rec.names == ["on_waiting_for_host"]


async def test_leaving_while_in_the_lobby_cancels_and_the_host_hears_of_it(
        hosted: CallServer) -> None:
    host, host_rec = await join(hosted, "x", host_token())
    guest, _, joining = await _knock(hosted)
    await host_rec.wait("on_join_request")
    await guest.leave_session()
    with pytest.raises(JoinError, match="^leave_session") as info:
        await joining
    assert info.value.reason is JoinFailure.CANCELLED
    await host_rec.wait("on_join_request_ended")
    ended = next(args[0] for n, args, _ in host_rec.events if n == "on_join_request_ended")
    assert ended.outcome == "gone" and host.join_requests == ()
    await host.leave_session()
