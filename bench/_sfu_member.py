"""One participant of bench/sfu.py, a CallSession (the SDK) in its own process so that
its CPU is its own: ``python -m bench._sfu_member URL ROOM NAME OTHERS WIDTHxHEIGHT FPS``.

It joins ``ROOM`` on the call server at ``URL`` with synthetic media and prints
``joined <ms>`` (join_session returned: on_session_joined) and ``seeing <ms> <count>``
(frames from ``OTHERS`` remote participants, counted from the join; after 60 s without
all of them, how many came). Then stdin takes ``start``
and ``stop`` (the measured window); after ``stop`` it prints ``result <json>``: CPU
seconds, frames captured and received, and its uplink (RTP streams and payload bytes
sent over the window, from aiortc's public ``getStats`` of every open connection of
this process). ``mark`` then ``gaps``: ``gaps <json>``, the longest stretch without
video from each participant since the mark, and when each one's first frame came
(monotonic, which all processes of the machine share). It leaves and exits when stdin
closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import sys
import time
from collections import defaultdict
from typing import Any

from aiortc import RTCPeerConnection

from parley.media.config import MediaConfig
from parley.sdk import CallSession, SessionSettings

SEE_TIMEOUT = 60.0
"""Seconds to wait for video from everyone before reporting how many it saw."""

Uplink = dict[tuple[int, int], tuple[str, int]]
"""(connection, SSRC) -> (kind, payload bytes sent so far)."""


def small_video(size: tuple[int, int], rate: int) -> None:
    """The SDK captures 640x480@30; the bench's participants share 2 cores, so their
    synthetic camera is smaller (a benchmark-only patch of the name the SDK calls)."""
    from parley.sdk import call_media

    @dataclasses.dataclass(frozen=True)
    class Small(MediaConfig):
        video_size: tuple[int, int] = size
        fps: int = rate

    setattr(call_media, "MediaConfig", Small)  # noqa: B010


async def uplink() -> Uplink:
    """Every outbound RTP stream of this process's open connections."""
    found: Uplink = {}
    pcs = [o for o in gc.get_objects() if isinstance(o, RTCPeerConnection)]
    for pc in pcs:
        if pc.connectionState == "closed":
            continue
        for stats in (await pc.getStats()).values():
            if getattr(stats, "type", "") == "outbound-rtp":
                found[id(pc), stats.ssrc] = (stats.kind, stats.bytesSent)
    return found


class Member:
    def __init__(self, others: int) -> None:
        self.session = CallSession()
        self.others = others
        self.captured = self.received = 0
        self.seen: set[str] = set()
        self.seeing = asyncio.Event()
        self.first: dict[str, float] = {}
        """When the first frame of each remote participant arrived (monotonic)."""
        self.mark = 0.0
        self.times: dict[str, list[float]] = defaultdict(list)
        """Frame arrival times since :attr:`mark`, per remote participant."""
        self.session.add_video_sink(self._frame)
        self._cpu0 = self._t0 = 0.0
        self._up0: Uplink = {}

    def _frame(self, pid: str, _: Any) -> None:
        local = self.session.local_participant
        if local is None:  # the preview, before the join completed
            return
        if pid == local.id:
            self.captured += 1
            return
        self.received += 1
        now = time.monotonic()
        self.first.setdefault(pid, now)
        if self.mark:
            self.times[pid].append(now)
        self.seen.add(pid)
        if len(self.seen) >= self.others:
            self.seeing.set()

    def gaps(self) -> dict[str, Any]:
        """The longest stretch without a frame from each participant seen before the
        mark, from the mark until now; and when each one's first frame came."""
        now, longest = time.monotonic(), {}
        for pid, first in self.first.items():
            if first < self.mark:
                seen = [self.mark, *self.times[pid], now]
                longest[pid] = max(b - a for a, b in zip(seen, seen[1:], strict=False))
        return {"gaps": longest, "first": self.first}

    async def start(self) -> None:
        self._up0 = await uplink()
        self.captured = self.received = 0
        self._cpu0, self._t0 = time.process_time(), time.monotonic()

    async def result(self) -> dict[str, Any]:
        cpu, seconds = time.process_time() - self._cpu0, time.monotonic() - self._t0
        captured, received = self.captured, self.received
        up = await uplink()
        sent = {key: (kind, total - self._up0.get(key, (kind, 0))[1])
                for key, (kind, total) in up.items()}
        return {"cpu": cpu, "seconds": seconds, "captured": captured, "received": received,
                "video_streams": sum(1 for k, b in sent.values() if k == "video" and b > 0),
                "audio_streams": sum(1 for k, b in sent.values() if k == "audio" and b > 0),
                "video_bytes": sum(b for k, b in sent.values() if k == "video"),
                "audio_bytes": sum(b for k, b in sent.values() if k == "audio")}


async def main(url: str, room: str, name: str, others: str, size: str, fps: str) -> None:
    width, height = (int(v) for v in size.split("x"))
    small_video((width, height), int(fps))
    member = Member(int(others))
    started = time.monotonic()
    await member.session.join_session(room, SessionSettings(name, fake_media=True), server=url)
    local = member.session.local_participant
    print("joined", round((time.monotonic() - started) * 1000, 1),
          local.id if local else "-", started, flush=True)
    if member.others:
        with contextlib.suppress(TimeoutError):  # a starved call: say how many came
            await asyncio.wait_for(member.seeing.wait(), SEE_TIMEOUT)
    print("seeing", round((time.monotonic() - started) * 1000, 1), len(member.seen),
          flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        if line == "start":
            await member.start()
        elif line == "stop":
            print("result", json.dumps(await member.result()), flush=True)
        elif line == "mark":
            member.mark, member.times = time.monotonic(), defaultdict(list)
        elif line == "gaps":
            print("gaps", json.dumps(member.gaps()), flush=True)
    await member.session.leave_session()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
