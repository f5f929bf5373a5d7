"""Loss detection, restore and the reconnect budget on loopback.

A call server runs in its own process; SIGSTOP freezes it, so the client's
link goes silent without any socket closing - what a dead network looks like
- and SIGCONT brings it back. (Real cut links in network namespaces are
measured by the fault harness: docs/reliability.md.)
Goals (DESIGN.md): lost <= 2 s, restored <= 1.5 s, closed <= reconnect_timeout + 1 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from parley.sdk import CallSession, SessionSettings, SessionStatusListener

TRIALS = int(__import__("os").environ.get("BENCH_TRIALS", "8"))
RECONNECT_TIMEOUT = 3.0


def start_server(state_dir: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "parley.server", "--port", "0", "--state-dir", state_dir,
         "--log-level", "warning"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.rsplit(" ", 1)[1].strip()


class Times:
    def __init__(self, session: CallSession) -> None:
        self.events: dict[str, asyncio.Event] = {}
        self.at: dict[str, float] = {}
        names = ("on_session_joined", "on_connection_lost", "on_connection_restored",
                 "on_connection_closed")
        session.add_session_status_listener(
            SessionStatusListener(**{n: self._hook(n) for n in names}))

    def _hook(self, name: str) -> Any:
        def fire() -> None:
            self.at[name] = time.monotonic()
            self.events.setdefault(name, asyncio.Event()).set()
        return fire

    async def wait(self, name: str) -> float:
        await asyncio.wait_for(self.events.setdefault(name, asyncio.Event()).wait(), 40)
        self.events[name] = asyncio.Event()
        return self.at[name]


async def run() -> dict[str, Any]:
    lost: list[float] = []
    restored: list[float] = []
    with tempfile.TemporaryDirectory() as state:
        proc, url = start_server(state)
        try:
            session = CallSession()
            times = Times(session)
            await session.join_session("bench", SessionSettings(
                "Bench", media=False, reconnect_timeout=RECONNECT_TIMEOUT), server=url)
            for _ in range(TRIALS):
                os.kill(proc.pid, signal.SIGSTOP)
                frozen = time.monotonic()
                lost.append(await times.wait("on_connection_lost") - frozen)
                os.kill(proc.pid, signal.SIGCONT)
                thawed = time.monotonic()
                restored.append(await times.wait("on_connection_restored") - thawed)
            os.kill(proc.pid, signal.SIGSTOP)
            lost_at = await times.wait("on_connection_lost")
            closed_after = await times.wait("on_connection_closed") - lost_at
            os.kill(proc.pid, signal.SIGCONT)
            await session.leave_session()
        finally:
            os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            proc.wait(10)
    return {
        "trials": TRIALS,
        "lost_after_s_max": round(max(lost), 3),
        "lost_after_s_mean": round(sum(lost) / len(lost), 3),
        "restored_after_s_max": round(max(restored), 3),
        "restored_after_s_mean": round(sum(restored) / len(restored), 3),
        "reconnect_timeout_s": RECONNECT_TIMEOUT,
        "closed_after_lost_s": round(closed_after, 3),
        "goals": "lost <= 2, restored <= 1.5, closed <= reconnect_timeout + 1",
    }


def main() -> dict[str, Any]:
    return asyncio.run(run())
