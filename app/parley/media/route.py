"""The route of the call's media, peer to peer (:class:`~parley.media.mesh.MediaMesh`) or
through the server's SFU (:class:`~parley.media.sfu.SfuMedia`), and the live move between
them: :class:`MediaRoute`.

A move is make-before-break. The new path is built beside the old one on the same
sources (camera, microphone, speaker: nothing reopens), with everyone in the call. Each
participant's media keeps playing from the old path until the new one delivers some of
it; from then on that participant is played, watched and reported from the new path
only. When the new path carries everyone (or after :data:`MOVE_TIMEOUT`), the old path
is closed in the background. Nothing of it reaches the owner as a participant or a
lifecycle event: only the path that plays a participant speaks for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

from parley.media.base import CallMediaBase, MediaSources
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import VideoFrame
from parley.media.layer_choice import Views
from parley.media.mesh import MediaMesh
from parley.media.peer import Signal
from parley.media.screen import ScreenSource
from parley.media.sfu import SFU_SIGNALS, SfuMedia
from parley.media.stats import PeerStats
from parley.media.tasks import OwnedTasks
from parley.protocol.base import Message
from parley.protocol.sfu import MEDIA_MODES, SfuLeave

logger = logging.getLogger(__name__)

MOVE_TIMEOUT = 10.0
"""Seconds a move waits for the new path to carry everyone before it closes the old one
anyway (a participant whose media never comes on the new path is then a participant
event of the new path, as it would be in a fresh call)."""
RETIRE_AFTER = MOVE_TIMEOUT
"""Seconds the old path keeps sending after this side has everyone on the new one: the
others may not have their own new path playing yet (each side moves on its own)."""
_PER_PARTICIPANT = ("on_peer_connected", "on_peer_reconnecting", "on_peer_restored",
                    "on_peer_media", "on_peer_reachable", "on_peer_video_slow")
"""The events that speak for one participant: only the path that plays it passes them."""

Path = MediaMesh | SfuMedia


class MediaRoute:
    """The call's media on its current route, moving live when the server says so.

    Args:
        local_id: this participant's id.
        config: what to capture and how.
        mode: the route to start on (``welcome.media``: ``mesh`` or ``sfu``).
        send_mesh: hands a peer's Offer/Answer/Candidate to the call server.
        send_sfu: hands the SFU negotiation (``sfu_publish``, ``sfu_answer``,
            ``sfu_leave``) to the call server.
        events: the callbacks, as a mesh's.
        views: how the UI shows each participant (the SFU path's layer choice reads it).
    """

    def __init__(self, local_id: str, config: MediaConfig, mode: str,
                 send_mesh: Callable[[Signal], None], send_sfu: Callable[[Message], None],
                 events: MeshEvents, views: Views | None = None) -> None:
        self.local_id = local_id
        self.views = views if views is not None else Views()
        self.config = config
        self.events = events
        self._send_mesh = send_mesh
        self._send_sfu = send_sfu
        self.sources = MediaSources(local_id, config, self._device_error, self._local_frame)
        self._peers: set[str] = set()
        self._tasks = OwnedTasks()
        self._retiring: set[CallMediaBase] = set()
        self._generations: dict[str, int] = {}
        """The mesh generations of each pair of meshes closed before (a new mesh counts
        on past them)."""
        self._meshes: set[MediaMesh] = set()
        """The meshes not closed yet (playing, being built or retiring)."""
        self.path: Path = self._build(mode)
        """The path that plays everyone not yet handed over to :attr:`next_path`."""
        self.next_path: Path | None = None
        """The path being built during a move."""
        self._handed: set[str] = set()
        """Participants :attr:`next_path` plays already."""
        self._deadline: asyncio.TimerHandle | None = None
        self._generation = 0
        self._started = False
        self._closed = False

    @property
    def mode(self) -> str:
        """The route moved to last (``mesh`` or ``sfu``)."""
        return _mode_of(self.next_path or self.path)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._started or self._closed:
            return
        self._started = True
        await self.sources.open()
        await asyncio.gather(*(p.start() for p in self._paths()))

    async def close(self) -> None:
        """Close every path and the sources. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._deadline is not None:
            self._deadline.cancel()
        self._tasks.cancel_all()  # a retiring path's grace ends now
        await self._tasks.drain()
        paths = [*self._retiring, *self._paths()]
        await asyncio.gather(*(p.close() for p in paths))
        await self.sources.close()

    def move_to(self, mode: str, generation: int | None = None, fresh: bool = False) -> bool:
        """Move to ``mode`` (make-before-break); False when already there, or for an older
        ``generation`` than one seen, or a mode this side does not know. ``fresh``: the
        server recreated the room (it restarted): its SFU side and its generations start
        over, so an SFU path of before is dead and is never kept or moved back to."""
        if mode not in MEDIA_MODES or self._closed:
            return False
        if fresh:
            self._generation = 0
            for path in self._paths():
                if isinstance(path, SfuMedia):
                    path.stale = True
        if generation is not None:
            if generation < self._generation:
                return False
            self._generation = generation
        current = self.next_path or self.path
        if mode == _mode_of(current) and not _stale(current):
            return False
        if self.next_path is not None:  # moving back before the move ended: drop the new one
            abandoned, self.next_path = self.next_path, None
            self._handed = set()
            self._retire(abandoned)
            for pid in sorted(self._peers):  # newcomers of the abandoned move included
                self.path.add_peer(pid)
        logger.info("%s: media moves %s -> %s", self.local_id, _mode_of(self.path), mode)
        if mode == _mode_of(self.path) and not _stale(self.path):
            return True
        path = self.next_path = self._build(mode)
        self._handed = set()
        for pid in sorted(self._peers):
            path.add_peer(pid)
        if self._started:
            self._tasks.spawn(path.start(), f"start-{mode}")
        self._deadline = asyncio.get_running_loop().call_later(MOVE_TIMEOUT, self._finish)
        self._maybe_finish()
        return True

    # ------------------------------------------------------------ the paths' interface

    def add_peer(self, pid: str) -> None:
        self._peers.add(pid)
        if self.next_path is not None:
            self._handed.add(pid)  # a newcomer during a move joins on the new path only
            self.next_path.add_peer(pid)
        else:
            self.path.add_peer(pid)

    def remove_peer(self, pid: str) -> None:
        self._peers.discard(pid)
        self._handed.discard(pid)
        for path in self._paths():
            path.remove_peer(pid)
        self._maybe_finish()

    def resync(self, pids: Iterable[str]) -> None:
        wanted = set(pids) - {self.local_id}
        for pid in self._peers - wanted:
            self.remove_peer(pid)
        for pid in sorted(wanted - self._peers):
            self.add_peer(pid)
        for path in self._paths():
            moving = path is self.path and self.next_path is not None
            path.resync(self._peers - self._handed if moving else self._peers)

    def handle_signal(self, msg: Message) -> None:
        """A peer's Offer/Answer/Candidate goes to the mesh path, the server's SFU
        negotiation to the SFU path (whichever of the two is there)."""
        kind = SfuMedia if isinstance(msg, SFU_SIGNALS) else MediaMesh
        if not isinstance(msg, SFU_SIGNALS + (Signal,)):
            return
        # the newest live path of that kind (a fresh SFU path replaces a dead one)
        path = next((p for p in (self.next_path, self.path)
                     if isinstance(p, kind) and not _stale(p)), None)
        if path is not None:
            path.handle_signal(msg)  # type: ignore[arg-type]

    def set_audio_muted(self, muted: bool) -> None:
        self.sources.local.set_audio_muted(muted)

    def set_video_paused(self, paused: bool) -> None:
        self.sources.local.set_video_paused(paused)

    async def start_screen_share(self, source: ScreenSource | None = None) -> bool:
        return await (self.next_path or self.path).start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self.sources.local.stop_screen_share()

    @property
    def missing_devices(self) -> frozenset[str]:
        return frozenset(self.sources.local.missing)

    async def use_device(self, kind: str, device: str | None) -> None:
        await self.sources.use_device(kind, device)

    def received_layer(self, pid: str) -> str | None:
        """The camera layer of ``pid`` the path that plays it receives through the SFU
        (None from the mesh, or not received yet)."""
        path = self.next_path if self.next_path is not None and pid in self._handed \
            else self.path
        return path.layers.get(pid) if isinstance(path, SfuMedia) else None

    def stats(self) -> dict[str, PeerStats]:
        return {**self.path.stats(), **(self.next_path.stats() if self.next_path else {})}

    # ------------------------------------------------------------ the move

    def _build(self, mode: str) -> Path:
        built: list[Path] = []  # the path, once made (its events are made first)

        def relay(name: str) -> Callable[..., None] | None:
            outer: Callable[..., None] | None = getattr(self.events, name)
            if outer is None:
                return None
            if name == "on_peer_media":
                return lambda pid, flowing: self._peer_media(built[0], pid, flowing)
            if name in _PER_PARTICIPANT:
                return lambda pid, *rest: (outer(pid, *rest) if self._plays(built[0], pid)
                                           else None)
            return outer
        events = MeshEvents(**{f.name: relay(f.name) for f in fields(MeshEvents)})
        path: Path = (SfuMedia(self.local_id, self.config, self._send_sfu, events, self.sources,
                               self.views)
                      if mode == "sfu" else
                      MediaMesh(self.local_id, self.config, self._send_mesh, events,
                                self.sources))
        if isinstance(path, MediaMesh):  # the old meshes' late signals must stay stale
            path.count_on_from(self._mesh_generations())
            self._meshes.add(path)
        built.append(path)
        path.delivers = lambda pid, kind: self._delivers(path, pid, kind)
        path.reports_levels = lambda: path is self.path  # the one mixer, read once
        return path

    def _mesh_generations(self) -> dict[str, int]:
        """The last mesh generation of each pair, over every mesh this route had."""
        last = dict(self._generations)
        for mesh in self._meshes:
            for pid, generation in mesh.generations().items():
                last[pid] = max(generation, last.get(pid, -1))
        return last

    def _plays(self, path: Path, pid: str) -> bool:
        if self.next_path is None:
            return path is self.path
        return (path is self.next_path) == (pid in self._handed)

    def _delivers(self, path: Path, pid: str, kind: str) -> bool:
        """The new path takes ``pid`` over with its first video frame (its first audio,
        in an audio-only call): the old one plays it until then, pictures included."""
        if kind == "level":
            return pid in self._peers
        if path is self.next_path and pid not in self._handed and (
                kind == "video" or (kind == "audio" and not self.config.video)):
            self._handed.add(pid)  # the new path plays pid from now on
            logger.info("%s: %s handed over to %s", self.local_id, pid, _mode_of(path))
            self.events.emit("on_peer_connected", pid)  # its link is up (no event if it was)
            asyncio.get_running_loop().call_soon(self._maybe_finish)
        return self._plays(path, pid)

    def _peer_media(self, path: Path, pid: str, flowing: bool) -> None:
        if self._plays(path, pid):
            self.events.emit("on_peer_media", pid, flowing)

    def _maybe_finish(self) -> None:
        if self.next_path is not None and self._peers <= self._handed:
            self._finish()

    def _finish(self) -> None:
        if self.next_path is None:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        missing = self._peers - self._handed
        if missing:
            logger.warning("%s: move to %s ends without media from %s", self.local_id,
                           _mode_of(self.next_path), ", ".join(sorted(missing)))
        old, self.path, self.next_path = self.path, self.next_path, None
        self._handed = set()
        logger.info("%s: media moved to %s", self.local_id, _mode_of(self.path))
        self._retire(old, RETIRE_AFTER)

    def _retire(self, path: Path, after: float = 0.0) -> None:
        path.retire()
        self._retiring.add(path)

        async def retire() -> None:
            await asyncio.sleep(after)  # a grace for the others, not a synchronisation
            self._retiring.discard(path)
            if isinstance(path, MediaMesh):
                self._meshes.discard(path)
                for pid, generation in path.generations().items():  # the highest: meshes
                    self._generations[pid] = max(  # may close out of order
                        generation, self._generations.get(pid, -1))
            await path.close()
            if isinstance(path, SfuMedia) and not path.stale and not any(
                    isinstance(p, SfuMedia) for p in self._paths()):
                self._send_sfu(SfuLeave(generation=self._generation))
        self._tasks.spawn(retire(), f"retire-{_mode_of(path)}")

    def _paths(self) -> list[Path]:
        return [p for p in (self.path, self.next_path) if p is not None]

    def _local_frame(self, frame: Any) -> None:
        if self.events.on_local_frame is not None:
            self.events.emit("on_local_frame", VideoFrame.of(self.local_id, "camera", frame,
                                                             time.time()))

    def _device_error(self, kind: str, message: str) -> None:
        self.events.emit("on_device_error", kind, message)


def _mode_of(path: CallMediaBase) -> str:
    return "sfu" if isinstance(path, SfuMedia) else "mesh"


def _stale(path: CallMediaBase) -> bool:
    return isinstance(path, SfuMedia) and path.stale
