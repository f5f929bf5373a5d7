"""One remote participant: :class:`Peer` owns the RTCPeerConnection of the pair.

The lower participant id offers, so two peers never glare. Each connection of
the pair has a generation; a rebuilt one counts up (seeded from the clock, so a
peer re-added after a removal still outnumbers its old self), and signals of
another generation are ignored as stale.

Liveness: aiortc notices a dead path only after ~30 s and cannot restart ICE,
so a peer watches its own inbound media. Connected and silent for the liveness
timeout (or its connection failed or was closed) -> reconnecting: the offerer
negotiates a fresh RTCPeerConnection; the answerer drops its own, so that the
offerer notices even a one-way failure, and accepts the next offer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from enum import Enum
from typing import Any, Protocol

import av
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from parley.media.config import MediaConfig
from parley.media.frames import TrackKind
from parley.media.local import LocalMedia
from parley.media.stats import PeerStats, StatsMeter
from parley.media.switch import SubscriberTrack
from parley.protocol.messages import Answer, Candidate, Offer

logger = logging.getLogger(__name__)

Signal = Offer | Answer | Candidate

# m-line order of every connection: audio, camera, screen
_TRACKS: tuple[str, ...] = ("audio", "camera", "screen")


class PeerState(Enum):
    CONNECTING = "connecting"
    """No media yet from this participant."""
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    """Media stopped; a fresh connection is being negotiated."""
    CLOSED = "closed"


class PeerOwner(Protocol):
    """What a peer needs from its mesh."""

    def peer_state_changed(self, peer: Peer, old: PeerState, new: PeerState) -> None: ...
    def peer_video(self, peer: Peer, track: TrackKind, frame: av.VideoFrame) -> None: ...
    def peer_audio(self, peer: Peer, frame: av.AudioFrame) -> None: ...
    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]: ...


def _generation_seed() -> int:
    return int(time.time() * 10)


class Peer:
    """The media link to one remote participant."""

    def __init__(self, local_id: str, remote_id: str, config: MediaConfig, local: LocalMedia,
                 send: Callable[[Signal], None], owner: PeerOwner) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.offerer = local_id < remote_id
        self.state = PeerState.CONNECTING
        self.generation = -1
        self.pc: RTCPeerConnection | None = None
        self.camera_frames = 0
        self._config = config
        self._local = local
        self._send = send
        self._owner = owner
        self._lock = asyncio.Lock()
        self._subscribers: list[SubscriberTrack] = []
        self._consumers: set[asyncio.Task[None]] = set()
        self._last_media = 0.0
        self._built_at = time.monotonic()
        self._rebuild_pending = False
        self._meter = StatsMeter()

    def __repr__(self) -> str:
        return f"Peer({self.local_id}->{self.remote_id} gen {self.generation} {self.state.value})"

    # ------------------------------------------------------------ state

    def _set_state(self, new: PeerState) -> None:
        old = self.state
        if new is old or old is PeerState.CLOSED:
            return
        logger.info("%s -> %s: %s -> %s", self.local_id, self.remote_id, old.value, new.value)
        self.state = new
        self._owner.peer_state_changed(self, old, new)

    def _media_arrived(self, generation: int) -> None:
        if generation != self.generation:
            return
        self._last_media = time.monotonic()
        if self.state is not PeerState.CONNECTED:
            self._set_state(PeerState.CONNECTED)

    def check(self, now: float) -> None:
        """Liveness, called periodically by the mesh on the loop thread."""
        if self.state is PeerState.CLOSED:
            return
        if self.state is PeerState.CONNECTED:
            pc_dead = self.pc is None or self.pc.connectionState in ("failed", "closed")
            silent = now - self._last_media > self._config.liveness_timeout
            if pc_dead or silent:
                logger.warning("%s: no media from %s for %.1f s%s", self.local_id,
                               self.remote_id, now - self._last_media,
                               " (connection closed)" if pc_dead else "")
                self._set_state(PeerState.RECONNECTING)
                self.restart()
            return
        if self.offerer and not self._rebuild_pending and now - self._built_at > self._patience():
            logger.info("%s: %s still not flowing, offering again", self.local_id, self.remote_id)
            self.restart()

    def _patience(self) -> float:
        """How long an offerer waits for a fresh connection before offering again."""
        timeout = self._config.liveness_timeout
        if self.pc is None or self.pc.signalingState == "have-local-offer":
            return timeout  # no answer: the offer or the answer was probably dropped
        return max(3 * timeout, 5.0)  # answered: give ICE and DTLS time

    # ------------------------------------------------------------ negotiation

    def start(self) -> None:
        if self.offerer:
            self.restart()

    def restart(self) -> None:
        """Offerer: negotiate a fresh connection now. Answerer: drop the current one
        (the offerer then notices and offers again)."""
        if self.state is PeerState.CLOSED:
            return
        if self.offerer:
            if not self._rebuild_pending:
                self._rebuild_pending = True
                self._built_at = time.monotonic()
                self._run(self._offer, "offer")
        elif self.pc is not None:
            self._run(self._drop_pc, "drop")

    def resync(self) -> None:
        """The signaling link came back: signals may have been lost. An offerer whose
        link is not flowing offers again at once, unless its offer was answered and
        ICE is still at work; an answerer waits for that offer."""
        pc = self.pc
        if not self.offerer or self.state is PeerState.CONNECTED:
            return
        if pc is None or pc.signalingState == "have-local-offer" \
                or pc.connectionState in ("failed", "closed"):
            self.restart()

    def handle_signal(self, msg: Signal) -> None:
        if isinstance(msg, Offer):
            if self.offerer:
                logger.warning("%s: unexpected offer from %s (this side offers)",
                               self.local_id, self.remote_id)
            elif msg.generation > self.generation:
                self._run(lambda: self._answer(msg), "answer")
        elif isinstance(msg, Answer):
            self._run(lambda: self._accept(msg), "accept")
        elif msg.generation == self.generation and msg.candidate:
            self._run(lambda: self._add_candidate(msg), "candidate")

    def _run(self, operation: Callable[[], Awaitable[None]], what: str) -> None:
        async def locked() -> None:
            async with self._lock:
                if self.state is PeerState.CLOSED:
                    return
                try:
                    await operation()
                except Exception as exc:  # a failed negotiation is retried by liveness
                    logger.warning("%s -> %s: %s failed: %r", self.local_id, self.remote_id,
                                   what, exc)
        self._owner.spawn(locked(), f"peer-{self.remote_id}-{what}")

    async def _offer(self) -> None:
        try:
            await self._negotiate_offer()
        finally:
            self._rebuild_pending = False  # until here, check() and restart() wait for it
            self._built_at = time.monotonic()

    async def _negotiate_offer(self) -> None:
        await self._drop_pc()
        self.generation = generation = max(self.generation + 1, _generation_seed())
        pc = self._new_pc(generation)
        for kind, track in zip(("audio", "video", "video"), self._local_tracks(), strict=True):
            pc.addTransceiver(track or kind, direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())  # gathers candidates: may take long
        self._send(Offer(sdp=pc.localDescription.sdp, generation=generation,
                         to=self.remote_id))

    async def _answer(self, msg: Offer) -> None:
        if msg.generation <= self.generation:
            return  # a newer offer was answered while this one waited
        await self._drop_pc()
        if self.state is PeerState.CONNECTED:
            # the offerer rebuilt, so media was interrupted on its side: show it here too
            self._set_state(PeerState.RECONNECTING)
        self.generation = msg.generation
        pc = self._new_pc(msg.generation)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=msg.sdp, type="offer"))
        tracks = self._local_tracks()
        for index, transceiver in enumerate(pc.getTransceivers()[: len(tracks)]):
            transceiver.direction = "sendrecv"
            transceiver.sender.replaceTrack(tracks[index])
        await pc.setLocalDescription(await pc.createAnswer())
        self._send(Answer(sdp=pc.localDescription.sdp, generation=msg.generation,
                          to=self.remote_id))

    async def _accept(self, msg: Answer) -> None:
        pc = self.pc
        if msg.generation != self.generation or pc is None \
                or pc.signalingState != "have-local-offer":
            logger.debug("%s: stale answer gen %d from %s", self.local_id, msg.generation,
                         self.remote_id)
            return
        await pc.setRemoteDescription(RTCSessionDescription(sdp=msg.sdp, type="answer"))

    async def _add_candidate(self, msg: Candidate) -> None:
        if self.pc is None or msg.generation != self.generation:
            return
        candidate = candidate_from_sdp(msg.candidate.removeprefix("candidate:"))
        candidate.sdpMid = msg.sdp_mid
        candidate.sdpMLineIndex = msg.sdp_mline_index
        await self.pc.addIceCandidate(candidate)

    def _local_tracks(self) -> list[MediaStreamTrack | None]:
        subs = [self._local.audio.subscribe(), self._local.camera.subscribe(),
                self._local.screen.subscribe()]
        self._subscribers.extend(subs)
        return list(subs)

    def _new_pc(self, generation: int) -> RTCPeerConnection:
        # an explicit list, even empty: aiortc's default is a public STUN server
        servers = [RTCIceServer(urls=list(s.urls), username=s.username,
                                credential=s.credential) for s in self._config.ice_servers]
        # one transport for all three m-lines: one ICE/DTLS handshake per pair
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers,
                                                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.pc = pc
        self._meter.reset()
        self.camera_frames = 0

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            index = next(i for i, t in enumerate(pc.getTransceivers())
                         if t.receiver.track is track)
            if index < len(_TRACKS):
                task = self._owner.spawn(self._consume(generation, track, _TRACKS[index]),
                                         f"peer-{self.remote_id}-{_TRACKS[index]}")
                self._consumers.add(task)
                task.add_done_callback(self._consumers.discard)

        return pc

    async def _consume(self, generation: int, track: MediaStreamTrack, kind: str) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if generation != self.generation or self.state is PeerState.CLOSED:
                return
            self._media_arrived(generation)
            if isinstance(frame, av.AudioFrame):
                self._owner.peer_audio(self, frame)
            elif isinstance(frame, av.VideoFrame):
                if kind == "camera":
                    self.camera_frames += 1
                self._owner.peer_video(self, "camera" if kind == "camera" else "screen", frame)

    async def _drop_pc(self) -> None:
        pc, self.pc = self.pc, None
        subscribers, self._subscribers = self._subscribers, []
        if pc is not None:
            await pc.close()  # stops the senders before their tracks end
        for sub in subscribers:
            sub.stop()
        for task in list(self._consumers):
            task.cancel()  # a remote track that never received anything never ends

    # ------------------------------------------------------------ stats, close

    async def refresh_stats(self) -> None:
        pc = self.pc
        if pc is None or pc.connectionState != "connected":
            return
        try:
            report = await pc.getStats()
        except Exception as exc:  # the connection closed under us
            logger.debug("getStats failed: %r", exc)
            return
        self._meter.update(time.monotonic(), report, self.camera_frames)

    def stats(self) -> PeerStats:
        return self._meter.snapshot(self.state.value, self.generation)

    async def close(self) -> None:
        """Close the connection for good; no event follows."""
        self.state = PeerState.CLOSED
        async with self._lock:
            await self._drop_pc()
