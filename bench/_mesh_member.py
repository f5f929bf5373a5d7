"""One participant of bench/mesh_cpu.py's mesh, in its own process, so that its CPU is its
own: ``python -m bench._mesh_member PID ONCE WIDTHxHEIGHT FPS [PINNED]`` (ONCE, PINNED:
1 or 0).

stdin takes lines ``peers a,b,c`` (call them), ``sig <json>`` (a relayed signal),
``start`` / ``stop`` (the measured window); stdout gives ``sig <json>`` (a signal for
another participant), ``ready`` once video flows from every peer, and, after ``stop``,
``result <json>``; it exits when stdin closes.

``PARLEY_MESH_PROFILE=PREFIX``: member ``a`` profiles its event loop's thread over the
measured window with cProfile, timed by that thread's own CPU clock
(``time.thread_time``: a runnable thread waiting for a core counts nothing, unlike a
sampling profiler's wall-clock samples), and writes ``PREFIX-a.prof`` (read it with
``python -m pstats``). The profiler slows the loop's Python about twofold: use it for
where the loop's CPU goes, not for the figures.
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import json
import os
import sys
import time
from typing import Any

from bench._cpu_split import CpuSplit
from bench._loop_sampler import LoopSampler
from parley.media import MediaConfig, MediaMesh, MeshEvents, VideoFrame
from parley.protocol.messages import Answer, Candidate, Message, Offer, decode, encode

READY_FRAMES = 10
"""Camera frames from each peer before the member says it is ready."""
PROFILE = os.environ.get("PARLEY_MESH_PROFILE")
SAMPLE = os.environ.get("PARLEY_MESH_SAMPLE")
"""``PREFIX``: member ``a`` samples its loop's CPU (bench/_loop_sampler.py) over the
measured window into ``PREFIX-a-once.json`` / ``PREFIX-a-per_peer.json``, without
cProfile's cost per call."""
CAMERA_VARIABLE = "PARLEY_MESH_CAMERA"
"""A camera id for every member (bench/mesh_cpu.py sets it to the hard clip's ``file:``
id for ``PARLEY_MESH_CLIP=1``); unset, the synthetic pattern."""
PROFILED = "a"
"""The member that profiles its loop when :data:`PROFILE` is set."""
TALKING = os.environ.get("PARLEY_MESH_TALKING")
"""``a`` or ``a,b``: only these members' microphones (the synthetic tone) carry sound; the
others are muted, as in a meeting (a muted microphone sends silence, which DTX holds
back: a packet every 400 ms). Unset: every member talks at once, the worst case."""


