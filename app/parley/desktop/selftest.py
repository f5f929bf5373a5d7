"""``parley --self-test``: a whole call on this machine, headless, in a few seconds.

Starts the built-in call server on loopback, joins two sessions with synthetic
media (a moving test pattern that carries a frame counter and its capture
time, and a tone), checks that video and audio arrive both ways and that the
lifecycle callbacks fire in order, and runs a frame each way through libwebrtc's
audio processing (echo cancellation, noise suppression, gain control), then
prints one line and exits 0 - or prints why not and exits 1. Needs no display,
camera, microphone or speaker; run from a frozen bundle it proves the bundle
carries working codecs, the audio processing's native library, the server and
the SDK.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parley.media.processing import apm_self_test
from parley.media.synthetic import read_pattern
from parley.sdk import CallSession, SessionSettings, SessionStatusListener
from parley.server import CallServer, ServerConfig

TIMEOUT = 30.0
FRAMES_NEEDED = 30
LEVEL_NEEDED = 0.02


class SelfTestFailed(Exception):
    """A check of the self-test did not pass; the message says which."""


@dataclass
class Side:
    name: str
    session: CallSession = field(default_factory=CallSession)
    events: list[str] = field(default_factory=list)
    counters: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    latencies: list[float] = field(default_factory=list)
    first_frame_at: float | None = None

    def listen(self) -> None:
        names = ("on_session_joined", "on_session_left", "on_session_timed_out",
                 "on_connection_lost", "on_connection_restored", "on_connection_closed")
        self.session.add_session_status_listener(SessionStatusListener(
            **{n: (lambda n=n: self.events.append(n)) for n in names}))
        self.session.add_video_sink(self.on_frame)

    def on_frame(self, pid: str, frame: Any) -> None:
        local = self.session.local_participant
        if local is None or pid == local.id:
            return
        pattern = read_pattern(frame.frame, frame.received_at)
        if pattern is None:
            return
        counter, captured = pattern
        self.counters[pid].append(counter)
        self.latencies.append(frame.received_at - captured)
        if self.first_frame_at is None:
            self.first_frame_at = time.monotonic()

    def frames_from(self, pid: str) -> int:
        seen = self.counters.get(pid, [])
        return len(seen) if seen and seen[-1] > seen[0] else 0


async def _until(check: Any, what: str, deadline: float) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise SelfTestFailed(what)
        await asyncio.sleep(0.05)


async def run(timeout: float = TIMEOUT) -> str:
    """Run the self-test; return the report line or raise SelfTestFailed.

    Args:
        timeout: seconds after joining for video and audio to arrive both ways.
    """
    started = time.monotonic()
    try:
        processing = await asyncio.to_thread(apm_self_test)
    except Exception as exc:  # ImportError, the native library failing to start
        raise SelfTestFailed(f"the audio processing did not run: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="parley-selftest-") as state:
        async with CallServer(ServerConfig(port=0, state_dir=Path(state))) as server:
            ada, bob = Side("Ada"), Side("Bob")
            for side in (ada, bob):
                side.listen()
                try:
                    await side.session.join_session(
                        "self-test", SessionSettings(side.name, fake_media=True),
                        server=server.url)
                except Exception as exc:
                    raise SelfTestFailed(f"{side.name} could not join: {exc}") from exc
            joined = time.monotonic()
            try:
                ids = {s.name: s.session.local_participant.id  # type: ignore[union-attr]
                       for s in (ada, bob)}
                deadline = joined + timeout
                for viewer, other in ((ada, bob), (bob, ada)):
                    await _until(lambda v=viewer, o=other: v.frames_from(ids[o.name])
                                 >= FRAMES_NEEDED,
                                 f"{viewer.name} received no moving video from {other.name}",
                                 deadline)
                    await _until(lambda v=viewer, o=other: v.session.audio_level(ids[o.name])
                                 > LEVEL_NEEDED,
                                 f"{viewer.name} heard no audio from {other.name}", deadline)
                window_start = time.monotonic()
                counts = {s.name: s.frames_from(ids[o.name]) for s, o in ((ada, bob), (bob, ada))}
                await asyncio.sleep(1.0)  # measure the frame rate over one second
                fps = min(s.frames_from(ids[o.name]) - counts[s.name]
                          for s, o in ((ada, bob), (bob, ada))) / (time.monotonic()
                                                                  - window_start)
            finally:
                for side in (ada, bob):
                    await side.session.leave_session()
    for side in (ada, bob):
        if side.events != ["on_session_joined", "on_session_left"]:
            raise SelfTestFailed(f"{side.name}'s lifecycle was {side.events}, expected "
                                 "joined then left")
    latencies = sorted(ada.latencies + bob.latencies)
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    first = min(s.first_frame_at or joined for s in (ada, bob)) - joined
    return (f"parley self-test: OK - video and audio both ways, lifecycle in order; "
            f"{fps:.0f} fps received, glass-to-glass p50 {p50:.0f} ms p95 {p95:.0f} ms, "
            f"first frame {first * 1000:.0f} ms after join, {processing}, "
            f"{time.monotonic() - started:.1f} s in all")


def main(timeout: float = TIMEOUT) -> int:
    """Run the self-test, print its one line; 0 when it passed, 1 when not."""
    try:
        line = asyncio.run(run(timeout))
    except SelfTestFailed as exc:
        print(f"parley self-test: FAILED - {exc}", flush=True)
        return 1
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
