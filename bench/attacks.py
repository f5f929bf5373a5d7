"""The call server under attack, measured from outside (docs/security.md quotes these).

    python -m bench attacks        # writes bench/results/attacks.json

Each attack runs against ``parley-server`` in a child process on loopback, with its
default limits, next to a calm call of two participants:

- memory per unauthenticated socket: 400 and 1,000 sockets (from 20 loopback
  addresses) each park an unfinished fragmented message of ~63 KiB; the growth of
  the server's RSS per socket, and how long until all of them are closed;
- CPU under a PING flood: one address floods WebSocket PINGs as fast as it can for
  5 s, reconnecting whenever it is closed; the server's CPU share and the PONGs
  it answered per second;
- join latency under a slowloris of 1,000 sockets: 1,000 half-sent HTTP requests
  (from 20 addresses) dangle while a participant joins 30 times; p50/p95 of the
  join (connect, join, welcome), against the same without the attack;
- the client's event loop under an offer flood: a victim (a CallSession in this
  process) in a video call with a peer (another process) is probed for loop lag (a
  5 ms sleep, over and over: how late each wake-up is) for PARLEY_BENCH_SECONDS
  (10) without attack, then as long again while a hostile room member (another
  process, two seats) sends it 40 offers a second with real-looking SDP, each asking
  for a new connection, and 45 trickled candidates a second. The server's relay
  budgets are raised so that the whole flood reaches the client: its own defence
  is measured. Then calm again, as long, so the machine's own noise shows twice.
  Goal (DESIGN.md): lag p99 <= 16 ms.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from tests.security.procs import ServerChild, server_child
from tests.security.raw import PING, PONG, TEXT, closed_within, frame, open_raw, read_frame

from bench.ui_lag import pct, probe
from parley.protocol.messages import Join, Leave, Welcome, decode, encode

ADDRESSES = 20
FLOOD_SECONDS = 5.0
JOINS = 30


def _source(i: int) -> str:
    return f"127.0.{100 + i % ADDRESSES}.{1 + i // ADDRESSES % 250}"


async def _parked(child: ServerChild, sockets: int) -> dict[str, Any]:
    before = child.rss_kib()
    started = time.monotonic()
    parked = []
    for i in range(sockets):
        reader, writer = await open_raw(child.port, _source(i))
        writer.write(frame(TEXT, b'{"v":1,"type":"ping","junk":"' + b"x" * 64_000, fin=False))
        parked.append((reader, writer))
    opened = time.monotonic() - started
    peak = before
    for _ in range(20):
        await asyncio.sleep(0.05)
        peak = max(peak, child.rss_kib())
    await asyncio.gather(*(closed_within(r, 15) for r, _ in parked))
    closed_after = time.monotonic() - started
    for _, writer in parked:
        writer.close()
    return {"sockets": sockets, "rss_before_mib": round(before / 1024, 1),
            "rss_peak_mib": round(peak / 1024, 1),
            "kib_per_socket": round((peak - before) / sockets, 1),
            "opened_in_s": round(opened, 2), "all_closed_after_s": round(closed_after, 2)}


async def _ping_flood(child: ServerChild) -> dict[str, Any]:
    cpu0, started = child.cpu_seconds(), time.monotonic()
    pongs = connections = 0
    payload = frame(PING, b"p") * 200
    while time.monotonic() - started < FLOOD_SECONDS:
        connections += 1
        reader, writer = await open_raw(child.port, "127.0.99.1")

        async def count(stream: asyncio.StreamReader) -> None:
            nonlocal pongs
            while True:
                opcode, _ = await read_frame(stream)
                if opcode == PONG:
                    pongs += 1

        counter = asyncio.create_task(count(reader))
        try:
            while not counter.done() and time.monotonic() - started < FLOOD_SECONDS:
                writer.write(payload)
                await writer.drain()
        except ConnectionError:
            pass
        counter.cancel()
        await asyncio.gather(counter, return_exceptions=True)
        writer.close()
    elapsed = time.monotonic() - started
    return {"seconds": round(elapsed, 1), "connections_closed": connections,
            "pongs_per_s": round(pongs / elapsed),
            "server_cpu_percent": round(100 * (child.cpu_seconds() - cpu0) / elapsed, 1)}


async def _join_latency(url: str, first: int) -> list[float]:
    """``JOINS`` participants, each from its own address (as people would be), join once."""
    times = []
    for i in range(first, first + JOINS):
        connector = aiohttp.TCPConnector(local_addr=(f"127.0.200.{1 + i}", 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            started = time.monotonic()
            ws = await http.ws_connect(url)
            await ws.send_str(encode(Join(session_id=f"lat-{i}", display_name="Ada")))
            reply = await ws.receive()
            assert isinstance(decode(reply.data), Welcome), reply
            times.append((time.monotonic() - started) * 1000)
            await ws.send_str(encode(Leave()))
            await ws.close()
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1)}


async def _slowloris(child: ServerChild, sockets: int) -> dict[str, Any]:
    calm = _summary(await _join_latency(child.url, 0))
    slow = []
    for i in range(sockets):
        reader, writer = await open_raw(child.port, _source(i), upgrade=False)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append((reader, writer))
    attacked = _summary(await _join_latency(child.url, JOINS))
    for _, writer in slow:
        writer.close()
    return {"sockets": sockets, "without": calm, "under_attack": attacked}


LAG_SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "10"))
_OPEN_RELAY = ["--heartbeat-timeout", "30", "--relay-bytes-per-second", str(8 << 20),
               "--relay-burst-bytes", str(8 << 20), "--seat-relay-bytes-per-second",
               str(8 << 20), "--seat-relay-burst-bytes", str(8 << 20)]


def _lag(lags: list[float]) -> dict[str, float]:
    return {"lag_p50_ms": round(statistics.median(lags) * 1000, 2),
            "lag_p99_ms": round(pct(lags, 0.99) * 1000, 2),
            "lag_max_ms": round(max(lags) * 1000, 2)}


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


async def _offer_flood(child: ServerChild) -> dict[str, Any]:
    from parley.sdk import CallSession, SessionSettings

    victim = CallSession()
    await victim.join_session("flood", SessionSettings("Victim", fake_media=True,
                                                       idle_timeout_period=0),
                              server=child.url)
    frames: list[float] = []
    victim.add_video_sink(lambda pid, frame: frames.append(time.monotonic())
                          if victim.local_participant is not None
                          and pid != victim.local_participant.id else None)
    peer = _child("bench._peer", child.url, "flood", "Peer")
    hostile = None
    try:
        assert peer.stdout is not None and peer.stdin is not None
        await asyncio.to_thread(peer.stdout.readline)
        while len(frames) < 30:  # the peer's video arrives
            await asyncio.sleep(0.05)
        calm_from = len(frames)
        calm = await probe(LAG_SECONDS)
        calm_frames = len(frames) - calm_from
        hostile = _child("bench._hostile", child.url, "flood", "Victim", str(LAG_SECONDS))
        assert hostile.stdout is not None and hostile.stdin is not None
        await asyncio.to_thread(hostile.stdout.readline)  # joined
        hostile.stdin.write("go\n")
        hostile.stdin.flush()
        flood_from = len(frames)
        flooded = await probe(LAG_SECONDS)
        flood_frames = len(frames) - flood_from
        sent = json.loads(await asyncio.to_thread(hostile.stdout.readline))
        after = await probe(LAG_SECONDS)  # calm again: the machine's noise, measured twice
    finally:
        for proc in (peer, hostile):
            if proc is not None and proc.stdin is not None:
                proc.stdin.close()
        await victim.leave_session()
        for proc in (peer, hostile):
            if proc is not None:
                await asyncio.to_thread(proc.wait, 20)
    return {"seconds_each": LAG_SECONDS,
            "without_attack": {**_lag(calm), "peer_fps": round(calm_frames / LAG_SECONDS, 1)},
            "under_attack": {**_lag(flooded),
                             "peer_fps": round(flood_frames / LAG_SECONDS, 1),
                             "offers_per_s": round(sent["offers_sent"] / LAG_SECONDS, 1),
                             "candidates_per_s": round(sent["candidates_sent"] / LAG_SECONDS,
                                                       1),
                             "answers": sent["answers"]},
            "after_attack": _lag(after),
            "goal": "under_attack lag_p99_ms <= 16"}


async def _run() -> dict[str, Any]:
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for sockets in (400, 1000):
            async with server_child(Path(tmp) / f"mem{sockets}",
                                    ["--heartbeat-timeout", "30"]) as child:
                result[f"parked_{sockets}"] = await _parked(child, sockets)
        async with server_child(Path(tmp) / "flood") as child:
            result["ping_flood"] = await _ping_flood(child)
        async with server_child(Path(tmp) / "slow") as child:
            result["slowloris"] = await _slowloris(child, 1000)
        async with server_child(Path(tmp) / "offers", _OPEN_RELAY) as child:
            result["offer_flood"] = await _offer_flood(child)
    return result


def main() -> dict[str, Any]:
    only = os.environ.get("PARLEY_BENCH_ONLY")  # e.g. offer_flood: one case of this run
    if only == "offer_flood":
        return asyncio.run(_flood_only())
    return asyncio.run(_run())


async def _flood_only() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with server_child(Path(tmp) / "offers", _OPEN_RELAY) as child:
            return {"offer_flood": await _offer_flood(child)}
