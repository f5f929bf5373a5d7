"""Load: one server process, many two-person signalling-only calls, heartbeats running.

Participants live in worker processes (tests/load/worker.py); the two sides of a
call are in different workers, so presence crosses processes as it would across
machines. Checked: every join succeeds, nobody sees a false connection-lost while
the calls idle with heartbeats, every presence change reaches the other side;
reported: join time, presence fan-out latency (a mute, from the sender's
``mute_audio()`` to the other side's ``on_audio_muted``), server memory per
connection and CPU, and the workers' event-loop lag.

``make test`` runs 100 rooms for 5 s; ``make load`` runs 500 rooms (1,000
WebSockets) for 60 s.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp
import pytest

from tests.faults.figures import record, summary
from tests.faults.harness import REPO, AgentProc, Lab, ServerProc

FANOUT_P99_LIMIT = 1.0
"""A presence change reaches the other side of the call within this, p99 (seconds)."""


class WorkerProc(AgentProc):
    async def start_worker(self, server: str, first: int, end: int, side: str) -> None:
        with open(self.log, "a") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.load.worker", "--server", server,
                "--rooms", f"{first}:{end}", "--side", side,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
                cwd=REPO, start_new_session=True, limit=1 << 24)
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def bye(self, timeout: float) -> dict[str, Any]:
        """Leave every call and exit; the final report."""
        asked = time.monotonic()
        self.send("exit")
        report = await self.wait_any("bye", after=asked, timeout=timeout)
        assert self.proc is not None
        await asyncio.wait_for(self.proc.wait(), timeout)
        return report


def _proc_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in USER_HZ


ADMIN_TOKEN = "load-admin-token-0123456789"


async def _health(server: ServerProc) -> dict[str, Any]:
    url = server.url.replace("ws://", "http://").replace("/ws", "/health")
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # /health counts only for the admin
    async with aiohttp.ClientSession(headers=auth) as http, http.get(url) as response:
        result: dict[str, Any] = await response.json()
        return result


async def _reports(workers: list[WorkerProc]) -> list[dict[str, Any]]:
    return [await w.report(timeout=30) for w in workers]


async def _fanout(senders: list[WorkerProc], receivers: list[WorkerProc], spread: float,
                  rooms: int) -> list[float]:
    """Mute every sender session (spread over ``spread`` s); the latency of each room."""
    asked = time.monotonic()
    for w in senders:
        w.send(f"mute {spread}")
    for w in senders:
        await w.wait("mute_done", after=asked, timeout=spread + 30)
    for w in receivers:
        await w.wait("all_muted_seen", after=asked, timeout=30)
    seen = [r["mute_seen"] for r in await _reports(receivers)]
    sent: dict[str, float] = {}
    for r in await _reports(senders):
        sent.update(r["mute_sent"])
    received = {room: t for s in seen for room, t in s.items()}
    missing = sorted(set(sent) - set(received), key=int)
    assert not missing, f"{len(missing)} rooms never saw the mute, e.g. {missing[:5]}"
    return [received[room] - sent[room] for room in sent]


async def run_load(lab: Lab, rooms: int, workers_per_side: int, hold: float) -> dict[str, Any]:
    # 1,000 sockets from one address: the per-address limits are tests/security's.
    server = lab.server(extra=("--exempt-loopback", "--admin-token", ADMIN_TOKEN))
    await server.start()
    base_kib = _proc_kib(server.pid)
    per = -(-rooms // workers_per_side)
    workers: dict[str, list[WorkerProc]] = {"a": [], "b": []}
    for side in ("a", "b"):
        for i in range(workers_per_side):
            w = WorkerProc(f"{side}{i}", [], lab.tmp / f"worker-{side}{i}.log")
            lab.agents.append(w)
            await w.start_worker(server.url, i * per, min(rooms, (i + 1) * per), side)
            workers[side].append(w)
    everyone = workers["a"] + workers["b"]
    started = time.monotonic()
    joined = [await w.wait_any("joined", timeout=60 + rooms / 5) for w in everyone]
    join_wall = time.monotonic() - started
    errors = [e for j in joined for e in j["errors"]]
    assert not errors, f"joins failed: {errors}"
    assert sum(j["n"] for j in joined) == 2 * rooms
    for w in everyone:
        await w.wait("all_peers", timeout=30)
    health = await _health(server)
    assert health["rooms"] == rooms and health["participants"] == 2 * rooms, health
    server_kib = _proc_kib(server.pid)

    # Hold: heartbeats only. Any lost (or closed) fails at once.
    cpu_before, hold_start = _cpu_seconds(server.pid), time.monotonic()
    with pytest.raises(AssertionError, match="no .* within"):
        await asyncio.gather(*(w.wait_any(("lost", "closed"), timeout=hold) for w in everyone))
    server_cpu = (_cpu_seconds(server.pid) - cpu_before) / (time.monotonic() - hold_start)

    paced = await _fanout(workers["a"], workers["b"], spread=rooms / 100, rooms=rooms)
    burst = await _fanout(workers["b"], workers["a"], spread=0.0, rooms=rooms)
    final = await _reports(everyone)
    assert sum(r["lost"] for r in final) == 0 and sum(r["closed"] for r in final) == 0, \
        [(r["lost"], r["closed"]) for r in final]
    for w in everyone:
        bye = await w.bye(timeout=60)
        assert bye["states"] == {"ended": bye["sessions"]}, bye["states"]
    deadline = time.monotonic() + 10
    while (health := await _health(server))["participants"]:  # the server has no event
        assert time.monotonic() < deadline, f"seats left after everyone left: {health}"
        await asyncio.sleep(0.1)
    assert server.proc is not None and server.proc.returncode is None
    worker_kib = [j["rss_kib"] for j in joined]
    fanout = summary(paced)
    assert fanout["p99"] <= FANOUT_P99_LIMIT, f"presence fan-out p99 {fanout['p99']} s"
    return {
        "rooms": rooms, "websockets": 2 * rooms, "worker_processes": len(everyone),
        "hold_s": hold, "false_lost": 0,
        "join_s": summary([s for j in joined for s in j["join_s"]]),
        "all_joined_after_s": round(join_wall, 1),
        "fanout_paced_100_per_s": fanout,
        "fanout_burst_all_at_once": summary(burst),
        "server_rss_mib": round(server_kib / 1024, 1),
        "server_kib_per_connection": round((server_kib - base_kib) / (2 * rooms), 1),
        "server_cpu_idle_calls_pct_of_a_core": round(100 * server_cpu, 1),
        "client_kib_per_session": round(
            (sum(worker_kib) - sum(j.get("rss_kib", 0) for j in [
                w.matching("ready")[0] for w in everyone])) / (2 * rooms), 1),
        "worker_loop_lag_p99_s": max(r["loop_lag_p99_s"] or 0 for r in final),
        "worker_loop_lag_max_s": max(r["loop_lag_max_s"] or 0 for r in final),
    }


async def test_100_two_person_calls_hold_without_false_loss(lab: Lab) -> None:
    figures = await run_load(lab, rooms=100, workers_per_side=1, hold=5.0)
    record("load", "rooms_100", figures)


@pytest.mark.long
@pytest.mark.timeout(900)
async def test_500_two_person_calls_on_one_server(lab: Lab) -> None:
    figures = await run_load(lab, rooms=500, workers_per_side=2, hold=60.0)
    record("load", "rooms_500", figures)
