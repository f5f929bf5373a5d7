"""A 2-party call at 640x480@30 VP8 with synthetic media, Parley's MediaMesh against a
bare aiortc pair carrying the same tracks (same process, loopback, both ends here).

Figures: received frames/s per direction, glass-to-glass from the pattern's capture
time to the decoded frame (no rendering), and CPU seconds per wall second of the
whole process. Goals (DESIGN.md): p95 <= 80 ms, CPU <= 1.2x the bare pair.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media import (
    MediaConfig,
    MediaMesh,
    MeshEvents,
    VideoFrame,
    arrival,
    decoding,
    estimate,
    framebuffer,
    opus_fec,
    rtx,
)
from parley.media.synthetic import PatternTrack, ToneTrack, read_pattern
from parley.protocol.messages import Answer, Candidate, Offer

SECONDS = float(os.environ.get("PARLEY_BENCH_SECONDS", "10"))
WARMUP = 2.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else -1.0


class Meter:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.frames: dict[str, int] = {}
        self.measuring = False

    def frame(self, receiver: str, frame: Any, received_at: float) -> None:
        if not self.measuring:
            return
        decoded = read_pattern(frame)
        self.frames[receiver] = self.frames.get(receiver, 0) + 1
        if decoded is not None:
            self.latencies.setdefault(receiver, []).append(received_at - decoded[1])

    def result(self, prefix: str, seconds: float, cpu: float) -> dict[str, Any]:
        every = [v for values in self.latencies.values() for v in values]
        return {
            f"{prefix}_fps": {k: round(v / seconds, 1) for k, v in sorted(self.frames.items())},
            f"{prefix}_g2g_p50_ms": round(pct(every, 0.5) * 1000, 1),
            f"{prefix}_g2g_p95_ms": round(pct(every, 0.95) * 1000, 1),
            f"{prefix}_cpu_per_s": round(cpu / seconds, 3),
            # both ends run here: CPU per frame carried is the fair comparison when
            # one side delivers more frames than the other under load
            f"{prefix}_cpu_ms_per_frame": round(cpu * 1000 / max(1, sum(self.frames.values())),
                                                2),
        }


async def measure(meter: Meter) -> tuple[float, float]:
    await asyncio.sleep(WARMUP)  # a benchmark's steady state, not synchronisation
    meter.measuring = True
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(SECONDS)
    meter.measuring = False
    return time.monotonic() - t0, time.process_time() - cpu0


async def parley_call() -> dict[str, Any]:
    meter = Meter()
    meshes: dict[str, MediaMesh] = {}
    loop = asyncio.get_running_loop()

    def sender(pid: str) -> Callable[[Offer | Answer | Candidate], None]:
        def send(msg: Offer | Answer | Candidate) -> None:
            target = meshes[msg.to or ""]
            loop.call_soon(target.handle_signal, dataclasses.replace(msg, sender=pid))
        return send

    def on_frame(receiver: str) -> Callable[[str, VideoFrame], None]:
        return lambda pid, f: meter.frame(f"{pid}->{receiver}", f.frame, f.received_at)

    for pid in ("a", "b"):
        meshes[pid] = MediaMesh(pid, MediaConfig(fake_media=True), sender(pid),
                                MeshEvents(on_video_frame=on_frame(pid)))
        await meshes[pid].start()
    meshes["a"].add_peer("b")
    meshes["b"].add_peer("a")
    seconds, cpu = await measure(meter)
    stats = {pid: dataclasses.asdict(s) for pid, s in meshes["a"].stats().items()}
    await asyncio.gather(*(m.close() for m in meshes.values()))
    return {**meter.result("parley", seconds, cpu), "parley_stats_a": stats}


async def bare_call() -> dict[str, Any]:
    rtx.uninstall()  # aiortc's own encoders and RTCP handling (a Parley mesh installs them)
    framebuffer.uninstall()  # and its decoders: one video frame per packet
    opus_fec.uninstall()  # and its Opus parameters (no useinbandfec)
    estimate.uninstall()  # and its own estimator, fed its own arrival times
    arrival.uninstall()
    decoding.uninstall()  # and its decoder threads' task per frame
    meter = Meter()
    pcs = {pid: RTCPeerConnection(RTCConfiguration(iceServers=[])) for pid in ("a", "b")}
    tracks: list[MediaStreamTrack] = []
    consumers: list[asyncio.Task[None]] = []

    async def consume(receiver: str, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                meter.frame(receiver, frame, time.time())

    for pid, pc in pcs.items():
        for track in (ToneTrack(), PatternTrack()):
            tracks.append(track)
            pc.addTrack(track)
        pc.on("track", lambda t, pid=pid: consumers.append(
            asyncio.ensure_future(consume(f"->{pid}", t))))
    await pcs["a"].setLocalDescription(await pcs["a"].createOffer())
    await pcs["b"].setRemoteDescription(pcs["a"].localDescription)
    await pcs["b"].setLocalDescription(await pcs["b"].createAnswer())
    await pcs["a"].setRemoteDescription(pcs["b"].localDescription)
    seconds, cpu = await measure(meter)
    for pc in pcs.values():
        await pc.close()
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    for track in tracks:
        track.stop()
    return meter.result("bare", seconds, cpu)


def main() -> dict[str, Any]:
    bare = asyncio.run(bare_call())
    parley = asyncio.run(parley_call())
    ratio = parley["parley_cpu_per_s"] / bare["bare_cpu_per_s"]
    per_frame = parley["parley_cpu_ms_per_frame"] / bare["bare_cpu_ms_per_frame"]
    return {**bare, **parley, "cpu_ratio_parley_over_bare": round(ratio, 2),
            "cpu_per_frame_ratio_parley_over_bare": round(per_frame, 2),
            "load_average": round(os.getloadavg()[0], 2), "seconds_measured_each": SECONDS}


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
