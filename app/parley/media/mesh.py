"""The call's media: :class:`MediaMesh`, one :class:`~parley.media.peer.Peer` per
remote participant, plus the local sources and the mixed playback.

Everything runs on the event loop's thread; events fire there, exactly once per
transition. The mesh-wide health (is media flowing from anyone?) is derived in
one method, :meth:`MediaMesh._update_health`, from the peers' states.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from enum import Enum

import av
from aiortc import RTCPeerConnection

from parley.media.base import CallMediaBase, MediaSources
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import TrackKind, VideoFrame
from parley.media.peer import Peer, PeerState, Signal
from parley.media.screen import ScreenSource
from parley.media.shared import SharedEncoder
from parley.media.shared_audio import SharedAudioEncoder
from parley.media.stats import PeerStats
from parley.protocol.messages import Offer

__all__ = ["MediaConfig", "MediaHealth", "MediaMesh", "MeshEvents", "PeerState", "PeerStats",
           "VideoFrame"]

logger = logging.getLogger(__name__)

STATS_EVERY = 10  # ticks


class MediaHealth(Enum):
    IDLE = "idle"
    """No peer is connected and none is reconnecting (alone, or still connecting)."""
    FLOWING = "flowing"
    """At least one peer's heartbeat is alive."""
    LOST = "lost"
    """Every peer's heartbeat (at least one) is dead."""