class Member:
    def __init__(self, pid: str, once: bool, size: tuple[int, int], fps: int) -> None:
        self.pid = pid
        self.once = once
        self.captured = self.received = 0
        self.measuring = False
        self._cpu0 = self._t0 = 0.0
        self._encodes0 = 0
        self._audio0 = 0
        self._packets0: dict[Any, tuple[str, int]] = {}
        self._split = CpuSplit()
        self._peers: list[str] = []
        self._flowing: dict[str, int] = {}
        self._ready = False
        self._profile = cProfile.Profile(time.thread_time) \
            if PROFILE and pid == PROFILED else None
        self._sampler = LoopSampler() if SAMPLE and pid == PROFILED else None
        config = MediaConfig(fake_media=True, video_size=size, fps=fps, encode_once=once,
                             camera=os.environ.get(CAMERA_VARIABLE))
        self.mesh = MediaMesh(pid, config, self._send, MeshEvents(
            on_local_frame=self._local, on_video_frame=self._remote))

    def _send(self, msg: Offer | Answer | Candidate) -> None:
        print("sig", encode(dataclasses.replace(msg, sender=self.pid)), flush=True)

    def _local(self, _: VideoFrame) -> None:
        self.captured += self.measuring

    def _remote(self, pid: str, frame: VideoFrame) -> None:
        self.received += self.measuring and frame.track == "camera"
        if not self._ready and frame.track == "camera":
            self._flowing[pid] = self._flowing.get(pid, 0) + 1
            if len(self._flowing) == len(self._peers) and \
                    min(self._flowing.values()) >= READY_FRAMES:
                self._ready = True
                print("ready", flush=True)

    def _encodes(self) -> int:
        shared = self.mesh.shared_video("camera")
        return shared.encodes if shared is not None else 0

    def _audio_encodes(self) -> int:
        shared = self.mesh.shared_audio()
        return shared.encodes if shared is not None else 0

    async def packets_sent(self) -> dict[Any, tuple[str, int]]:
        """RTP packets sent so far by each live sender: (kind, count)."""
        sent: dict[Any, tuple[str, int]] = {}
        for pid in self.mesh.peer_ids:
            pc = self.mesh.connection(pid)
            for sender in pc.getSenders() if pc is not None else []:
                for stat in (await sender.getStats()).values():
                    if stat.type == "outbound-rtp" and sender.track is not None:
                        sent[sender] = (sender.track.kind, stat.packetsSent)
        return sent

    def _packets_since(self, now: dict[Any, tuple[str, int]]) -> dict[str, int]:
        """Per kind, what the live senders sent since :meth:`start` (a connection
        replaced meanwhile took its count with it)."""
        sent: dict[str, int] = {}
        for sender, (kind, count) in now.items():
            sent[kind] = sent.get(kind, 0) + count - self._packets0.get(sender, (kind, 0))[1]
        return sent

    async def start(self) -> None:
        self._packets0 = await self.packets_sent()
        self.captured = self.received = 0
        self._audio0 = self._audio_encodes()
        self._cpu0, self._t0 = time.process_time(), time.monotonic()
        self._encodes0 = self._encodes()
        self._split.start()
        self.measuring = True
        if self._profile is not None:
            self._profile.enable()
        if self._sampler is not None:
            self._sampler.start()

    async def result(self) -> dict[str, Any]:
        self.measuring = False
        if self._profile is not None:
            self._profile.disable()
            self._profile.dump_stats(f"{PROFILE}-{self.pid}.prof")
        if self._sampler is not None:
            self._sampler.stop(f"{SAMPLE}-{self.pid}-{'once' if self.once else 'per_peer'}.json")
        split = self._split.stop()
        packets = await self.packets_sent()
        shared = self.mesh.shared_video("camera")
        return {"cpu": time.process_time() - self._cpu0, "seconds": time.monotonic() - self._t0,
                "split": split,
                "captured": self.captured, "received": self.received,
                "encodes": self._encodes() - self._encodes0,
                "audio_encodes": self._audio_encodes() - self._audio0,
                "packets_sent": self._packets_since(packets),
                "keyframes": shared.keyframes if shared is not None else None,
                "rungs": [str(e.ladder.rung) for e in shared.encoders.values()]
                if shared is not None else None,
                "stats": {pid: (s.fps, s.bitrate_kbps) for pid, s in self.mesh.stats().items()}}

    async def handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "peers":
            self._peers = rest.split(",")
            for other in self._peers:
                self.mesh.add_peer(other)
        elif word == "sig":
            msg: Message = decode(rest)
            assert isinstance(msg, Offer | Answer | Candidate)
            self.mesh.handle_signal(msg)
        elif word == "start":
            await self.start()
        elif word == "stop":
            print("result", json.dumps(await self.result()), flush=True)


def pin_the_ladder() -> None:
    """Hold every VP8 encoder at its best rung: both modes then encode the same pictures
    whatever the (CPU-starved) delay-based estimates say (a benchmark-only patch)."""
    from parley.media import encoder
    from parley.media.ladder import VIDEO_MAX

    def best(estimate: int, covers_audio: bool = True) -> int:
        return VIDEO_MAX

    setattr(encoder, "video_budget", best)  # noqa: B010  # the name encoder.py calls


async def main(pid: str, once: str, size: str, fps: str, pinned: str = "0") -> None:
    if pinned == "1":
        pin_the_ladder()
    width, height = (int(v) for v in size.split("x"))
    member = Member(pid, once == "1", (width, height), int(fps))
    await member.mesh.start()
    member.mesh.set_audio_muted(TALKING is not None and pid not in TALKING.split(","))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        await member.handle(line)
    await member.mesh.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
