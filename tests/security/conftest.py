"""The attack rig: the call-server fixtures (a real server on loopback, real WebSockets),
plus clients from other loopback addresses (127.0.0.x), each a different "address" for
the server's per-address limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from parley.server import CallServer
from tests.server.conftest import Client, Connect, config_for, connect, http, server, servers

__all__ = ["Client", "Connect", "ConnectFrom", "config_for", "connect", "connect_from", "http",
           "server", "servers"]

ConnectFrom = Callable[[CallServer, str], Awaitable[Client]]


@pytest.fixture
async def connect_from() -> AsyncIterator[ConnectFrom]:
    """``await connect_from(server, "127.0.0.7")``: a client socket from that address."""
    sessions: dict[str, aiohttp.ClientSession] = {}
    clients: list[Client] = []

    async def open_client(target: CallServer, source: str) -> Client:
        if source not in sessions:
            connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
            sessions[source] = aiohttp.ClientSession(connector=connector)
        ws = await sessions[source].ws_connect(target.url)
        client = Client(ws)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.ws.close()
    for session in sessions.values():
        await session.close()