class MediaMesh(CallMediaBase):
    """The media layer of one call: a mesh of RTCPeerConnections.

    Args:
        local_id: this participant's id; the lower id of a pair is the impolite side
            (it offers first; docs/protocol.md, *Negotiation*).
        config: what to capture and how.
        send: hands an Offer/Answer/Candidate (``to`` set) to the signaling link;
            it may drop messages while that link is down: the mesh recovers.
        events: the callbacks.
        sources: the call's sources when lent (a live switch); None: its own.
    """

    TICK_NAME = "mesh-tick"

    def __init__(self, local_id: str, config: MediaConfig, send: Callable[[Signal], None],
                 events: MeshEvents, sources: MediaSources | None = None) -> None:
        super().__init__(local_id, config, events, sources)
        self._send = send
        self._peers: dict[str, Peer] = {}
        self._generations: dict[str, int] = {}
        """The last generation used with each participant ever added: a peer removed and
        added again counts on from there."""
        self.health = MediaHealth.IDLE
        self._closed_to_new = False

    async def _close_connections(self) -> None:
        peers, self._peers = list(self._peers.values()), {}
        await asyncio.gather(*(peer.close() for peer in peers))

    # ------------------------------------------------------------ peers

    def add_peer(self, pid: str) -> None:
        """Start a link to a participant; idempotent."""
        if self._closed or self._closed_to_new or pid == self.local_id or pid in self._peers:
            return
        peer = Peer(self.local_id, pid, self.config, self._local, self._send, self,
                    first_generation=self._generations.get(pid, -1) + 1)
        self._peers[pid] = peer
        peer.start()

    def generations(self) -> dict[str, int]:
        """The last generation used with each participant (its peer's now, or a removed
        one's)."""
        return {**self._generations, **{pid: p.generation for pid, p in self._peers.items()}}

    def count_on_from(self, generations: Mapping[str, int]) -> None:
        """Links with these participants count on past these generations: a mesh built
        again by a move, while the old one's signals may still be on their way (both
        counted from 0, an old mesh's late answer was taken for the new offer's)."""
        for pid, generation in generations.items():
            self._generations[pid] = max(generation, self._generations.get(pid, -1))

    def remove_peer(self, pid: str) -> None:
        """Close the link to a participant; no event fires for it afterwards."""
        peer = self._peers.pop(pid, None)
        if peer is None:
            return
        self._generations[pid] = peer.generation
        peer.state = PeerState.CLOSED
        self.spawn(peer.close(), f"close-{pid}")
        self.playback.remove(pid)
        self._update_health()

    def retire(self) -> None:
        """Keep every link sending but stop watching, rebuilding and decoding them: a
        path being replaced, which the others may still play from for a moment; close()
        ends it."""
        self._closed_to_new = True
        for peer in self._peers.values():
            peer.state = PeerState.CLOSED
            pc = peer.pc
            for transceiver in pc.getTransceivers() if pc is not None else ():
                # decoding what nobody plays would cost the CPU the move needs
                self.spawn(transceiver.receiver.stop(), f"retire-{peer.remote_id}")

    def handle_signal(self, msg: Signal) -> None:
        """An Offer/Answer/Candidate relayed from ``msg.sender``."""
        if self._closed or self._closed_to_new or msg.sender is None:
            return
        peer = self._peers.get(msg.sender)
        if peer is None:
            if not isinstance(msg, Offer):
                return
            # the SDK may still be in start() (opening devices) when a peer's offer comes
            logger.info("%s: offer from %s before add_peer; adding it", self.local_id,
                        msg.sender)
            self.add_peer(msg.sender)
            peer = self._peers[msg.sender]
        peer.handle_signal(msg)

    def resync(self, pids: Iterable[str]) -> None:
        """After the signaling link came back: add missing peers, remove gone ones and
        renegotiate every link that is not flowing (signals may have been lost)."""
        wanted = set(pids) - {self.local_id}
        for pid in list(self._peers):
            if pid not in wanted:
                self.remove_peer(pid)
        for pid in sorted(wanted):
            if pid not in self._peers:
                self.add_peer(pid)
            else:
                self._peers[pid].resync()

    @property
    def peer_ids(self) -> tuple[str, ...]:
        return tuple(self._peers)

    def peer_state(self, pid: str) -> PeerState | None:
        peer = self._peers.get(pid)
        return None if peer is None else peer.state

    def connection(self, pid: str) -> RTCPeerConnection | None:
        """The current RTCPeerConnection to a participant, if any (for diagnostics and
        fault tests; the mesh may replace it at any time)."""
        peer = self._peers.get(pid)
        return None if peer is None else peer.pc

    # ------------------------------------------------------------ local media

    async def start_screen_share(self, source: ScreenSource | None = None) -> bool:
        """Send ``source`` (None: the main screen) on each connection's screen m-line (no
        renegotiation). A screen that cannot be captured is reported through
        on_device_error and gives False."""
        return await self._local.start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self._local.stop_screen_share()

    @property
    def screen_sharing(self) -> bool:
        return self._local.screen_sharing

    def shared_video(self, role: str) -> SharedEncoder | None:
        """The shared encoder of the camera or the screen (None: each peer encodes its
        own, ``MediaConfig.encode_once`` off); its counters are diagnostics."""
        return self._local.shared.get(role)

    def shared_audio(self) -> SharedAudioEncoder | None:
        """The microphone's shared encoder (None: ``MediaConfig.encode_once`` off); its
        counters are diagnostics."""
        return self._local.shared_audio

    def stats(self) -> dict[str, PeerStats]:
        """Inbound numbers per remote participant (refreshed every second)."""
        return {pid: peer.stats() for pid, peer in self._peers.items()}

    # ------------------------------------------------------------ from the peers

    def peer_state_changed(self, peer: Peer, old: PeerState, new: PeerState) -> None:
        if self._peers.get(peer.remote_id) is not peer:
            return
        pid = peer.remote_id
        if new is PeerState.CONNECTED:
            self.events.emit("on_peer_connected" if old is PeerState.CONNECTING
                             else "on_peer_restored", pid)
        elif new is PeerState.RECONNECTING:
            self.events.emit("on_peer_reconnecting", pid)
        self._update_health()

    def peer_media(self, peer: Peer, flowing: bool) -> None:
        if self._peers.get(peer.remote_id) is peer:
            self.events.emit("on_peer_media", peer.remote_id, flowing)

    def peer_reachable(self, peer: Peer, reachable: bool) -> None:
        if self._peers.get(peer.remote_id) is peer:
            self.events.emit("on_peer_reachable", peer.remote_id, reachable)

    def peer_video(self, peer: Peer, track: TrackKind, frame: av.VideoFrame) -> None:
        if not self.delivers(peer.remote_id, "video"):
            return
        if self._local.echo_video is not None and track == "camera":
            self._local.echo_video.feed(frame)
        if self.events.on_video_frame is not None:
            self.events.emit("on_video_frame", peer.remote_id,
                             VideoFrame.of(peer.remote_id, track, frame, time.time()))

    def peer_video_slow(self, peer: Peer, slow: bool) -> None:
        self.events.emit("on_peer_video_slow", peer.remote_id, slow)

    def peer_audio(self, peer: Peer, frame: av.AudioFrame) -> None:
        if not self.delivers(peer.remote_id, "audio"):
            return
        if self._local.echo_audio is not None:
            self._local.echo_audio.feed(frame)
        self.playback.push(peer.remote_id, frame)

    def _update_health(self) -> None:
        states = [peer.state for peer in self._peers.values()]
        if PeerState.CONNECTED in states:
            new = MediaHealth.FLOWING
        elif PeerState.RECONNECTING in states:
            new = MediaHealth.LOST
        else:
            new = MediaHealth.IDLE
        old = self.health
        if new is old:
            return
        logger.info("%s media: %s -> %s", self.local_id, old.value, new.value)
        self.health = new
        if new is MediaHealth.LOST:
            self.events.emit("on_media_lost")
        elif old is MediaHealth.LOST:
            self.events.emit("on_media_restored")

    def _each_tick(self, count: int, now: float) -> None:
        for peer in list(self._peers.values()):
            peer.check(now)
        if count % STATS_EVERY == 0:
            for peer in list(self._peers.values()):
                self.spawn(peer.refresh_stats(), f"stats-{peer.remote_id}")

    def _hears(self, pid: str) -> bool:
        return pid in self._peers
