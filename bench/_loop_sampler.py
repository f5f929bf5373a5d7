"""A sampling profile of the event loop's own CPU, for bench/_mesh_member.py
(``PARLEY_MESH_SAMPLE=PREFIX``): unlike cProfile, it adds no cost per Python call, so
code made of many small calls is not over-counted.

``SIGPROF`` fires every :data:`INTERVAL` s of the process's CPU; its handler runs on the
main thread (the loop's), reads that thread's own CPU clock (``time.thread_time``) and
charges what the loop used since the last sample to the stack it finds: each function
on it inclusively, the top one by itself. CPU that other threads used (encoders,
decoders) charges nothing. Interval-end attribution is a statistical estimate; a long C
call is charged to the Python line that made it.
"""

from __future__ import annotations

import collections
import json
import signal
import time
from types import FrameType

INTERVAL = 0.001


class LoopSampler:
    def __init__(self) -> None:
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.own: collections.Counter[str] = collections.Counter()
        self.total = 0.0
        self._last = 0.0

    def _sample(self, _: int, frame: FrameType | None) -> None:
        now = time.thread_time()
        weight, self._last = now - self._last, now
        if frame is None or weight <= 0:
            return
        self.total += weight
        seen: set[str] = set()
        top = True
        while frame is not None:
            code = frame.f_code
            name = f"{code.co_filename.rsplit('/', 2)[-1]}:{code.co_firstlineno}:{code.co_name}"
            if top:
                self.own[name] += weight
                top = False
            if name not in seen:
                seen.add(name)
                self.inclusive[name] += weight
            frame = frame.f_back

    def start(self) -> None:
        self._last = time.thread_time()
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)

    def stop(self, path: str) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        with open(path, "w") as out:
            json.dump({"total_s": self.total,
                       "inclusive": self.inclusive.most_common(120),
                       "own": self.own.most_common(120)}, out, indent=0)
