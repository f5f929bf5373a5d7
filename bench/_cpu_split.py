"""Where a process's CPU goes, by thread role, for bench/mesh_cpu.py: :class:`CpuSplit`.

aiortc and Parley put each kind of work on threads of its own, so per-thread CPU
clocks (``time.pthread_getcpuclockid``; exact, no sampling) split a participant's
CPU without a profiler:

- ``loop``: the event loop's thread: everything Python does per packet in both
  directions (RTP / RTCP, SRTP, ICE, jitter buffers, packetisation, the bandwidth
  estimator), capture, playback's mixing, heartbeats and stats;
- ``encode``: the default executor's threads (``asyncio_N``): the shared video encoders'
  jobs, and every per-sender ``encode`` aiortc runs there (audio, per-peer video);
  bench/mesh_cpu.py moves the shared Opus encodes, which run on the loop, from
  ``loop`` to ``encode`` at their unit cost (bench/_unit_costs.py);
- ``decode_video`` / ``decode_audio``: aiortc's decoder thread of each receiver (with
  Parley's media/decoding.py, audio is decoded on the loop and counts there: its
  threads only wait for their end);
- ``other``: any other Python thread;
- ``ended``: the rest of the process's CPU: threads that ended within the window (the
  decoders of a connection replaced meanwhile) and threads Python does not know (libav's
  own), so that the roles add up to the process's CPU.

Garbage collection runs on the thread that allocates (the loop, nearly always); its
time is reported on its own too (``gc``, measured with ``gc.callbacks``), counted
inside its thread's share as well.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any


def _role(name: str) -> str:
    if name == "MainThread":
        return "loop"
    if name.startswith("asyncio_") or name.startswith("ThreadPoolExecutor"):
        return "encode"
    if name == "video-decoder":
        return "decode_video"
    if name == "audio-decoder":
        return "decode_audio"
    return "other"


def _thread_cpu(thread: threading.Thread) -> float | None:
    try:
        assert thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AssertionError):  # the thread ended meanwhile
        return None


class CpuSplit:
    """Per-role CPU seconds between :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self._start: dict[int, tuple[threading.Thread, float]] = {}
        self._process = 0.0
        self._gc = 0.0
        self._gc_started: float | None = None
        self._gc_count = 0
        self._measuring = False
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if not self._measuring:
            return
        if phase == "start":
            self._gc_started = time.thread_time()
        elif self._gc_started is not None:
            self._gc += time.thread_time() - self._gc_started
            self._gc_count += info.get("generation", 0) == 2
            self._gc_started = None

    def start(self) -> None:
        self._start = {}
        for thread in threading.enumerate():
            cpu = _thread_cpu(thread)
            if cpu is not None and thread.ident is not None:
                self._start[thread.ident] = (thread, cpu)
        self._process = time.process_time()
        self._gc, self._gc_count, self._measuring = 0.0, 0, True

    def stop(self) -> dict[str, float]:
        """CPU seconds per role, and ``gc`` (seconds) and ``gc_full`` (collections)."""
        self._measuring = False
        process = time.process_time() - self._process
        split = dict.fromkeys(("loop", "encode", "decode_video", "decode_audio", "other"),
                              0.0)
        for thread in threading.enumerate():
            cpu = _thread_cpu(thread)
            if cpu is None or thread.ident is None:
                continue
            # an ident is reused by a thread started after another ended: count from 0
            started, base = self._start.get(thread.ident, (thread, 0.0))
            split[_role(thread.name)] += cpu - (base if started is thread else 0.0)
        split["ended"] = max(0.0, process - sum(split.values()))
        return {**{k: round(v, 3) for k, v in split.items()}, "gc": round(self._gc, 3),
                "gc_full": self._gc_count}
