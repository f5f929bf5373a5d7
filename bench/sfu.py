"""Mesh against SFU in one run, for calls of 4, 6 and 8: each participant is a
CallSession (the SDK, synthetic media) in a process of its own (bench/_sfu_member.py),
against a real call server (in this process) with ``--sfu never`` and then
``--sfu always`` in front of a real Janus (Debian's, started from the shipped
configuration, packaging/server/janus/, as the tests start it).

    python -m bench sfu                 # make bench ARGS=sfu
    PARLEY_SFU_SIZES=4,6 PARLEY_BENCH_SECONDS=20 PARLEY_SFU_VIDEO=320x240 PARLEY_SFU_FPS=15 \\
        python -m bench sfu

Per mode and size:
- ``uplink_video_streams``: video RTP streams each participant sends (mean);
- ``uplink_kbps``: RTP payload kbit/s each participant sends, audio and video (mean);
- ``cpu_ms_per_participant_frame``: the participants' CPU per participant per captured
  frame (capture, encode, send, and decoding everyone else); ``..._with_janus``: Janus's
  CPU added (under the SFU it does the fanning out);
  ``cpu_ms_per_received_frame_with_janus``: all of it per frame decoded (a starved
  mesh drops frames instead of spending more);
- ``received_fps_per_stream``: frames each participant decoded per remote participant
  per second (what a starved machine gives up first);
- ``last_join_ms``: the last participant's join_session until on_session_joined;
  ``last_media_ms``: until frames from everyone else arrived (None: not from everyone
  within 60 s).
The first N-1 join together and play; then the last joins (its join is the figure);
5 s to settle, then the window. Small video for the 2 cores (160x120@15 by default:
an 8-party mesh is 56 streams on 2 shared cores).
The switch (``--sfu auto --mesh-max N-1``; the live switch of branch r5-sfuswitch):
N-1 in a mesh, settled; the Nth joins and the call moves to the SFU. Figures: the
longest and the median stretch any of the N-1 waited for a frame from any other of
them (``switch_longest_gap_ms``, ``switch_median_gap_ms``: what they see of the move;
``calm_...``: the same over 5 s of the mesh before, without a move),
and the time from the Nth's join until all of them had its video
(``switch_all_see_newcomer_ms``: it is only on the SFU, so the SFU path is up
everywhere). The move back to the mesh is not measured here.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

from tests.sfu.janus import Janus, running_janus

from parley.server import CallServer, ServerConfig

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "10"))
SIZES = tuple(int(n) for n in os.environ.get("PARLEY_SFU_SIZES", "4,6,8").split(","))
VIDEO = os.environ.get("PARLEY_SFU_VIDEO", "160x120")
FPS = os.environ.get("PARLEY_SFU_FPS", "15")
SETTLE = 5.0
JOIN_TIMEOUT = 150.0
ROOT = Path(__file__).resolve().parent.parent
ROOM = "bench-sfu"


class Member:
    """One bench/_sfu_member.py process and what it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: dict[str, str] = {}

    @classmethod
    async def spawn(cls, url: str, name: str, others: int) -> Member:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._sfu_member", url, ROOM, name, str(others),
            VIDEO, FPS, stdin=PIPE, stdout=PIPE, cwd=ROOT)
        return cls(process)

    async def read_until(self, word: str) -> str:
        assert self.process.stdout is not None
        while word not in self.lines:
            line = (await self.process.stdout.readline()).decode()
            if not line:
                raise RuntimeError(f"a participant exited before {word!r}")
            key, _, rest = line.strip().partition(" ")
            self.lines[key] = rest
        return self.lines[word]

    def tell(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())

    async def end(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def cpu_seconds(pid: int) -> float:
    """A process's user + system CPU so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_call(n: int, janus: Janus | None, state: Path) -> dict[str, Any]:
    config = ServerConfig(port=0, state_dir=state, sfu="never") if janus is None else \
        ServerConfig(port=0, state_dir=state, sfu="always", janus_urls=(janus.http_url,),
                     janus_api_secret=janus.api_secret,
                     janus_admin_key=janus.admin_key)
    async with CallServer(config) as server:
        members = [await Member.spawn(server.url, f"P{i}", n - 2) for i in range(n - 1)]
        try:
            async with asyncio.timeout(JOIN_TIMEOUT):
                await asyncio.gather(*(m.read_until("seeing") for m in members))
                last = await Member.spawn(server.url, f"P{n - 1}", n - 1)
                members.append(last)
                joined = float((await last.read_until("joined")).split()[0])
                media, seen = (float(v) for v in (await last.read_until("seeing")).split())
            await asyncio.sleep(SETTLE)  # a benchmark's steady state, not synchronisation
            janus0 = cpu_seconds(janus.process.pid) if janus else 0.0
            for member in members:
                member.tell("start")
            await asyncio.sleep(SECONDS)  # the measured window
            for member in members:
                member.tell("stop")
            results = [json.loads(await m.read_until("result")) for m in members]
            janus_cpu = cpu_seconds(janus.process.pid) - janus0 if janus else 0.0
        finally:
            await asyncio.gather(*(m.end() for m in members))
    return summary(n, results, janus_cpu, joined, media if seen == n - 1 else None)


def summary(n: int, results: list[dict[str, Any]], janus_cpu: float, joined: float,
            media: float | None) -> dict[str, Any]:
    captured = sum(r["captured"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    seconds = max(r["seconds"] for r in results)
    return {
        "uplink_video_streams": round(sum(r["video_streams"] for r in results) / n, 2),
        "uplink_kbps": round(sum(r["video_bytes"] + r["audio_bytes"] for r in results)
                             * 8 / 1000 / seconds / n, 1),
        "cpu_ms_per_participant_frame": round(cpu * 1000 / max(1, captured), 2),
        "cpu_ms_per_participant_frame_with_janus": round(
            (cpu + janus_cpu) * 1000 / max(1, captured), 2),
        # a CPU-starved mesh drops frames rather than using more CPU: per decoded frame
        "cpu_ms_per_received_frame_with_janus": round(
            (cpu + janus_cpu) * 1000 / max(1, sum(r["received"] for r in results)), 2),
        "janus_cpu_share": round(janus_cpu / seconds, 2),
        "captured_fps": round(captured / n / seconds, 1),
        "received_fps_per_stream": round(
            sum(r["received"] for r in results) / (n * (n - 1)) / seconds, 1),
        "last_join_ms": joined,
        "last_media_ms": media,
    }


async def gaps(members: list[Member], window: float) -> list[dict[str, Any]]:
    """Each member's longest waits for a frame since a mark (``window`` s from now, or
    the mark they were given before)."""
    if window:
        for member in members:
            member.tell("mark")
        await asyncio.sleep(window)  # the measured window
    for member in members:
        member.lines.pop("gaps", None)
        member.tell("gaps")
    return [json.loads(await m.read_until("gaps")) for m in members]


async def one_switch(n: int, janus: Janus, state: Path) -> dict[str, Any]:
    """``--sfu auto --mesh-max N-1``: N-1 in a mesh, then the Nth joins and the call
    moves to the SFU (make-before-break)."""
    config = ServerConfig(port=0, state_dir=state, sfu="auto", mesh_max=n - 1,
                          janus_urls=(janus.http_url,), janus_api_secret=janus.api_secret,
                     janus_admin_key=janus.admin_key)
    async with CallServer(config) as server:
        old = [await Member.spawn(server.url, f"P{i}", n - 2) for i in range(n - 1)]
        members = list(old)
        try:
            async with asyncio.timeout(JOIN_TIMEOUT):
                await asyncio.gather(*(m.read_until("seeing") for m in old))
            await asyncio.sleep(SETTLE)  # the mesh's steady state
            calm = await gaps(old, SETTLE)  # the same figure without a move: the baseline
            for member in old:
                member.tell("mark")
            last = await Member.spawn(server.url, f"P{n - 1}", n - 1)
            members.append(last)
            async with asyncio.timeout(JOIN_TIMEOUT):
                _, newcomer, started = (await last.read_until("joined")).split()
                await last.read_until("seeing")
            await asyncio.sleep(SETTLE)  # the move's end, and what came after it
            seen = await gaps(old, 0.0)
        finally:
            await asyncio.gather(*(m.end() for m in members))
    firsts = [s["first"].get(newcomer) for s in seen]
    calm_gaps = [g for s in calm for g in s["gaps"].values()]
    return {
        "calm_longest_gap_ms": round(max(calm_gaps) * 1000),
        "calm_median_gap_ms": round(statistics.median(calm_gaps) * 1000),
        # what the others see of the move: their longest wait for a frame from anyone
        "switch_longest_gap_ms": round(max(g for s in seen for g in s["gaps"].values())
                                       * 1000),
        "switch_median_gap_ms": round(statistics.median(
            g for s in seen for g in s["gaps"].values()) * 1000),
        # the SFU path up everywhere: the newcomer (only on the SFU) seen by all
        "switch_all_see_newcomer_ms": None if None in firsts else round(
            (max(f for f in firsts if f is not None) - float(started)) * 1000),
    }


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sfu-") as folder:
        root = Path(folder)
        async with running_janus(root / "janus") as janus:
            for n in SIZES:
                mesh = await one_call(n, None, root / f"mesh-{n}")
                sfu = await one_call(n, janus, root / f"sfu-{n}")
                switch = await one_switch(n, janus, root / f"switch-{n}")
                results.update({f"{n}_{key}": value for key, value in switch.items()})
                for key, value in mesh.items():
                    results[f"{n}_mesh_{key}"] = value
                for key, value in sfu.items():
                    results[f"{n}_sfu_{key}"] = value
                for key in ("uplink_kbps", "cpu_ms_per_participant_frame",
                            "cpu_ms_per_participant_frame_with_janus",
                            "cpu_ms_per_received_frame_with_janus", "received_fps_per_stream",
                            "last_media_ms"):
                    if sfu[key] is not None and mesh[key] is not None:
                        results[f"{n}_ratio_sfu_over_mesh_{key}"] = round(
                            sfu[key] / max(0.01, mesh[key]), 2)
                print(f"   {n}: mesh {mesh}\n   {n}: sfu  {sfu}\n   {n}: switch {switch}",
                      flush=True)
    return results


def main() -> dict[str, Any]:
    results = asyncio.run(run())
    return {**results, "video": f"{VIDEO}@{FPS}", "seconds_measured_each": SECONDS,
            "load_average": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
