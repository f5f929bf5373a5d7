"""The call's media through the server's SFU: :class:`SfuMedia`, in place of the
:class:`~parley.media.mesh.MediaMesh` when the welcome says ``media: "sfu"``.

Two RTCPeerConnections, whoever is in the call: the publisher (audio and camera, send
only, offered once: ``sfu_publish``) and the subscriber (receive only, offered by the
server as people come and go: ``sfu_offer``, whose ``streams`` say whose media each
m-line carries). Trickle is off: every candidate is in the SDP. The negotiation goes
through the call server only (docs/protocol.md, *SFU*); the SFU's API is never spoken.

It has the mesh's interface, so the SDK's call media drives either. Not built yet:
liveness of the SFU link (heartbeat or Janus's events), layers, the screen share.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import av
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.base import CallMediaBase, MediaSources
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import VideoFrame
from parley.media.screen import ScreenSource
from parley.media.stats import PeerStats
from parley.protocol.base import Message
from parley.protocol.sfu import (
    SfuAnswer,
    SfuOffer,
    SfuPublish,
    SfuPublished,
    SfuRestart,
    SfuStream,
)

logger = logging.getLogger(__name__)

SFU_SIGNALS = (SfuPublished, SfuOffer, SfuRestart)
"""The server's SFU messages this side acts on (the SDK hands them to :meth:`handle_signal`)."""


class SfuMedia(CallMediaBase):
    """This participant's media through the SFU.

    Args:
        local_id: this participant's id.
        config: what to capture and how (its ICE servers too).
        send: hands ``sfu_publish`` / ``sfu_answer`` to the call server.
        events: the mesh's callbacks (peer events: first media from a participant).
        sources: the call's sources when lent (a live switch); None: its own.
    """

    TICK_NAME = "sfu-tick"

    def __init__(self, local_id: str, config: MediaConfig, send: Callable[[Message], None],
                 events: MeshEvents, sources: MediaSources | None = None) -> None:
        super().__init__(local_id, config, events, sources)
        self._send = send
        self.publisher: RTCPeerConnection | None = None
        self.subscriber: RTCPeerConnection | None = None
        self._streams: dict[str, SfuStream] = {}
        """The subscriber's m-lines by mid: whose media each carries now."""
        self._peers: set[str] = set()
        self._gone: set[str] = set()
        """Participants removed: their streams may play on until the server's next offer."""
        self._heard: set[str] = set()
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------ lifecycle

    def _started_hook(self) -> None:
        self.spawn(self._publish(), "sfu-publish")

    async def _close_connections(self) -> None:
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                await pc.close()
        self._tasks.cancel_all()  # a remote track that never received anything never ends

    # ------------------------------------------------------------ the mesh's interface

    def add_peer(self, pid: str) -> None:
        """The SFU brings everybody's media: a participant needs no connection here."""
        self._peers.add(pid)
        self._gone.discard(pid)

    def remove_peer(self, pid: str) -> None:
        self._peers.discard(pid)
        self._gone.add(pid)
        self._heard.discard(pid)
        self.playback.remove(pid)

    def resync(self, pids: Iterable[str]) -> None:
        """The signaling link came back (the SFU keeps its side meanwhile)."""
        self._peers = set(pids) - {self.local_id}

    def handle_signal(self, msg: Message) -> None:
        if self._closed:
            return
        if isinstance(msg, SfuPublished):
            self.spawn(self._published(msg.sdp), "sfu-published")
        elif isinstance(msg, SfuOffer):
            self.spawn(self._subscribe(msg), "sfu-subscribe")
        elif isinstance(msg, SfuRestart):
            self.spawn(self._restart(), "sfu-restart")

    @property
    def peer_ids(self) -> tuple[str, ...]:
        return tuple(self._peers)

    async def start_screen_share(self, source: ScreenSource | None = None) -> bool:
        """Not through the SFU yet: refused with a device error."""
        self._device_error("screen", "screen sharing through the SFU is not supported yet")
        return False

    async def stop_screen_share(self) -> None:
        return None

    @property
    def screen_sharing(self) -> bool:
        return False

    def stats(self) -> dict[str, PeerStats]:
        return {}

    # ------------------------------------------------------------ negotiation

    def _connection(self) -> RTCPeerConnection:
        servers = [RTCIceServer(urls=list(s.urls), username=s.username,
                                credential=s.credential) for s in self.config.ice_servers]
        return RTCPeerConnection(RTCConfiguration(iceServers=servers))

    async def _publish(self) -> None:
        pc = self.publisher = self._connection()
        pc.addTransceiver(self._local.track_for("audio"), direction="sendonly")
        if self.config.video:
            pc.addTransceiver(self._local.track_for("camera"), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
        self._send(SfuPublish(sdp=pc.localDescription.sdp))

    async def _published(self, sdp: str) -> None:
        if self.publisher is not None:
            await self.publisher.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def _restart(self) -> None:
        """The SFU node went away and the call moved: new connections, published again.
        Who has been heard stays heard (a move is no participant event)."""
        async with self._lock:
            old = [pc for pc in (self.publisher, self.subscriber) if pc is not None]
            self.publisher = self.subscriber = None
            self._streams = {}
        for pc in old:  # closing a connection to a dead node never delays the new one
            self.spawn(pc.close(), "sfu-retire")
        await self._publish()

    async def _subscribe(self, offer: SfuOffer) -> None:
        async with self._lock:  # offers are answered in order
            if self.subscriber is None:
                self.subscriber = self._connection()
                self.subscriber.on("track", self._on_track)
            pc = self.subscriber
            self._streams = {s.mid: s for s in offer.streams}
            logger.info("%s: subscriber offer %d: %s", self.local_id, offer.version,
                        ", ".join(f"{s.mid}={s.participant_id}/{s.role}"
                                  for s in offer.streams))
            await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            self._send(SfuAnswer(sdp=pc.localDescription.sdp, version=offer.version))

    # ------------------------------------------------------------ media

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.subscriber is not None
        mid = next((t.mid for t in self.subscriber.getTransceivers()
                    if t.receiver.track is track), None)
        logger.info("%s: subscriber track %s (mid %s)", self.local_id, track.kind, mid)
        if mid is not None:
            self.spawn(self._consume(mid, track), f"sfu-track-{mid}")

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            stream = self._streams.get(mid)  # Janus may reuse an m-line for someone else
            if stream is None or stream.participant_id in self._gone:
                continue
            pid = stream.participant_id
            if pid not in self._heard:
                self._heard.add(pid)
                self.events.emit("on_peer_connected", pid)
                self.events.emit("on_peer_media", pid, True)
            if not self.delivers(pid, "video" if isinstance(frame, av.VideoFrame) else "audio"):
                continue
            if isinstance(frame, av.AudioFrame):
                self.playback.push(pid, frame)
            elif isinstance(frame, av.VideoFrame) and self.events.on_video_frame is not None:
                self.events.emit("on_video_frame", pid,
                                 VideoFrame.of(pid, "camera", frame, time.time()))

    def _hears(self, pid: str) -> bool:
        return pid not in self._gone
