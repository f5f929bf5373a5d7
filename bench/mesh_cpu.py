"""A 4-party mesh on loopback, CPU per participant per frame: encode-once
(``MediaConfig.encode_once``, media/shared.py) against an encoder per peer connection,
in one run, one after the other, with the same synthetic media. Each participant is a
process of its own (bench/_mesh_member.py); this one relays their signals.

    python -m bench mesh_cpu
    PARLEY_BENCH_SECONDS=20 PARLEY_MESH_SIZE=640x480 PARLEY_MESH_FPS=30 python -m bench mesh_cpu
    PARLEY_MESH_MEASURED=a PARLEY_MESH_TALKING=a python -m bench mesh_cpu

Figures per mode: the participants' CPU milliseconds per participant per captured frame
(the whole call: capture, encode, packetise, SRTP, decode of three streams) and per
received frame (a CPU-starved mode drops frames instead of using more CPU), frames
captured and received per second, and encodes per captured frame (the shared
encoders' counter; 3 with an encoder per peer). Each mode runs twice: as the product
runs (the ladder follows each peer's estimate, which a CPU-starved machine drives
down, shrinking the encodes) and ``_pinned`` (every encoder held at its best rung, so
both modes encode the same pictures). Goal (issue 13): encode-once at most 0.5 x the
per-peer encoders. Decoding is the same in both modes (each participant
decodes three streams), so it bounds what encode-once can save.

``PARLEY_MESH_MEASURED=a``: only member ``a`` switches between the modes and only its
figures are reported; the other three encode once in both runs. Four per-peer members
at 640x480@30 need more than this machine's two cores (their figures are then of a
starved call), while one per-peer member among three encode-once ones is delivered,
and what it costs is still one participant's CPU in a 4-party mesh.
``PARLEY_MESH_TALKING=a`` (bench/_mesh_member.py): only ``a`` talks, the others are
silent (DTX), as in a meeting; unset, all four talk at once.
``PARLEY_MESH_CLIP=1``: every member's camera is bench/_clip.py's hard clip (testsrc2
with temporal noise, what a camera's sensor gives more than the synthetic pattern does),
read through the product's ``file:`` camera (media/clip.py) instead of the synthetic
pattern; its size and rate are the clip's (640x480@30).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

from bench._clip import clip
from bench._mesh_member import CAMERA_VARIABLE
from bench._unit_costs import full_call, unit_costs
from parley.media.clip import CLIP_PREFIX
from parley.protocol.messages import decode

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "15"))
WIDTH, HEIGHT = (int(v) for v in os.environ.get("PARLEY_MESH_SIZE", "640x480").split("x"))
FPS = int(os.environ.get("PARLEY_MESH_FPS", "30"))
PIDS = ("a", "b", "c", "d")
CLIP = os.environ.get("PARLEY_MESH_CLIP") == "1"
MEASURED = tuple(os.environ.get("PARLEY_MESH_MEASURED", ",".join(PIDS)).split(","))
"""The members whose mode changes between the runs, and whose figures are reported."""
WARMUP = 3.0
"""Seconds of steady state once video flows everywhere, before measuring."""
READY_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parent.parent


async def one_mesh(encode_once: bool, pinned: bool, opus_ms: float) -> dict[str, Any]:
    """Four member processes (bench/_mesh_member.py) relayed to each other by this one."""
    members: dict[str, asyncio.subprocess.Process] = {}
    results: dict[str, dict[str, Any]] = {}
    done = asyncio.Event()
    ready: set[str] = set()
    all_ready = asyncio.Event()

    async def relay(pid: str, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := (await process.stdout.readline()).decode():
            word, _, rest = line.strip().partition(" ")
            if word == "sig":
                to = decode(rest).to  # type: ignore[attr-defined]
                target = members[to].stdin
                assert target is not None
                target.write(line.encode())
            elif word == "ready":
                ready.add(pid)
                if len(ready) == len(PIDS):
                    all_ready.set()
            elif word == "result":
                results[pid] = json.loads(rest)
                if len(results) == len(PIDS):
                    done.set()

    def tell(line: str, pid: str | None = None) -> None:
        for name, process in members.items():
            if pid is None or name == pid:
                assert process.stdin is not None
                process.stdin.write(f"{line}\n".encode())

    for pid in PIDS:
        members[pid] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._mesh_member", pid,
            "1" if encode_once or pid not in MEASURED else "0",
            f"{WIDTH}x{HEIGHT}", str(FPS), "1" if pinned else "0", stdin=PIPE, stdout=PIPE,
            cwd=ROOT)
    relays = [asyncio.ensure_future(relay(pid, p)) for pid, p in members.items()]
    for pid in PIDS:
        tell("peers " + ",".join(o for o in PIDS if o != pid), pid)
    try:  # on a loaded machine connecting takes a while: wait for video everywhere
        await asyncio.wait_for(all_ready.wait(), READY_TIMEOUT)
    except TimeoutError:
        print(f"   (only {sorted(ready)} got video from every peer in {READY_TIMEOUT:.0f} s)")
    await asyncio.sleep(WARMUP)  # a benchmark's steady state, not synchronisation
    tell("start")
    await asyncio.sleep(SECONDS)
    tell("stop")
    await asyncio.wait_for(done.wait(), 30)
    for process in members.values():
        assert process.stdin is not None
        process.stdin.close()
    await asyncio.gather(*(p.wait() for p in members.values()), *relays)
    if os.environ.get("PARLEY_MESH_DEBUG"):
        print(json.dumps(results, indent=1))
    prefix = ("once" if encode_once else "per_peer") + ("_pinned" if pinned else "")
    return summary(prefix, [results[pid] for pid in PIDS if pid in MEASURED], opus_ms)


def summary(prefix: str, members: list[dict[str, Any]], opus_ms: float) -> dict[str, Any]:
    """The figures of one mode; ``opus_ms``: one Opus encode's CPU (the shared one runs
    on the loop, and counts as encoding)."""
    for member in members:
        audio = member["audio_encodes"] * opus_ms / 1000
        member["split"]["loop"] -= audio
        member["split"]["encode"] += audio
    captured = sum(m["captured"] for m in members)
    seconds = max(m["seconds"] for m in members)
    cpu = sum(m["cpu"] for m in members)
    result = {
        f"{prefix}_cpu_ms_per_participant_frame": round(cpu * 1000 / max(1, captured), 2),
        # a starved per-peer mode drops frames: what each received frame cost is fair too
        f"{prefix}_cpu_ms_per_received_frame": round(
            cpu * 1000 / max(1, sum(m["received"] for m in members)), 2),
        f"{prefix}_cpu_per_participant_s": [round(m["cpu"] / m["seconds"], 2) for m in members],
        f"{prefix}_captured_fps": round(captured / len(members) / seconds, 1),
        f"{prefix}_received_fps_per_stream": round(
            sum(m["received"] for m in members) / (len(members) * (len(PIDS) - 1)) / seconds,
            1),
    }
    for role in members[0]["split"]:
        total = sum(m["split"][role] for m in members)
        key = "gc_full_collections" if role == "gc_full" else f"{role}_ms_per_participant_frame"
        result[f"{prefix}_{key}"] = total if role == "gc_full" else \
            round(total * 1000 / max(1, captured), 2)
    # the sides, per participant per captured frame: sender = encoding (video and
    # audio), receiver = decoding, loop = the event loop's Python, both directions
    split = {role: sum(m["split"][role] for m in members) * 1000 / max(1, captured)
             for role in ("loop", "encode", "decode_video", "decode_audio")}
    result[f"{prefix}_sender_side_ms"] = round(split["encode"], 2)
    result[f"{prefix}_receiver_side_ms"] = round(split["decode_video"] + split["decode_audio"], 2)
    result[f"{prefix}_loop_side_ms"] = round(split["loop"], 2)
    # a CPU-starved run delivers less than it captures: only a run near 1 compares fairly
    result[f"{prefix}_delivered_share"] = round(
        result[f"{prefix}_received_fps_per_stream"] / max(0.1, result[f"{prefix}_captured_fps"]),
        2)
    for kind in ("audio", "video"):  # what the loop's per-packet work scales with
        sent = sum(m["packets_sent"].get(kind, 0) for m in members)
        result[f"{prefix}_{kind}_packets_sent_per_participant_s"] = round(
            sent / len(members) / seconds, 1)
    if prefix.startswith("once"):
        result[f"{prefix}_encodes_per_frame"] = round(
            sum(m["encodes"] for m in members) / max(1, captured), 2)
    return result


def main() -> dict[str, Any]:
    if CLIP:  # the members read it (bench/_mesh_member.py); made once, here
        os.environ[CAMERA_VARIABLE] = CLIP_PREFIX + str(clip())
    units = unit_costs((WIDTH, HEIGHT), FPS)
    results: dict[str, Any] = {f"unit_ms_{k}": v for k, v in units.items()}
    model = full_call(units, FPS)
    results.update({f"full_call_{k}": v for k, v in model.items()})
    results["ratio_full_call_sender_side"] = round(
        model["once_sender_side_ms"] / model["per_peer_sender_side_ms"], 2)
    results["ratio_full_call_sender_side_with_low"] = round(
        model["once_with_low_sender_side_ms"] / model["per_peer_sender_side_ms"], 2)
    for pinned in (False, True):
        suffix = "_pinned" if pinned else ""
        opus = units["opus_encode"]
        per_peer = asyncio.run(one_mesh(encode_once=False, pinned=pinned, opus_ms=opus))
        once = asyncio.run(one_mesh(encode_once=True, pinned=pinned, opus_ms=opus))
        results.update(per_peer)
        results.update(once)
        for per in ("participant_frame", "received_frame"):
            ratio = once[f"once{suffix}_cpu_ms_per_{per}"] / \
                max(0.01, per_peer[f"per_peer{suffix}_cpu_ms_per_{per}"])
            results[f"ratio_once_over_per_peer_per_{per}{suffix}"] = round(ratio, 2)
        for side in ("sender", "receiver", "loop"):  # per participant per captured frame
            ratio = once[f"once{suffix}_{side}_side_ms"] / \
                max(0.01, per_peer[f"per_peer{suffix}_{side}_side_ms"])
            results[f"ratio_once_over_per_peer_{side}_side{suffix}"] = round(ratio, 2)
    return {**results, "video": f"{WIDTH}x{HEIGHT}@{FPS}", "seconds_measured_each": SECONDS,
            "measured": ",".join(MEASURED), "camera": "clip" if CLIP else "pattern",
            "talking": os.environ.get("PARLEY_MESH_TALKING", ",".join(PIDS)),
            "load_average": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
