"""Meshes wired to each other in one process: an in-test router stands in for the
call server (it stamps ``sender``), a recorder turns callbacks into awaitable facts."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from parley.media import MediaConfig, MediaMesh, MeshEvents, VideoFrame
from parley.media.synthetic import read_pattern
from parley.protocol.messages import Answer, Candidate, Offer
from tests import udp
from tests.media.foreign import ForeignPeer
from tests.udp import Address

Signal = Offer | Answer | Candidate

SMALL = dict(fake_media=True, video_size=(320, 240), fps=15, liveness_timeout=1.5)


class Recorder:
    """What one mesh reported, with a way to wait for a condition on it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self.frames: dict[str, list[tuple[int, float, VideoFrame]]] = {}
        """Decoded pattern frames per sender: (counter, capture_ts, frame)."""
        self.plain_frames: dict[str, list[VideoFrame]] = {}
        """Frames without a pattern (black ones) per sender."""
        self.levels: dict[str, list[float]] = {}
        self.screen_frames: dict[str, list[VideoFrame]] = {}
        self.media: list[tuple[str, bool]] = []
        """on_peer_media: (pid, flowing), a quality signal kept apart from the events."""
        self._changed = asyncio.Event()

    def mesh_events(self) -> MeshEvents:
        def record(name: str) -> Callable[..., None]:
            def callback(*args: Any) -> None:
                self.events.append((name, args))
                self._changed.set()
            return callback

        return MeshEvents(
            on_peer_connected=record("on_peer_connected"),
            on_peer_reconnecting=record("on_peer_reconnecting"),
            on_peer_restored=record("on_peer_restored"),
            on_peer_media=self._media,
            on_peer_reachable=record("on_peer_reachable"),
            on_media_lost=record("on_media_lost"),
            on_media_restored=record("on_media_restored"),
            on_device_error=record("on_device_error"),
            on_video_frame=self._frame,
            on_audio_level=self._level,
        )

    def _media(self, pid: str, flowing: bool) -> None:
        self.media.append((pid, flowing))
        self._changed.set()

    def _frame(self, pid: str, frame: VideoFrame) -> None:
        if frame.track != "camera":
            self.screen_frames.setdefault(pid, []).append(frame)
            self._changed.set()
            return
        decoded = read_pattern(frame.frame)
        if decoded is None:
            self.plain_frames.setdefault(pid, []).append(frame)
        else:
            self.frames.setdefault(pid, []).append((*decoded, frame))
        self._changed.set()

    def _level(self, pid: str, level: float) -> None:
        self.levels.setdefault(pid, []).append(level)
        self._changed.set()

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for event, args in self.events if event == name]

    def counters(self, pid: str) -> list[int]:
        return [counter for counter, _, _ in self.frames.get(pid, [])]

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0,
                    what: str = "") -> None:
        """Wait (on callbacks, not sleeps) until predicate() holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: timed out waiting for {what or predicate}; "
                                     f"events={self.events}")
            self._changed.clear()
            try:  # woken by a callback; re-checked now and then for state no callback reports
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass


def candidate_addresses(sdp: str) -> set[Address]:
    """The UDP (host, port) of every candidate line in an SDP or a trickled candidate."""
    found = set()
    for line in sdp.splitlines():
        fields = line.strip().removeprefix("a=").removeprefix("candidate:").split()
        if len(fields) >= 6 and fields[2].lower() == "udp":
            found.add((fields[4], int(fields[5])))
    return found


class Router:
    """Delivers each mesh's signals to the addressee, asynchronously, like a server.

    It also reads the candidates each mesh announces, so that a test can cut the
    network under one link (:meth:`cut_link`) or under one participant, connections
    it makes while down included (:meth:`take_offline`), through tests.udp.
    """

    def __init__(self) -> None:
        self.meshes: dict[str, MediaMesh] = {}
        self.recorders: dict[str, Recorder] = {}
        self.dropping: set[str] = set()
        """Senders whose signals are dropped (their signaling link is 'down')."""
        self.delivered = 0
        self.announced: dict[tuple[str, str], set[Address]] = {}
        """(sender, addressee) -> the sender's addresses in its latest offer or answer."""
        self.every_address: dict[str, set[Address]] = {}
        """Every address a participant ever announced."""
        self.offline: set[str] = set()
        self.foreign: dict[str, ForeignPeer] = {}
        """Third-party clients (tests/media/foreign.py) by participant id."""
        self.signals: list[Signal] = []
        """Every signal delivered, sender stamped, in order."""
        self._handling: set[asyncio.Task[None]] = set()

    def cut_link(self, at: str, peer: str, outbound: bool = True) -> None:
        """The network under ``at``'s current connection to ``peer`` dies: it receives
        nothing (and, with ``outbound``, sends nothing); nothing is closed."""
        addresses = self.announced.get((at, peer), set())
        assert addresses, f"{at} announced no candidate to {peer}"
        udp.faults().cut(addresses, outbound)

    def take_offline(self, pid: str) -> None:
        """``pid``'s network dies: every connection it has, or makes until
        :meth:`bring_online`, neither sends nor receives."""
        self.offline.add(pid)
        udp.faults().cut(self.every_address.get(pid, set()))

    def bring_online(self, pid: str) -> None:
        self.offline.discard(pid)
        udp.faults().heal(self.every_address.get(pid, set()))

    def _announce(self, pid: str, msg: Signal) -> None:
        if isinstance(msg, Candidate):
            addresses = candidate_addresses(msg.candidate)
            self.announced.setdefault((pid, msg.to or ""), set()).update(addresses)
        else:
            addresses = candidate_addresses(msg.sdp)
            self.announced[(pid, msg.to or "")] = addresses
        self.every_address.setdefault(pid, set()).update(addresses)
        # cut before delivery: an offer's sockets see no check before it is answered
        if pid in self.offline:
            udp.faults().cut(addresses)

    def sender_for(self, pid: str) -> Callable[[Signal], None]:
        loop = asyncio.get_running_loop()

        def send(msg: Signal) -> None:
            self._announce(pid, msg)
            if pid in self.dropping:
                return
            target = self.meshes.get(msg.to or "") or self.foreign.get(msg.to or "")
            if target is not None:
                loop.call_soon(self._deliver, target, dataclasses.replace(msg, sender=pid))

        return send

    def _deliver(self, target: MediaMesh | ForeignPeer, msg: Signal) -> None:
        self.delivered += 1
        self.signals.append(msg)
        if isinstance(target, MediaMesh):
            target.handle_signal(msg)
            return
        # in order, as a WebSocket would deliver them
        previous = list(self._handling)

        async def handle() -> None:
            await asyncio.gather(*previous)
            await target.handle(msg)

        task = asyncio.ensure_future(handle())
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    def add_foreign(self, pid: str, **options: Any) -> ForeignPeer:
        """A third-party client that Parley meshes can reach as ``pid``."""
        peer = ForeignPeer(pid, self.sender_for(pid), **options)
        self.foreign[pid] = peer
        return peer

    async def add(self, pid: str, **config: Any) -> tuple[MediaMesh, Recorder]:
        recorder = Recorder(pid)
        options = {**SMALL, "tone_hz": 300.0 + 100 * len(self.meshes), **config}
        mesh = MediaMesh(pid, MediaConfig(**options), self.sender_for(pid),
                         recorder.mesh_events())
        self.meshes[pid] = mesh
        self.recorders[pid] = recorder
        await mesh.start()
        return mesh, recorder

    def connect_all(self) -> None:
        for pid, mesh in self.meshes.items():
            for other in self.meshes:
                if other != pid:
                    mesh.add_peer(other)

    async def close(self) -> None:
        await asyncio.gather(*self._handling)
        await asyncio.gather(*(mesh.close() for mesh in self.meshes.values()),
                             *(peer.close() for peer in self.foreign.values()))


@pytest.fixture
async def router() -> AsyncIterator[Router]:
    r = Router()
    try:
        yield r
    finally:
        await r.close()


def flowing(recorder: Recorder, pid: str, frames: int = 5, level: float = 0.05) -> bool:
    """Decoded pattern frames with an advancing counter and a non-silent level from pid."""
    counters = recorder.counters(pid)
    return (len(counters) >= frames and counters[-1] > counters[0]
            and any(v > level for v in recorder.levels.get(pid, [])[-5:]))


async def three_connected(router: Router) -> None:
    for pid in ("a", "b", "c"):
        await router.add(pid)
    router.connect_all()
    for pid, recorder in router.recorders.items():
        for other in router.meshes:
            if other != pid:
                await recorder.until(lambda r=recorder, o=other: flowing(r, o),
                                     what=f"{pid} <- {other}")
