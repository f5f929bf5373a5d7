"""One remote participant: :class:`Peer`, the pair's negotiation and liveness.

The pair follows docs/protocol.md (*Negotiation*): perfect negotiation, polite by
participant id (the higher id is polite). The impolite side offers the first
connection; either side offers a new one when it counts the current one dead.
Each connection has a generation, counting up from 0 per pair; a signal of an
older generation is stale and dropped. An offer of the current generation is a
renegotiation, answered on the same connection, unless it collides with our own
offer (glare): the impolite side ignores it, the polite side rolls back (Parley
only ever offers on a fresh connection, so rolling back is dropping it) and
answers.

Liveness is the heartbeat of each connection's data channel (:mod:`.heartbeat`),
never media: connected once a pong arrived, reconnecting when pongs stop for the
timeout or the connection fails. Media flow is only a quality signal
(:meth:`PeerOwner.peer_media`): a peer that sends nothing stays connected. No
connected path for ``config.unreachable_after`` makes the peer
*unreachable* (:meth:`PeerOwner.peer_reachable`), until one connects.

Each new connection takes its TURN server from the pair's :class:`~.ice.TurnLadder`;
an old one is closed in the background (:mod:`.retire`), never under the lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from enum import Enum
from typing import Any, Protocol

import av
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.config import MediaConfig
from parley.media.frames import TrackKind
from parley.media.ice import GATHER_ALLOWANCE, IcePath, TurnLadder, selected_path
from parley.media.link import Link
from parley.media.local import LocalMedia
from parley.media.negotiation import CAMERA
from parley.media.opus_fec import concealed
from parley.media.retire import Retirer
from parley.media.stats import PeerStats, StatsMeter
from parley.protocol.messages import Answer, Candidate, Offer

logger = logging.getLogger(__name__)

Signal = Offer | Answer | Candidate


class PeerState(Enum):
    CONNECTING = "connecting"
    """No heartbeat from this participant yet."""
    CONNECTED = "connected"
    """The current connection's heartbeat is alive."""
    RECONNECTING = "reconnecting"
    """The heartbeat stopped (or the other side started over); a fresh connection is
    being negotiated."""
    CLOSED = "closed"


class PeerOwner(Protocol):
    """What a peer needs from its mesh."""

    def peer_state_changed(self, peer: Peer, old: PeerState, new: PeerState) -> None: ...
    def peer_media(self, peer: Peer, flowing: bool) -> None: ...
    def peer_reachable(self, peer: Peer, reachable: bool) -> None: ...
    def peer_video(self, peer: Peer, track: TrackKind, frame: av.VideoFrame) -> None: ...
    def peer_audio(self, peer: Peer, frame: av.AudioFrame) -> None: ...
    def peer_video_slow(self, peer: Peer, slow: bool) -> None: ...
    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]: ...


