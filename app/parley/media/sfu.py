"""The call's media through the server's SFU: :class:`SfuMedia`, in place of the
:class:`~parley.media.mesh.MediaMesh` when the welcome says ``media: "sfu"``.

Two RTCPeerConnections, whoever is in the call: the publisher (audio and the camera's
two layers, send only, offered once: ``sfu_publish``) and the subscriber (receive only,
offered by the server as people come and go: ``sfu_offer``, whose ``streams`` say whose
media each m-line carries). Trickle is off: every candidate is in the SDP. The
negotiation goes through the call server only (docs/protocol.md, *SFU*); the SFU's API
is never spoken.

Layers: the camera's shared encoder (:mod:`.shared`, encoded once) gives its full and its
low layer, each sent as a video stream of its own (aiortc sends no simulcast). Of each
remote participant the subscriber receives audio and one layer, which
:class:`~parley.media.layer_choice.LayerChoice` picks (tile size, dominant speaker, the
link's loss-based estimate); a change is an ``sfu_layer`` request, and the server
switches the m-line's source without renegotiation: the same track delivers frames of
the other size, and no participant event fires.

It has the mesh's interface, so the SDK's call media drives either. Not built yet: the
screen share.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import av
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.stats import RTCInboundRtpStreamStats

from parley.media.base import CallMediaBase, MediaSources
from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import VideoFrame
from parley.media.layer_choice import LayerChoice, LinkEstimate, Views
from parley.media.layering import Layer
from parley.media.rebind import rebind_ssrcs
from parley.media.rtt import lend_rtt
from parley.media.rtx import nack_limiters
from parley.media.screen import ScreenSource
from parley.media.sfu_watch import FeedWatch
from parley.media.shared import LayerTrack
from parley.media.stats import PeerStats
from parley.protocol.base import Message
from parley.protocol.sfu import (
    SfuAnswer,
    SfuFeed,
    SfuLayer,
    SfuOffer,
    SfuPublish,
    SfuPublished,
    SfuRestart,
    SfuStream,
    SfuTrack,
)

logger = logging.getLogger(__name__)

SFU_SIGNALS = (SfuPublished, SfuOffer, SfuFeed, SfuRestart, SfuLayer)
ESTIMATE_EVERY = 10
"""Ticks between two reads of the subscriber's receive statistics (the link's estimate)."""


class SfuMedia(CallMediaBase):
    """This participant's media through the SFU.

    Args:
        local_id: this participant's id.
        config: what to capture and how (its ICE servers too).
        send: hands ``sfu_publish`` / ``sfu_answer`` to the call server.
        events: the mesh's callbacks (peer events: first media from a participant).
        sources: the call's sources when lent (a live switch); None: its own.
        views: how the UI shows each participant (the layer chosen of each); shared by
            the call's paths.
    """

    TICK_NAME = "sfu-tick"

    def __init__(self, local_id: str, config: MediaConfig, send: Callable[[Message], None],
                 events: MeshEvents, sources: MediaSources | None = None,
                 views: Views | None = None) -> None:
        super().__init__(local_id, config, events, sources)
        self._send = send
        self.publisher: RTCPeerConnection | None = None
        self.subscriber: RTCPeerConnection | None = None
        self._streams: dict[str, SfuStream] = {}
        """The subscriber's m-lines by mid: whose media each carries now."""
        self._peers: set[str] = set()
        self._gone: set[str] = set()
        """Participants removed: their streams may play on until the server's next offer."""
        self.watch = FeedWatch(local_id,
                               lambda pid: self.events.emit("on_peer_reconnecting", pid),
                               lambda pid: self.events.emit("on_peer_restored", pid))
        """Whose media still arrives (docs/sfu.md, *Liveness under the SFU*)."""
        self._lock = asyncio.Lock()
        self.stale = False
        """Its server side is gone (the server recreated the room): a new path is needed."""
        self._begun = time.monotonic()
        """When the path started (its log gives each step of a move from there)."""
        self._timed: set[tuple[str, str]] = set()
        """(participant, kind) whose first frame through this path was logged."""
        self.choice = LayerChoice(views)
        """The layer of each participant's camera asked of the server."""
        self.layers: dict[str, str] = {}
        """The layer of each participant's camera the subscriber receives now (the
        server's ``sfu_layer`` and ``sfu_offer`` say it)."""
        self.link = LinkEstimate()
        self._layer_of: dict[RTCRtpTransceiver, Layer] = {}
        """The layer each camera transceiver of the publisher sends."""
        self._retired = False
        self._lent_rtt = 1e-3
        """The round trip last logged as lent to the subscriber (seconds)."""

    # ------------------------------------------------------------ lifecycle

    def _started_hook(self) -> None:
        self._begun = time.monotonic()
        self.spawn(self._publish(), "sfu-publish")

    async def _close_connections(self) -> None:
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                await _close(pc)
        self._tasks.cancel_all()  # a remote track that never received anything never ends

    # ------------------------------------------------------------ the mesh's interface

    def add_peer(self, pid: str) -> None:
        """The SFU brings everybody's media: a participant needs no connection here."""
        self._peers.add(pid)
        self._gone.discard(pid)
        self._choose(time.monotonic())  # before its feed is subscribed: on that layer

    def remove_peer(self, pid: str) -> None:
        self._peers.discard(pid)
        self._gone.add(pid)
        self.watch.forget(pid)
        self.choice.forget(pid)
        self.layers.pop(pid, None)
        self.playback.remove(pid)

    def resync(self, pids: Iterable[str]) -> None:
        """The signaling link came back (the SFU keeps its side meanwhile): a publisher
        offer left unanswered (lost with the old link) is sent again."""
        self._peers = set(pids) - {self.local_id}
        pc = self.publisher
        if pc is not None and pc.remoteDescription is None and pc.localDescription is not None:
            logger.info("%s: publisher offer unanswered: sent again", self.local_id)
            self._send(SfuPublish(sdp=pc.localDescription.sdp, tracks=self._tracks(pc)))
        for pid, layer in self.choice.layers.items():  # a request may have died with it
            self._send(SfuLayer(pid, layer.value))

    def handle_signal(self, msg: Message) -> None:
        if self._closed:
            return
        if isinstance(msg, SfuPublished):
            self.spawn(self._published(msg.sdp), "sfu-published")
        elif isinstance(msg, SfuOffer):
            self.spawn(self._subscribe(msg), "sfu-subscribe")
        elif isinstance(msg, SfuFeed) and msg.participant_id in self._peers:
            self.watch.feed(msg.participant_id, msg.flowing)
        elif isinstance(msg, SfuLayer):
            self._layer_switched(msg)
        elif isinstance(msg, SfuRestart):
            self.watch.grace(time.monotonic())  # now, not after the lock
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

    def retire(self) -> None:
        """Keep publishing (the others may still play from the SFU for a moment), stop
        receiving: the subscriber connection closes now."""
        subscriber, self.subscriber = self.subscriber, None
        self._retired = True  # it asks for no layer any more
        if subscriber is not None:
            self.spawn(subscriber.close(), "sfu-retire-subscriber")

    def stats(self) -> dict[str, PeerStats]:
        return {}

    # ------------------------------------------------------------ negotiation

    def _connection(self, role: str) -> RTCPeerConnection:
        servers = [RTCIceServer(urls=list(s.urls), username=s.username,
                                credential=s.credential) for s in self.config.ice_servers]
        # one transport for every m-line: aiortc's default ("balanced") gives a second
        # video m-line (the camera's low layer) a transport of its own, which Janus,
        # bundling everything, never connects
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers,
                                                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))

        @pc.on("connectionstatechange")
        def changed() -> None:  # each step of a move, timed (docs/sfu.md)
            logger.info("%s: %s %s at +%.3f s", self.local_id, role, pc.connectionState,
                        self._since())
        return pc

    def _since(self) -> float:
        return time.monotonic() - self._begun

    async def _publish(self) -> None:
        pc = self.publisher = self._connection("publisher")
        pc.addTransceiver(self._local.track_for("audio"), direction="sendonly")
        self._layer_of = {}
        if self.config.video:
            # the shared encoder's two layers, each a stream of its own (encoded once);
            # without one (encode_once off), the one camera stream
            layers = (Layer.FULL, Layer.LOW) if "camera" in self._local.shared else (None,)
            for layer in layers:
                camera = self._local.track_for("camera", layer)
                if isinstance(camera, LayerTrack):
                    camera.fanout = True  # the SFU's PLIs are new viewers: answered at once
                transceiver = pc.addTransceiver(camera, direction="sendonly")
                self._layer_of[transceiver] = layer or Layer.FULL
        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
        self._send(SfuPublish(sdp=pc.localDescription.sdp, tracks=self._tracks(pc)))

    def _tracks(self, pc: RTCPeerConnection) -> tuple[SfuTrack, ...]:
        """What each m-line of the publisher sends (``sfu_publish``'s ``tracks``)."""
        return tuple(SfuTrack(mid=t.mid, role="camera" if t.kind == "video" else "audio",
                              layer=self._layer_of.get(t, Layer.FULL).value)
                     for t in pc.getTransceivers() if t.mid is not None)

    async def _published(self, sdp: str) -> None:
        pc = self.publisher
        # an answer to an offer sent again (a resync) may come twice: the first one counts
        if pc is not None and pc.signalingState == "have-local-offer":
            await pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def _restart(self) -> None:
        """The SFU node went away and the call moved: new connections, published again.
        Who has been heard stays heard (a move is no participant event)."""
        async with self._lock:
            old = [pc for pc in (self.publisher, self.subscriber) if pc is not None]
            self.publisher = self.subscriber = None
            self._streams = {}
            self.watch.grace(time.monotonic())
            self.choice.reset()  # the server's new side knows no choice: all asked again
            self._choose(time.monotonic())
        for pc in old:  # closing a connection to a dead node never delays the new one
            self.spawn(_close(pc), "sfu-retire")
        await self._publish()

    async def _subscribe(self, offer: SfuOffer) -> None:
        async with self._lock:  # offers are answered in order
            if self.subscriber is None:
                self.subscriber = self._connection("subscriber")
                self.subscriber.on("track", self._on_track)
            pc = self.subscriber
            self._streams = {s.mid: s for s in offer.streams}
            self.layers.update({s.participant_id: s.layer for s in offer.streams
                                if s.role == "camera"})
            logger.info("%s: subscriber offer %d at +%.3f s: %s", self.local_id,
                        offer.version, self._since(),
                        ", ".join(f"{s.mid}={s.participant_id}/{s.role}" for s in offer.streams))
            await pc.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
            rebind_ssrcs(pc, offer.sdp)  # an m-line Janus reused for another feed plays
            await pc.setLocalDescription(await pc.createAnswer())
            self._send(SfuAnswer(sdp=pc.localDescription.sdp, version=offer.version))

    # ------------------------------------------------------------ media

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.subscriber is None:  # retired meanwhile
            return
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
            first = self.watch.frame(pid, time.monotonic())
            if (pid, track.kind) not in self._timed:
                self._timed.add((pid, track.kind))
                logger.info("%s: first %s from %s at +%.3f s", self.local_id, track.kind,
                            pid, self._since())
            if first:
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

    # ------------------------------------------------------------ liveness

    def _each_tick(self, count: int, now: float) -> None:
        self._choose(now)
        if count % ESTIMATE_EVERY == 0 and self.subscriber is not None:
            self._lend_rtt(self.subscriber)
            self.spawn(self._estimate(self.subscriber), "sfu-estimate")
        self.watch.judge(now)

    # ------------------------------------------------------------ layers

    def _choose(self, now: float) -> None:
        """Ask the server for every participant's layer that the choice changed."""
        if self._closed or self._retired:
            return
        for pid, layer in self.choice.decide(self._peers, self.link.estimate, now).items():
            logger.info("%s: %s's camera: %s layer asked", self.local_id, pid, layer.value)
            self._send(SfuLayer(pid, layer.value))

    def _layer_switched(self, msg: SfuLayer) -> None:
        """The server switched the m-line of a participant's camera to another layer."""
        logger.info("%s: %s's camera: %s layer now", self.local_id, msg.participant_id,
                    msg.layer)
        self.layers[msg.participant_id] = msg.layer
        self._streams = {mid: (SfuStream(mid, s.participant_id, s.role, msg.layer)
                               if s.participant_id == msg.participant_id
                               and s.role == "camera" else s)
                         for mid, s in self._streams.items()}

    def _lend_rtt(self, subscriber: RTCPeerConnection) -> None:
        """The subscriber sends no media, so it measures no round trip, and its NACKs were
        spaced by aiortc's default 100 ms: on a 300 ms queue each lost packet was asked
        for three times before its retransmission could come. It takes the publisher's,
        measured to the same Janus node over the same link (:func:`~.rtt.lend_rtt`)."""
        publisher = self.publisher
        senders = [s for s in publisher.getSenders() if s.transport is not None] \
            if publisher is not None else []
        receivers = subscriber.getReceivers()
        if not senders or not receivers:
            return
        rtt = lend_rtt(senders[0], receivers[0].transport)
        if rtt is not None and abs(rtt - self._lent_rtt) > 0.25 * self._lent_rtt:
            logger.info("%s: subscriber round trip %.0f ms (the publisher's)", self.local_id,
                        rtt * 1000)
            self._lent_rtt = rtt

    async def _estimate(self, pc: RTCPeerConnection) -> None:
        """Sample the subscriber's receive counters into the link's estimate."""
        report = await pc.getStats()
        received = lost = 0
        for stats in report.values():
            if isinstance(stats, RTCInboundRtpStreamStats):
                received += stats.packetsReceived
                lost += max(0, stats.packetsLost)
        repaired = sum(nacked.recovered + nacked.given_up for r in pc.getReceivers()
                       for nacked in nack_limiters(r).values())  # counted received upstream
        before = self.link.estimate
        after = self.link.update(time.monotonic(), received, lost, self.choice.cost(), repaired)
        if after != before and (before is None or after is None or after < before):
            logger.info("%s: subscriber link estimate %s", self.local_id,
                        "none" if after is None else f"{after / 1000:.0f} kbit/s")


async def _close(pc: RTCPeerConnection) -> None:
    """Close ``pc`` and stop the readers it sent from (each its own, from
    ``LocalMedia.track_for``): aiortc stops a sender's track only if its RTP loop ran, so
    a publisher closed before its DTLS came up (a restart during a node's loss, a close
    mid-move) left its readers on the shared encoders."""
    tracks = [t.sender.track for t in pc.getTransceivers() if t.sender.track is not None]
    await pc.close()
    for track in tracks:
        track.stop()
