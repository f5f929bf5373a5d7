"""A load generator: one process holding one side of many two-person calls.

    python -m tests.load.worker --server ws://127.0.0.1:PORT/ws --rooms 0:250 --side a

Joins ``load-<n>`` for every n in the range as ``<side><n>`` (signalling only,
``SessionSettings(media=False)``), with heartbeats running as in any call. It
prints JSON lines (``ev`` and ``t``, CLOCK_MONOTONIC): ``ready`` (before
joining, with the process's RSS), ``joined`` (with join times), ``all_peers``
once every call has its other side, ``all_muted_seen`` once every other side
was seen muted, ``lost`` and ``closed`` the moment any session calls them, and
``report`` on request.

Commands on stdin: ``mute <spread_s>`` mutes every session once, evenly spread
over ``spread_s`` seconds (0: all at once); ``report``; ``exit`` (leave all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from parley.sdk import (
    CallSession,
    JoinError,
    ParticipantEventListener,
    SessionSettings,
    SessionStatusListener,
)

JOIN_CONCURRENCY = 25


def emit(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Worker:
    def __init__(self, server: str, rooms: range, side: str) -> None:
        self.server, self.rooms, self.side = server, rooms, side
        self.sessions: dict[int, CallSession] = {}
        self.join_s: list[float] = []
        self.join_errors: list[str] = []
        self.lost: list[tuple[int, float]] = []
        self.closed: list[int] = []
        self.mute_sent: dict[int, float] = {}
        self.mute_seen: dict[int, float] = {}
        self.peers_seen: set[int] = set()
        self.lag: list[float] = []

    async def join_all(self) -> None:
        gate = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def one(room: int) -> None:
            async with gate:
                await self.join(room)

        await asyncio.gather(*(one(r) for r in self.rooms))

    async def join(self, room: int) -> None:
        session = CallSession()
        session.add_session_status_listener(SessionStatusListener(
            on_connection_lost=lambda: self._lost(room),
            on_connection_closed=lambda: self._closed(room)))
        session.add_participant_event_listener(ParticipantEventListener(
            on_participant_joined=lambda p: self._peer(room),
            on_audio_muted=lambda p: self._muted(room)))
        started = time.monotonic()
        try:
            await session.join_session(
                f"load-{room}", SessionSettings(f"{self.side}{room}", media=False,
                                                idle_timeout_period=0),
                server=self.server)
        except JoinError as exc:
            self.join_errors.append(f"{room}: {exc.reason.value} {exc.message}")
            return
        self.join_s.append(time.monotonic() - started)
        self.sessions[room] = session
        if len(session.participants) > 1:
            self._peer(room)

    def _peer(self, room: int) -> None:
        self.peers_seen.add(room)
        if len(self.peers_seen) == len(self.rooms):
            emit("all_peers")

    def _muted(self, room: int) -> None:
        self.mute_seen.setdefault(room, time.monotonic())
        if len(self.mute_seen) == len(self.rooms):
            emit("all_muted_seen")

    def _lost(self, room: int) -> None:
        self.lost.append((room, time.monotonic()))
        emit("lost", room=room)

    def _closed(self, room: int) -> None:
        self.closed.append(room)
        emit("closed", room=room)

    async def mute_all(self, spread: float) -> None:
        step = spread / max(1, len(self.sessions))
        start = time.monotonic()
        for i, (room, session) in enumerate(sorted(self.sessions.items())):
            delay = start + i * step - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load, not waiting for anything
            self.mute_sent[room] = time.monotonic()
            session.mute_audio()
        emit("mute_done", n=len(self.mute_sent))

    async def watch_lag(self) -> None:
        """How late the loop wakes a 50 ms timer: what every heartbeat in here suffers."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.05)
            self.lag.append(loop.time() - before - 0.05)

    def report(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for session in self.sessions.values():
            states[session.state.value] = states.get(session.state.value, 0) + 1
        lag = sorted(self.lag)
        return {
            "sessions": len(self.sessions), "states": states, "rss_kib": rss_kib(),
            "join_errors": self.join_errors[:5], "lost": len(self.lost),
            "closed": len(self.closed), "peers_seen": len(self.peers_seen),
            "mute_sent": self.mute_sent, "mute_seen": self.mute_seen,
            "loop_lag_p99_s": round(lag[int(0.99 * (len(lag) - 1))], 4) if lag else None,
            "loop_lag_max_s": round(lag[-1], 4) if lag else None,
        }

    async def leave_all(self) -> None:
        await asyncio.gather(*(s.leave_session() for s in self.sessions.values()))


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--rooms", required=True, help="first:end (end excluded)")
    p.add_argument("--side", required=True)
    args = p.parse_args()
    first, end = (int(x) for x in args.rooms.split(":"))
    worker = Worker(args.server, range(first, end), args.side)
    emit("ready", rss_kib=rss_kib())
    lag = asyncio.get_running_loop().create_task(worker.watch_lag())
    await worker.join_all()
    emit("joined", n=len(worker.sessions), join_s=sorted(worker.join_s),
         errors=worker.join_errors[:5], rss_kib=rss_kib())
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        words = (await reader.readline()).decode().split()
        if not words or words[0] == "exit":
            break
        if words[0] == "mute":
            await worker.mute_all(float(words[1]))
        elif words[0] == "report":
            emit("report", **worker.report())
    lag.cancel()
    await worker.leave_all()
    emit("bye", **worker.report())
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
