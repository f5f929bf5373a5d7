"""join_session -> on_session_joined latency, against a bare WebSocket join as baseline.

Both run in one process against the same in-process call server on loopback:
the baseline opens a raw aiohttp WebSocket, sends the join frame and reads the
welcome; Parley's figure is CallSession.join_session until on_session_joined
fires, signaling only and then with (synthetic) media started as well.
Goal (DESIGN.md): p50 <= 50 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from parley.protocol import encode
from parley.protocol.messages import Join, Leave
from parley.sdk import CallSession, SessionSettings, SessionStatusListener
from parley.server import CallServer, ServerConfig

ROUNDS = 60
MEDIA_ROUNDS = 20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bare_join(url: str, room: str) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_str(encode(Join(session_id=room, display_name="Bare")))
        await ws.receive()
        elapsed = time.perf_counter() - started
        await ws.send_str(encode(Leave()))
    return elapsed


async def sdk_join(url: str, room: str, media: bool = False) -> float:
    session = CallSession()
    joined = asyncio.Event()
    session.add_session_status_listener(SessionStatusListener(on_session_joined=joined.set))
    started = time.perf_counter()
    await session.join_session(room, SessionSettings("Bench", media=media, fake_media=media),
                               server=url)
    await joined.wait()
    elapsed = time.perf_counter() - started
    await session.leave_session()
    return elapsed


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as state:
        async with CallServer(ServerConfig(port=0, state_dir=Path(state))) as server:
            bare: list[float] = []
            sdk: list[float] = []
            for i in range(ROUNDS):  # interleaved, so both see the same machine load
                bare.append(await bare_join(server.url, f"bare-{i}"))
                sdk.append(await sdk_join(server.url, f"sdk-{i}"))
            media = [await sdk_join(server.url, f"media-{i}", media=True)
                     for i in range(MEDIA_ROUNDS)]
    return {
        "rounds": ROUNDS,
        "bare_ws_join_p50_ms": round(statistics.median(bare) * 1000, 2),
        "sdk_join_p50_ms": round(statistics.median(sdk) * 1000, 2),
        "sdk_join_p95_ms": round(pct(sdk, 0.95) * 1000, 2),
        "ratio_p50": round(statistics.median(sdk) / statistics.median(bare), 2),
        "sdk_join_with_media_p50_ms": round(statistics.median(media) * 1000, 2),
        "sdk_join_with_media_p95_ms": round(pct(media, 0.95) * 1000, 2),
        "goal": "sdk_join_p50_ms <= 50",
    }


def main() -> dict[str, Any]:
    return asyncio.run(run())
