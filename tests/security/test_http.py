"""The HTTP side under attack: slowloris, too many connections from one address, junk
requests, file descriptors running out; and what the server tells strangers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from parley.protocol.messages import ParticipantJoined
from parley.server import CallServer
from tests.security.conftest import Connect, ConnectFrom
from tests.security.procs import server_child
from tests.security.raw import closed_within, open_raw

Servers = Callable[..., Awaitable[CallServer]]


async def _dropped(reader: asyncio.StreamReader, timeout: float) -> bool:
    """True once the server has dropped the TCP connection."""
    async def read_to_eof() -> None:
        while await reader.read(4096):
            pass
    try:
        await asyncio.wait_for(read_to_eof(), timeout)
    except ConnectionError:
        pass
    return True


async def test_slowloris_sockets_are_dropped_and_joins_go_on(servers: Servers,
                                                             connect: Connect) -> None:
    server = await servers(header_timeout=1.0)
    slow = []
    for i in range(200):  # 200 half-sent requests from four addresses
        reader, writer = await open_raw(server.port, f"127.0.9.{1 + i % 4}", upgrade=False)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append((reader, writer))
    started = time.monotonic()
    a = await connect(server)
    await a.join("calm", "Ada")  # the server answers while they dangle
    assert time.monotonic() - started < 0.5
    for _, writer in slow:  # a byte now and then does not buy time
        writer.write(b"x")
    results = await asyncio.gather(*(_dropped(r, 3.0) for r, _ in slow))
    assert all(results)
    assert time.monotonic() - started < 1.0 + 2.0
    b = await connect(server)
    await b.join("calm", "Bob")
    assert isinstance(await a.expect(ParticipantJoined), ParticipantJoined)


async def test_a_request_body_that_never_ends_is_dropped(servers: Servers) -> None:
    server = await servers(header_timeout=1.0, body_timeout=0.5)
    reader, writer = await open_raw(server.port, upgrade=False)
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nab")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    assert head.startswith(b"HTTP/1.1 200") and b"Connection: close" in head
    assert await _dropped(reader, 3.0)


async def test_one_address_gets_its_connections_and_no_more(servers: Servers,
                                                            connect_from: ConnectFrom) -> None:
    server = await servers(max_connections_per_ip=64)
    held = [await open_raw(server.port, "127.0.8.1") for _ in range(64)]
    reader, _writer = await open_raw(server.port, "127.0.8.1", upgrade=False)
    assert await _dropped(reader, 2.0)  # the 65th is cut at once, before any HTTP
    assert await reader.read() == b""
    other = await connect_from(server, "127.0.8.2")  # another address is not affected
    await other.join("calm", "Ada")
    held[0][1].close()
    await closed_within(held[0][0], 2.0)
    again = await connect_from(server, "127.0.8.1")  # a freed place can be used again
    await again.join("calm", "Bob")


async def test_loopback_is_exempt_only_when_configured(servers: Servers) -> None:
    exempt = await servers(max_connections_per_ip=4, exempt_loopback=True)
    held = [await open_raw(exempt.port) for _ in range(8)]
    assert len(held) == 8
    strict = await servers(max_connections_per_ip=4)
    _ = [await open_raw(strict.port) for _ in range(4)]
    reader, _writer = await open_raw(strict.port, upgrade=False)
    assert await _dropped(reader, 2.0)


async def test_health_says_only_ok_and_no_version_anywhere(
        server: CallServer, http: aiohttp.ClientSession) -> None:
    base = server.url.replace("ws://", "http://").removesuffix("/ws")
    async with aiohttp.ClientSession() as stranger:
        async with stranger.get(base + "/health") as response:
            assert await response.text() == "ok"
            assert response.headers["Server"] == "parley"
        async with stranger.get(base + "/health",
                                headers={"Authorization": "Bearer wrong-token-wrong"}) as r:
            assert await r.text() == "ok"
        async with stranger.get(base + "/nothing-here") as response:
            assert response.status == 404 and response.headers["Server"] == "parley"
    async with http.get(base + "/health") as response:  # the admin token
        body = await response.json()
    assert body["status"] == "ok" and body["version"] and body["rooms"] == 0
    reader, writer = await open_raw(server.port, upgrade=False)
    writer.write(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
    head = await asyncio.wait_for(reader.read(4096), 3)
    assert head.split(b" ", 2)[1] == b"400" and b"Server: parley\r\n" in head, head
    assert b"aiohttp" not in head and b"Python" not in head


async def test_running_out_of_file_descriptors_logs_one_line_not_tracebacks(
        tmp_path: Path) -> None:
    async with server_child(tmp_path / "state", ["--exempt-loopback"], nofile=64) as child:
        flood = []
        for _ in range(120):  # more sockets than the server has descriptors
            try:
                flood.append(await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", child.port), 1))
            except (TimeoutError, OSError):
                break
        await asyncio.sleep(1.5)  # let accept() fail for a while (measured: the log)
        for _, writer in flood:
            writer.close()
        async with aiohttp.ClientSession() as http:
            ws = await _connect_eventually(http, child.url)
            await ws.close()
    log = child.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    failures = log.count("event=accept_failed")
    assert 1 <= failures <= 4, log[-3000:]


async def _connect_eventually(http: aiohttp.ClientSession,
                              url: str) -> aiohttp.ClientWebSocketResponse:
    deadline = time.monotonic() + 5
    while True:
        try:
            return await http.ws_connect(url)
        except (aiohttp.ClientError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)  # retrying a refused connect, as a client would