class Peer:
    """The media link to one remote participant.

    Args:
        first_generation: The generation to count on from (0, or one past the last
            one this pair used, for a peer the mesh removed and added again).
    """

    def __init__(self, local_id: str, remote_id: str, config: MediaConfig, local: LocalMedia,
                 send: Callable[[Signal], None], owner: PeerOwner,
                 first_generation: int = 0) -> None:
        self.local_id = local_id
        self.remote_id = remote_id
        self.polite = local_id > remote_id
        self.state = PeerState.CONNECTING
        self.generation = first_generation - 1
        """The highest generation of the pair seen so far (sent or received)."""
        self.link: Link | None = None
        self.camera_frames = 0
        self.audio_frames = 0
        self.media_flowing = False
        """Media arrived within the stall timeout (False before any did)."""
        self._config = config
        self._local = local
        self._send = send
        self._owner = owner
        self._lock = asyncio.Lock()
        self._consumers: set[asyncio.Task[None]] = set()
        self._last_media = 0.0
        self._last_offer = -1e9
        self._offer_pending = False
        self._ignoring_offer = False
        self._meter = StatsMeter()
        self._ladder = TurnLadder(config.ice_servers)
        self._link_turn: str | None = None
        """The TURN transport the current link was given."""
        self._link_connected = False
        self._progress_at = 0.0
        """When the current link last moved on (built, offer sent, answer sent or taken)."""
        self._retirer = Retirer(owner.spawn, f"{local_id}->{remote_id}")
        self._unreached_since = time.monotonic()
        self.unreachable = False
        """No connected path for config.unreachable_after seconds (until one connects)."""
        self.path: IcePath | None = None
        """The current connection's candidate pair, as of the last stats refresh."""

    def __repr__(self) -> str:
        return f"Peer({self.local_id}->{self.remote_id} gen {self.generation} {self.state.value})"

    @property
    def pc(self) -> RTCPeerConnection | None:
        """The current RTCPeerConnection, if any (diagnostics and fault tests)."""
        return None if self.link is None else self.link.pc

    # ------------------------------------------------------------ state

    def _set_state(self, new: PeerState) -> None:
        old = self.state
        if new is old or old is PeerState.CLOSED:
            return
        logger.info("%s -> %s: %s -> %s", self.local_id, self.remote_id, old.value, new.value)
        self.state = new
        if old is PeerState.CONNECTED:
            self._unreached_since = time.monotonic()
        self._owner.peer_state_changed(self, old, new)
        if new is PeerState.CONNECTED and self.unreachable:
            self.unreachable = False
            self._owner.peer_reachable(self, True)

    def link_alive(self, link: Link) -> None:
        if link is self.link:
            self._link_connected = True
            self._set_state(PeerState.CONNECTED)

    def link_video_slow(self, link: Link, slow: bool) -> None:
        if link is self.link:
            self._owner.peer_video_slow(self, slow)

    def link_dead(self, link: Link, why: str) -> None:
        if link is not self.link or self.state is PeerState.CLOSED:
            return
        logger.warning("%s: link to %s (gen %d) dead: %s", self.local_id, self.remote_id,
                       link.generation, why)
        if self.state is PeerState.CONNECTED:
            self._set_state(PeerState.RECONNECTING)
        if self._may_offer() and time.monotonic() - self._last_offer >= self._spacing:
            self._rebuild()  # else check() offers when the spacing allows

    def check(self, now: float) -> None:
        """Called periodically by the mesh: repeat offers that went nowhere, and note
        media that stopped (a quality signal only)."""
        if self.state is PeerState.CLOSED:
            return
        if self.media_flowing and now - self._last_media > self._config.stall_timeout:
            self.media_flowing = False
            logger.info("%s: no media from %s for %.1f s (the link is %s)", self.local_id,
                        self.remote_id, now - self._last_media, self.state.value)
            self._owner.peer_media(self, False)
        if self.state is not PeerState.CONNECTED and not self.unreachable and \
                now - self._unreached_since >= self._config.unreachable_after:
            self.unreachable = True
            logger.warning("%s: no connected path to %s for %.0f s", self.local_id,
                           self.remote_id, now - self._unreached_since)
            self._owner.peer_reachable(self, False)
        if self.state is PeerState.CONNECTED or not self._may_offer() or self._offer_pending:
            return
        link = self.link
        if link is None or link.dead is not None or \
                now - self._progress_at > self._patience(link):
            if now - self._last_offer >= self._spacing:
                logger.info("%s: %s still not connected, offering again", self.local_id,
                            self.remote_id)
                self._rebuild()

    @property
    def _spacing(self) -> float:
        """A side never offers twice within this (a connection that dies at once)."""
        return self._config.liveness_timeout

    def _may_offer(self) -> bool:
        """The impolite side offers new connections; the polite one only after it had
        one and lost it."""
        return not self.polite or self.state is PeerState.RECONNECTING

    def _patience(self, link: Link) -> float:
        """How long a connection may take from its last step before it is offered anew."""
        timeout = self._config.liveness_timeout
        if not link.answered:
            # the answerer gathers before it answers (a silent TURN server: seconds)
            return timeout + GATHER_ALLOWANCE
        return max(3 * timeout, 5.0)  # answered: give ICE and DTLS time

    # ------------------------------------------------------------ negotiation

    def start(self) -> None:
        if not self.polite:
            self._rebuild()

    def resync(self) -> None:
        """The signaling link came back: signals may have been lost. A side that may
        offer and whose connection is not up offers again, unless its offer was
        answered and ICE is still at work."""
        link = self.link
        if self.state is PeerState.CONNECTED:
            return
        if not self.unreachable:  # a fresh chance: the signaling link or the peer is back
            self._unreached_since = time.monotonic()
        if not self._may_offer():
            return
        if link is None or link.offering or link.dead is not None:
            self._rebuild()

    def _rebuild(self) -> None:
        if self._offer_pending or self.state is PeerState.CLOSED:
            return
        self._offer_pending = True
        self._last_offer = time.monotonic()
        self._run(self._offer, "offer")

    def handle_signal(self, msg: Signal) -> None:
        if isinstance(msg, Offer):
            self._run(lambda: self._on_offer(msg), "answer")
        elif isinstance(msg, Answer):
            self._run(lambda: self._on_answer(msg), "accept")
        else:
            self._run(lambda: self._on_candidate(msg), "candidate")

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
            await self._new_link(self.generation + 1)
            assert self.link is not None
            sdp, tracks = await self.link.offer()  # gathers candidates: may take long
            self._send(Offer(sdp=sdp, generation=self.link.generation, tracks=tracks,
                             to=self.remote_id))
            self._progress_at = time.monotonic()
        finally:
            self._offer_pending = False
            self._last_offer = time.monotonic()

    async def _on_offer(self, msg: Offer) -> None:
        generation, link = msg.generation, self.link
        if generation < self.generation:
            logger.debug("%s: stale offer gen %d from %s (at %d)", self.local_id, generation,
                         self.remote_id, self.generation)
            return
        self._ignoring_offer = False
        if link is not None and link.generation == generation and link.dead is None:
            if not link.offering:
                await self._answer(link, msg)  # a renegotiation of this connection
                return
            if not self.polite:
                logger.info("%s: glare with %s at gen %d: our offer stands", self.local_id,
                            self.remote_id, generation)
                self._ignoring_offer = True
                return
            logger.info("%s: glare with %s at gen %d: rolling back", self.local_id,
                        self.remote_id, generation)
        elif self.state is PeerState.CONNECTED:
            # the other side started over, so media was interrupted there: show it here too
            self._set_state(PeerState.RECONNECTING)
        await self._new_link(generation)
        assert self.link is not None
        await self._answer(self.link, msg)

    async def _answer(self, link: Link, msg: Offer) -> None:
        sdp = await link.answer(msg)
        self._send(Answer(sdp=sdp, generation=link.generation, to=self.remote_id))
        self._progress_at = time.monotonic()

    async def _on_answer(self, msg: Answer) -> None:
        link = self.link
        if link is None or msg.generation != link.generation or not link.offering:
            logger.debug("%s: stale answer gen %d from %s", self.local_id, msg.generation,
                         self.remote_id)
            return
        self._ignoring_offer = False
        await link.accept(msg.sdp)
        self._progress_at = time.monotonic()

    async def _on_candidate(self, msg: Candidate) -> None:
        link = self.link
        if link is None or msg.generation != link.generation or self._ignoring_offer:
            return  # another generation's, or for the offer we ignored
        await link.add_candidate(msg)

    async def _new_link(self, generation: int) -> None:
        self._drop_link()
        self.generation = max(self.generation, generation)
        turn = self._ladder.current
        self._link_turn = turn.transport if turn is not None else None
        config = replace(self._config, ice_servers=self._ladder.servers())
        self.link = Link(generation, config, self, self._local.track_for)
        self._link_connected = False
        self._progress_at = time.monotonic()
        self._meter.reset()
        self.path = None
        self.camera_frames = 0
        self.audio_frames = 0

    # ------------------------------------------------------------ media

    def link_track(self, link: Link, role: str, track: MediaStreamTrack) -> None:
        task = self._owner.spawn(self._consume(link, track, role),
                                 f"peer-{self.remote_id}-{role}")
        self._consumers.add(task)
        task.add_done_callback(self._consumers.discard)

    async def _consume(self, link: Link, track: MediaStreamTrack, role: str) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if link is not self.link or self.state is PeerState.CLOSED:
                return
            self._media_arrived()
            if isinstance(frame, av.AudioFrame):
                if not concealed(frame):  # made up for a lost packet (media/opus_fec.py)
                    self.audio_frames += 1
                self._owner.peer_audio(self, frame)
            elif isinstance(frame, av.VideoFrame):
                if role == CAMERA:
                    self.camera_frames += 1
                self._owner.peer_video(self, "camera" if role == CAMERA else "screen", frame)

    def _media_arrived(self) -> None:
        self._last_media = time.monotonic()
        if not self.media_flowing:
            self.media_flowing = True
            self._owner.peer_media(self, True)

    def _drop_link(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            if link.answered and not self._link_connected:
                self._ladder.found_no_path()
            self._retirer.retire(link)
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
        self._meter.update(time.monotonic(), report, self.camera_frames, self.audio_frames)
        if pc is self.pc:
            self.path = selected_path(pc, self._link_turn)

    def stats(self) -> PeerStats:
        return self._meter.snapshot(self.state.value, self.generation, self.path)

    async def close(self) -> None:
        """Close the connection for good (and wait for old ones); no event follows."""
        self.state = PeerState.CLOSED
        async with self._lock:
            self._drop_link()
        await self._retirer.drain()
