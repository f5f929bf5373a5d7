"""A 4-party mesh on loopback, CPU per participant per frame: encode-once
(``MediaConfig.encode_once``, media/shared.py) against an encoder per peer connection,
in one run, one after the other, with the same synthetic media (all four here).

    python -m bench mesh_cpu
    PARLEY_BENCH_SECONDS=20 PARLEY_MESH_SIZE=640x480 PARLEY_MESH_FPS=30 python -m bench mesh_cpu

Figures per mode: the process's CPU milliseconds per participant per captured frame
(the whole call: capture, encode, packetise, SRTP, decode of three streams), frames
captured and received per second, and encodes per captured frame (the shared
encoders' counter; 3 with an encoder per peer). Goal (issue 13): encode-once at most
0.5 x the per-peer encoders. Decoding is the same in both modes (each participant
decodes three streams), so it bounds what encode-once can save.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

from parley.media import MediaConfig, MediaMesh, MeshEvents, VideoFrame
from parley.protocol.messages import Answer, Candidate, Offer

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "15"))
WIDTH, HEIGHT = (int(v) for v in os.environ.get("PARLEY_MESH_SIZE", "640x480").split("x"))
FPS = int(os.environ.get("PARLEY_MESH_FPS", "30"))
PIDS = ("a", "b", "c", "d")
WARMUP = 4.0


async def one_mesh(encode_once: bool) -> dict[str, Any]:
    meshes: dict[str, MediaMesh] = {}
    loop = asyncio.get_running_loop()
    captured = dict.fromkeys(PIDS, 0)
    received = dict.fromkeys(PIDS, 0)
    measuring = False

    def sender(pid: str) -> Callable[[Offer | Answer | Candidate], None]:
        def send(msg: Offer | Answer | Candidate) -> None:
            target = meshes[msg.to or ""]
            loop.call_soon(target.handle_signal, dataclasses.replace(msg, sender=pid))
        return send

    def count(table: dict[str, int], pid: str) -> Callable[..., None]:
        def counted(*_: Any) -> None:
            if measuring:
                table[pid] += 1
        return counted

    config = MediaConfig(fake_media=True, video_size=(WIDTH, HEIGHT), fps=FPS,
                         encode_once=encode_once)
    for pid in PIDS:
        events = MeshEvents(on_local_frame=count(captured, pid),
                            on_video_frame=_camera_only(count(received, pid)))
        meshes[pid] = MediaMesh(pid, config, sender(pid), events)
        await meshes[pid].start()
    for pid, mesh in meshes.items():
        for other in PIDS:
            if other != pid:
                mesh.add_peer(other)
    await asyncio.sleep(WARMUP)  # a benchmark's steady state, not synchronisation
    encodes0 = _encodes(meshes)
    measuring = True
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(SECONDS)
    measuring = False
    cpu, seconds = time.process_time() - cpu0, time.monotonic() - t0
    encodes = _encodes(meshes) - encodes0
    await asyncio.gather(*(m.close() for m in meshes.values()))
    frames = sum(captured.values())
    prefix = "once" if encode_once else "per_peer"
    result = {
        f"{prefix}_cpu_ms_per_participant_frame": round(cpu * 1000 / max(1, frames), 2),
        f"{prefix}_cpu_per_s": round(cpu / seconds, 2),
        f"{prefix}_captured_fps": round(frames / len(PIDS) / seconds, 1),
        f"{prefix}_received_fps_per_stream": round(sum(received.values()) / 12 / seconds, 1),
    }
    if encode_once:
        result["once_encodes_per_frame"] = round(encodes / max(1, frames), 2)
    return result


def _camera_only(callback: Callable[..., None]) -> Callable[[str, VideoFrame], None]:
    def on_frame(pid: str, frame: VideoFrame) -> None:
        if frame.track == "camera":
            callback()
    return on_frame


def _encodes(meshes: dict[str, MediaMesh]) -> int:
    shared = (m.shared_video("camera") for m in meshes.values())
    return sum(s.encodes for s in shared if s is not None)


def main() -> dict[str, Any]:
    per_peer = asyncio.run(one_mesh(encode_once=False))
    once = asyncio.run(one_mesh(encode_once=True))
    ratio = once["once_cpu_ms_per_participant_frame"] / \
        max(0.01, per_peer["per_peer_cpu_ms_per_participant_frame"])
    return {**per_peer, **once, "cpu_per_frame_ratio_once_over_per_peer": round(ratio, 2),
            "video": f"{WIDTH}x{HEIGHT}@{FPS}", "seconds_measured_each": SECONDS,
            "load_average": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
