"""Start/stop of the embeddable server: graceful shutdown, restarts, logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from parley.protocol.messages import GoingAway, ParticipantJoined, Ping, Pong
from parley.server import CallServer, ServerConfig
from tests.server.conftest import Connect

Servers = Callable[..., Awaitable[CallServer]]


async def test_graceful_stop_sends_going_away_and_closes_1001_without_leaves(
        servers: Servers, connect: Connect) -> None:
    server = await servers(shutdown_retry_after=2.5)
    ada, bob = await connect(server), await connect(server)
    await ada.join("room", "Ada")
    await bob.join("room", "Bob")
    await ada.expect(ParticipantJoined)
    lurker = await connect(server)  # connected, never joined: told too
    await lurker.roundtrip()
    stopping = asyncio.create_task(server.stop())  # it waits for the close handshakes
    for client in (ada, bob, lurker):
        going = await client.next()  # the very next message: no left/reconnecting first
        assert isinstance(going, GoingAway)
        assert going.reason == "shutdown" and going.retry_after == 2.5
        assert await client.closed() == 1001
    await server.stop()  # a concurrent second stop waits for the first
    assert stopping.done() and not server.running
    await server.stop()  # idempotent


async def test_resume_tokens_survive_a_graceful_restart(servers: Servers,
                                                        connect: Connect) -> None:
    first = await servers()
    ada = await connect(first)
    welcome = await ada.join("room", "Ada")
    stopping = asyncio.create_task(first.stop())
    assert await ada.closed() == 1001
    await stopping
    second = await servers(port=first.port)
    back = await connect(second)
    again = await back.join("room", "Ada", resume_token=welcome.resume_token)
    assert again.resumed and again.participant_id == welcome.participant_id


async def test_context_manager_url_port_and_double_start(tmp_path: Path,
                                                         connect: Connect) -> None:
    async with CallServer(ServerConfig(port=0, state_dir=tmp_path)) as server:
        assert server.port > 0 and server.running
        assert server.url == f"ws://127.0.0.1:{server.port}/ws"
        with pytest.raises(RuntimeError, match="^the server is already started$"):
            await server.start()
        client = await connect(server)
        await client.send(Ping(t=3.0))
        assert (await client.expect(Pong, skip=())).t == 3.0
        await client.ws.close()
    assert not server.running


async def test_port_in_use_raises_oserror(server: CallServer, tmp_path: Path) -> None:
    clash = CallServer(ServerConfig(port=server.port, state_dir=tmp_path))
    with pytest.raises(OSError, match=f"(?i){server.port}.*address already in use"):
        await clash.start()
    assert not clash.running


async def test_logs_are_key_value_lines_without_tokens(
        server: CallServer, connect: Connect, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="parley.server")
    ada = await connect(server)
    welcome = await ada.join("room", "Ada")
    await ada.drop()
    back = await connect(server)
    await back.join("room", "Ada", resume_token=welcome.resume_token)
    await back.send(Ping(t=1.0))
    pong = await back.expect(Pong, skip=())
    lines = [r.getMessage() for r in caplog.records if r.name == "parley.server"]
    assert any(line.startswith("event=join room=room participant=") for line in lines)
    assert any(line.startswith("event=resume ") for line in lines)
    assert all(line.startswith("event=") for line in lines)
    for token in (welcome.resume_token, pong.resume_token):
        assert token is not None
        claims, signature = token.split(".")[1:]
        assert not any(claims in line or signature in line for line in lines)
