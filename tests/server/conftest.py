"""Fixtures for the call-server tests: a real server on loopback and real WebSocket clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from parley.protocol.messages import Join, Message, Ping, Pong, Welcome, decode, encode
from parley.server import CallServer, ServerConfig

M = TypeVar("M", bound=Message)
TIMEOUT = 3.0
"""How long a test waits for a message that should come (it normally takes ms)."""
ADMIN_TOKEN = "test-admin-token-0123456789"
"""The test servers' admin token; the ``http`` session sends it, so /health reports counts."""


class Client:
    """A bare protocol client over a real WebSocket, for tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.welcome: Welcome | None = None

    @property
    def pid(self) -> str:
        assert self.welcome is not None, "not joined"
        return self.welcome.participant_id

    async def send(self, message: Message) -> None:
        await self.ws.send_str(encode(message))

    async def send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def next(self, timeout: float = TIMEOUT) -> Message:
        """The next message; fails on close or timeout."""
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg}"
        return decode(msg.data)

    async def expect(self, kind: type[M], timeout: float = TIMEOUT,
                     skip: tuple[type[Message], ...] = (Pong,)) -> M:
        """The next message that is not of a ``skip`` type; it must be a ``kind``."""
        while True:
            message = await self.next(timeout)
            if isinstance(message, kind):
                return message
            assert isinstance(message, skip), f"expected {kind.__name__}, got {message!r}"

    async def closed(self, timeout: float = TIMEOUT) -> int | None:
        """Wait for the server to close this socket (ignoring messages); the close code."""
        async def drain() -> int | None:
            while True:
                msg = await self.ws.receive()
                if msg.type is aiohttp.WSMsgType.CLOSE:
                    return int(msg.data)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                    return self.ws.close_code
        return await asyncio.wait_for(drain(), timeout)

    async def roundtrip(self, t: float = 1.0) -> None:
        """Ping and wait for the matching pong: proves the connection still works
        and that everything the server sent before has arrived."""
        await self.send(Ping(t=t))
        while True:
            message = await self.next()
            if isinstance(message, Pong) and message.t == t:
                return
            raise AssertionError(f"unexpected {message!r} before pong")

    async def join(self, session_id: str = "room", name: str = "Ada", **kw: Any) -> Welcome:
        await self.send(Join(session_id=session_id, display_name=name, **kw))
        self.welcome = await self.expect(Welcome)
        return self.welcome

    async def drop(self) -> None:
        """Vanish without a leave (close the socket as a dying client would)."""
        await self.ws.close()


Connect = Callable[..., Awaitable[Client]]


def config_for(tmp_path: Path, **overrides: Any) -> ServerConfig:
    base = ServerConfig(port=0, state_dir=tmp_path, departure_timeout=5.0,
                        heartbeat_interval=0.5, heartbeat_timeout=10.0, admin_token=ADMIN_TOKEN)
    return replace(base, **overrides)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as session:
        yield session


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[CallServer]]]:
    """``await servers(**config overrides)`` starts a server, stopped after the test
    (``clock=`` gives it the wall clock its grants and resume tokens are judged by)."""
    started: list[CallServer] = []

    async def make(clock: Callable[[], float] = time.time, **overrides: Any) -> CallServer:
        server = CallServer(config_for(tmp_path, **overrides), clock=clock)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


@pytest.fixture
async def server(servers: Callable[..., Awaitable[CallServer]]) -> CallServer:
    return await servers()


@pytest.fixture
async def connect(http: aiohttp.ClientSession) -> AsyncIterator[Connect]:
    """``await connect(server)`` opens a client socket, closed after the test."""
    clients: list[Client] = []

    async def open_client(target: CallServer | str) -> Client:
        url = target if isinstance(target, str) else target.url
        ws = await http.ws_connect(url, autoping=True)
        client = Client(ws)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.ws.close()
