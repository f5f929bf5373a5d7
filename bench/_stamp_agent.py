"""A Parley participant for bench/links.py: tests/faults/agent.py's agent, which also
reads the frame stamp (bench/_stamp.py) of every frame its video sink sees.

    python -m bench._stamp_agent <tests/faults/agent.py's arguments>

Through the SDK's public video sink only: the local camera's frames (the self view,
handed over as each frame leaves the camera for the encoder) are the capture times, a
remote participant's decoded frames the receive times, each ``received_at``
(``time.time()``). Once a second it prints ``stamps`` with what came since the last:
``local`` and ``remote`` ({pid: ...}) lists of [frame number or -1 when unreadable,
time]. ``report`` also carries ``audio``: {pid: [audio frames decoded, audio packets
received, audio packets lost]} on the current connection (the SDK's stats).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any

import av
import numpy as np
from tests.faults.agent import Agent, emit, main

from bench import _stamp

EVERY = 1.0
"""Seconds between two ``stamps`` lines (each stays far below a pipe line's limit)."""
DUMP = os.environ.get("PARLEY_BENCH_DUMP")
"""A folder to write the first received frames whose stamp is unreadable to (PNG), to see
what they look like."""
DUMPS = 12


def luma(frame: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The Y plane of an ``av.VideoFrame`` as a (height, width) view."""
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, :plane.width]


class StampAgent(Agent):
    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        self.local: list[list[float]] = []
        self.remote: dict[str, list[list[float]]] = {}
        self.session.add_video_sink(self._stamp)
        self._emitter: asyncio.Task[None] | None = None

    def _stamp(self, pid: str, frame: Any) -> None:
        if frame.track != "camera":
            return
        found = _stamp.read(luma(frame.frame))
        entry = [-1 if found is None else found, round(frame.received_at, 4)]
        if pid == self.local_id:
            self.local.append(entry)
        else:
            self.remote.setdefault(pid, []).append(entry)
            if found is None and DUMP is not None:
                self._dump(frame.frame, frame.received_at)

    def _dump(self, frame: Any, at: float) -> None:
        folder = Path(DUMP or ".")
        folder.mkdir(parents=True, exist_ok=True)
        if len(list(folder.glob("*.png"))) < DUMPS:
            frame.to_ndarray(format="rgb24")  # fails early on a frame PNG cannot take
            with av.open(str(folder / f"unreadable-{at:.3f}.png"), "w") as out:
                stream = out.add_stream("png")
                stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "rgb24"
                for packet in stream.encode(frame.reformat(format="rgb24")):
                    out.mux(packet)
                for packet in stream.encode():
                    out.mux(packet)

    async def join(self) -> bool:
        joined = await super().join()
        if joined:
            self._emitter = asyncio.get_running_loop().create_task(self._emit())
        return joined

    async def _emit(self) -> None:
        while True:
            await asyncio.sleep(EVERY)  # a reporting period, not synchronisation
            self.flush()

    def flush(self) -> None:
        if self.local or self.remote:
            emit("stamps", local=self.local, remote=self.remote)
        self.local, self.remote = [], {}

    async def command(self, line: str) -> bool:
        if line.strip() in ("exit", "") and self._emitter is not None:
            self._emitter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._emitter
            self.flush()
        return await super().command(line)

    async def report(self, settle: bool = False) -> dict[str, Any]:
        out = await super().report(settle)
        out["audio"] = {pid: [s.audio_frames, s.audio_packets, s.audio_packets_lost]
                        for pid, s in self.session.stats().items()}
        return out


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(StampAgent)))
