"""The WebSocket layer under attack: parked fragments, PING floods, sockets that never join.

Each attack runs next to a legitimate call, which must not notice it."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest

from parley.protocol.closecodes import CloseCode
from parley.protocol.messages import ParticipantJoined, Ping, Pong
from parley.server import CallServer, ServerConfig
from tests.security.conftest import Client, Connect
from tests.security.procs import ServerChild, server_child
from tests.security.raw import (
    CONTINUATION,
    PING,
    PONG,
    TEXT,
    closed_within,
    frame,
    open_raw,
    read_frame,
)

MAX_FRAME = ServerConfig().max_frame_bytes


async def _call(http: aiohttp.ClientSession, url: str) -> tuple[Client, Client]:
    a, b = Client(await http.ws_connect(url)), Client(await http.ws_connect(url))
    await a.join("calm", "Ada")
    await b.join("calm", "Bob")
    await a.expect(ParticipantJoined)
    return a, b


async def _pair(server: CallServer, connect: Connect) -> tuple[Client, Client]:
    a, b = await connect(server), await connect(server)
    await a.join("calm", "Ada")
    await b.join("calm", "Bob")
    await a.expect(ParticipantJoined)
    return a, b


async def _untouched(a: Client, b: Client, within: float = 1.0) -> None:
    """The calm call still answers at once."""
    for client in (a, b):
        started = time.monotonic()
        await client.roundtrip(t=started)
        assert time.monotonic() - started < within


async def _park(child: ServerChild, count: int, fragment: int
                ) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """``count`` unauthenticated sockets, each parking an unfinished fragmented message."""
    sockets = []
    for i in range(count):
        source = f"127.0.{1 + i // 50}.{2 + i % 50}"  # 50 per address: under the cap
        reader, writer = await open_raw(child.port, source)
        writer.write(frame(TEXT, b'{"v":1,"type":"ping","junk":"' + b"x" * fragment, fin=False))
        sockets.append((reader, writer))  # the writer too: a collected one closes the socket
    return sockets


async def _peak_rss(child: ServerChild, seconds: float) -> int:
    peak, deadline = child.rss_kib(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # sampling memory, not waiting for an event
        peak = max(peak, child.rss_kib())
    return peak


async def _memory_per_parked_socket(tmp_path: Path, sockets: int) -> dict[str, float]:
    args = ["--join-deadline", "2", "--heartbeat-timeout", "30"]
    async with server_child(tmp_path / "state", args) as child, aiohttp.ClientSession() as http:
        a, b = await _call(http, child.url)
        before = await _peak_rss(child, 0.3)
        started = time.monotonic()
        parked = await _park(child, sockets, MAX_FRAME - 1024)
        opened = time.monotonic() - started
        peak = await _peak_rss(child, 0.8)
        await _untouched(a, b)
        codes = await asyncio.gather(*(closed_within(r, 10) for r, _ in parked))
        closed_after = time.monotonic() - started
        await _untouched(a, b)
    per_socket = (peak - before) / sockets
    assert set(codes) == {CloseCode.POLICY}, set(codes)  # the join deadline, for all of them
    assert closed_after < opened + 2 + 3.0, (opened, closed_after)  # the last one's deadline
    # aiohttp used to take 1 MiB a socket; now the message is capped at the protocol's
    # 64 KiB, which the server holds at most (plus its own per-connection state).
    assert per_socket < 128, f"{per_socket:.0f} KiB held per parked socket"
    return {"sockets": sockets, "kib_per_socket": round(per_socket, 1),
            "closed_after_s": round(closed_after, 2)}


async def test_400_parked_fragmented_messages_hold_little_and_are_closed(
        tmp_path: Path) -> None:
    await _memory_per_parked_socket(tmp_path, 400)


@pytest.mark.long
async def test_1000_parked_fragmented_messages(tmp_path: Path) -> None:
    await _memory_per_parked_socket(tmp_path, 1000)


async def test_a_fragmented_message_over_the_limit_is_closed_1009(server: CallServer,
                                                                  connect: Connect) -> None:
    a, b = await _pair(server, connect)
    reader, writer = await open_raw(server.port)
    writer.write(frame(TEXT, b"x" * 40_000, fin=False))
    writer.write(frame(CONTINUATION, b"x" * 40_000, fin=False))  # 80 000 > 65 536
    assert await closed_within(reader, 3) == CloseCode.TOO_BIG
    await a.roundtrip()
    await b.roundtrip()


async def test_a_ping_flood_is_answered_within_the_budget_then_closed(
        servers: object, connect: Connect) -> None:
    server = await servers(  # type: ignore[operator]
        rate_per_second=50.0, rate_burst=100, flood_drops=200)
    a, b = await _pair(server, connect)
    reader, writer = await open_raw(server.port)
    pongs = 0
    started = time.monotonic()
    for _ in range(20):  # 20 x 100 PINGs, as fast as the socket takes them
        writer.write(frame(PING, b"p") * 100)
        await writer.drain()
    code: int | None = None
    while code is None:
        opcode, payload = await asyncio.wait_for(read_frame(reader), 3)
        if opcode == PONG:
            pongs += 1
        elif opcode == 0x8:
            code = int.from_bytes(payload[:2], "big")
    elapsed = time.monotonic() - started
    assert code == CloseCode.POLICY
    # Only what the budget allows is answered: the burst and a second's refill at most.
    assert pongs <= 100 + 50 * (elapsed + 1), (pongs, elapsed)
    assert elapsed < 3.0
    await a.roundtrip()
    await b.roundtrip()


async def test_a_joined_seat_pings_on_its_budget_too(server: CallServer,
                                                    connect: Connect) -> None:
    """WebSocket PINGs and PONGs are counted like messages: a legitimate client's few
    keepalive PINGs are answered, and protocol pings still work."""
    a = await connect(server)
    await a.join("calm", "Ada")
    await a.ws.ping(b"keepalive")
    await a.roundtrip()


async def test_a_socket_that_never_joins_is_closed_whatever_it_sends(
        servers: object, connect: Connect) -> None:
    server = await servers(join_deadline=1.0)  # type: ignore[operator]
    assert ServerConfig().join_deadline == 5.0
    calm = await connect(server)
    await calm.join("calm", "Ada")
    idle = await connect(server)
    started = time.monotonic()

    async def keep_pinging() -> None:
        while True:
            await idle.send(Ping(t=time.monotonic()))
            await idle.ws.ping()
            await asyncio.sleep(0.1)  # the attacker's pace, not a synchronisation

    pinger = asyncio.create_task(keep_pinging())
    try:
        code = await idle.closed(timeout=3.0)
    finally:
        pinger.cancel()
        await asyncio.gather(pinger, return_exceptions=True)
    assert code == CloseCode.POLICY
    assert 0.9 <= time.monotonic() - started < 2.0
    await calm.roundtrip()  # a joined socket is not subject to it
    assert isinstance(await _pong_after(calm, 2.0), Pong)


async def _pong_after(client: Client, t: float) -> Pong:
    await client.send(Ping(t=t))
    return await client.expect(Pong)


async def test_junk_before_the_join_is_limited_to_small_frames(server: CallServer,
                                                                connect: Connect) -> None:
    client = await connect(server)
    junk = json.dumps({"v": 1, "type": "ping", "t": 1, "junk": "x" * 9000})
    await client.send_raw(junk)
    assert await client.closed() == CloseCode.TOO_BIG
    joined = await connect(server)
    await joined.join("calm", "Ada")
    await joined.send_raw(junk)  # the same frame from a participant is fine
    assert isinstance(await joined.expect(Pong), Pong)


async def test_compression_is_not_offered_unless_configured(servers: object,
                                                             http: aiohttp.ClientSession) -> None:
    plain = await servers()  # type: ignore[operator]
    ws = await http.ws_connect(plain.url, compress=15)
    assert ws.compress == 0
    await ws.close()
    deflating = await servers(ws_compression=True)  # type: ignore[operator]
    ws = await http.ws_connect(deflating.url, compress=15)
    assert ws.compress == 15
    await ws.close()
