"""Encode once for the mesh: :class:`SharedEncoder` and the :class:`LayerTrack` each
sender reads.

Without it every peer connection's sender encodes its own copy of the camera (three
encodes a frame in a four-person mesh). A shared encoder reads the local track once
and encodes each frame into at most two layers (:mod:`.layering`: the full ladder,
and 320x240 at a low rate), one :class:`~parley.media.encoder.ParleyVp8Encoder` each,
one thread each, in one executor job a frame. Every peer's sender reads a
:class:`LayerTrack` whose ``recv()`` returns the VP8 packets (``av.Packet``) of the
layer that fits that peer's estimate; aiortc's ``RTCRtpSender`` packetises a packet
it reads without encoding it (``_next_encoded_frame``: anything not a ``Frame`` goes
to its encoder's ``pack``), with its own picture ids, sequence numbers and SSRC.

What a sender would have given its own encoder goes to the shared one instead, through
the hooks of :mod:`.rtx`: the sender's encoder is a :class:`PacketEncoder` (aiortc's
packetiser) whose ``target_bitrate`` (the peer's REMB) lands on the peer's
:class:`~parley.media.layering.Seat`, and a PLI or FIR becomes
:meth:`LayerTrack.request_keyframe`. Keyframes stay rate-limited by the layer's
encoder (:data:`~parley.media.encoder.KEYFRAME_SPACING`, however many peers ask); a
peer that starts on a layer (a late joiner, or a move) waits for a keyframe, which is
due :data:`JOIN_SPACING` after the last one, so it sees a picture within half a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import av
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError

from parley.media.encoder import ParleyVp8Encoder
from parley.media.ladder import Rung
from parley.media.layering import LOW_MAX, LOW_RUNGS, Layer, Seat, place
from parley.media.packet_track import PacketTrack, SharedPump
from parley.media.switch import SwitchableTrack

logger = logging.getLogger(__name__)

JOIN_SPACING = 0.3
"""Seconds after the last keyframe before a joining peer's keyframe is made."""
ANSWERED = 0.2
"""A keyframe request that arrives within a round trip plus this many seconds of the
layer's last keyframe was sent before that keyframe arrived: it is answered already."""
DEPTH = 4
"""Packets a slow sender may fall behind before it skips to the next keyframe."""


class LayerTrack(PacketTrack):
    """What one RTCRtpSender reads from a :class:`SharedEncoder`: VP8 packets of the
    layer its peer's estimate affords (or, for a sender that negotiated another codec,
    raw frames after :meth:`use_frames`)."""

    kind = "video"
    codec = "VP8"

    def __init__(self, shared: SharedEncoder) -> None:
        super().__init__(shared)
        self._shared: SharedEncoder = shared
        self.seat = Seat()
        self.on_rung: Callable[[Rung | None], None] | None = None
        """Called when the rung of the video this peer gets changes; None = paused."""
        self._keyless = True  # for a keyframe of its layer
        self._key_asked = False
        self.fanout = False
        """Its peer forwards this video to others (the SFU's publisher connection): a PLI
        or FIR there is a new viewer starting (Janus asks one for each subscriber it
        starts), answered as a joining peer's, :data:`JOIN_SPACING` after the last
        keyframe, not at the encoder's spacing (up to 1 s: most of a move's wait)."""

    @property
    def estimate(self) -> int:
        return self.seat.estimate

    @estimate.setter
    def estimate(self, bitrate: int) -> None:
        self.seat.estimate = max(0, int(bitrate))

    def request_keyframe(self, rtt: float = 0.0) -> None:
        """The peer asked for a keyframe (PLI / FIR); ``rtt``: its round trip, seconds."""
        self._shared.request_keyframe(self.seat.layer, urgent=self.fanout,
                                      answered_within=rtt + ANSWERED)

    def moved(self, rung: Rung | None) -> None:
        """The seat changed layer: start again at that layer's next keyframe."""
        self._packets.clear()
        self._keyless, self._key_asked = True, True
        self._shared.request_keyframe(self.seat.layer, urgent=True)
        self.rung_changed(rung)

    def rung_changed(self, rung: Rung | None) -> None:
        if self.on_rung is not None:
            self.on_rung(rung)

    def push(self, packets: list[av.Packet[Any]], keyframe: bool) -> None:
        if self._keyless and not keyframe:
            return
        if len(self._packets) + len(packets) > DEPTH:  # the sender fell behind (or
            self._packets.clear()                      # never started): skip to a
            self._keyless, self._key_asked = True, False  # keyframe, asked for when read
            if not keyframe:
                return
        self._keyless = False
        self._packets.extend(packets)
        self._ready.set()

    def _starving(self) -> None:
        if self._keyless and not self._key_asked:
            self._key_asked = True
            self._shared.request_keyframe(self.seat.layer, urgent=True)


class PacketEncoder(Vp8Encoder):
    """The encoder of a sender that reads a :class:`LayerTrack`: aiortc's VP8
    packetiser (``pack``, per sender picture ids), whose rate (the peer's REMB) goes
    to the peer's seat instead of an encoder of its own."""

    def __init__(self, track: LayerTrack) -> None:
        super().__init__()
        self.track = track

    @property
    def target_bitrate(self) -> int:
        return self.track.seat.budget

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        self.track.estimate = bitrate


class SharedEncoder(SharedPump[LayerTrack]):
    """One local video track encoded once for every peer.

    Args:
        source: The local track (its frames are yuv420p already, :mod:`.switch`).
        clock: Monotonic seconds.
    """

    def __init__(self, source: SwitchableTrack,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(source, clock)
        self.encoders = {Layer.FULL: ParleyVp8Encoder(clock),
                         Layer.LOW: ParleyVp8Encoder(clock, rungs=LOW_RUNGS)}
        """The layers' encoders (their ``encodes`` and ``keyframes`` are diagnostics)."""
        self._rungs: dict[Layer, Rung | None] = {}
        for layer, encoder in self.encoders.items():
            self._rungs[layer] = encoder.ladder.rung
            encoder.on_rung = self._rung_callback(layer)
        self._urgent: set[Layer] = set()
        self._requested: set[Layer] = set()
        self._keyframe_at: dict[Layer, float] = {}
        self._asked: set[Layer] = set()  # a peer's PLI / FIR waits for a keyframe
        self.answered_requests = 0
        """Keyframes that answered peers' requests (PLI / FIR; one answers all those
        pending on its layer): a diagnostic."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.frames = 0
        """Frames read from the source: encodes per frame is the layers' encodes over it."""

    @property
    def encodes(self) -> int:
        """Frames encoded, over both layers."""
        return sum(encoder.encodes for encoder in self.encoders.values())

    @property
    def keyframes(self) -> int:
        """Keyframes made, over both layers."""
        return sum(encoder.keyframes for encoder in self.encoders.values())

    @property
    def requested_keyframes(self) -> int:
        """Keyframes made for a request (a PLI, a peer starting), over both layers."""
        return sum(encoder.requested_keyframes for encoder in self.encoders.values())

    def subscribe(self, layer: Layer | None = None) -> LayerTrack:
        """A new reader for one peer's sender; stop it to unsubscribe. ``layer``: it
        always reads that layer (an SFU publisher's stream of it), whatever its
        estimate; None: the layer its peer's estimate affords."""
        track = LayerTrack(self)
        if layer is not None:
            track.seat.layer, track.seat.pinned = layer, True
        # until its first REMB, a newcomer is taken to be like the others: on the full
        # layer, not sent to the low one by a default estimate below theirs; its first
        # read asks for its keyframe
        track.estimate = max((t.seat.estimate for t in self._tracks),
                             default=track.seat.estimate)
        self._loop = asyncio.get_running_loop()
        return self._add(track)

    def request_keyframe(self, layer: Layer, urgent: bool = False,
                         answered_within: float = 0.0) -> None:
        """A keyframe on ``layer``: at the layer encoder's spacing, or, ``urgent`` (a
        peer starts on it), :data:`JOIN_SPACING` after the last one. A request within
        ``answered_within`` seconds of the layer's last keyframe is answered by it."""
        if not urgent and self.clock() - self._keyframe_at.get(layer, -1e9) < answered_within:
            return
        self._requested.add(layer)
        if not urgent:
            self._asked.add(layer)
        if urgent:
            self._urgent.add(layer)

    async def _pump(self) -> None:
        assert self._reader is not None and self._loop is not None
        while True:
            try:
                frame = await self._reader.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.VideoFrame)
            self.frames += 1
            jobs = self._plan()
            if not jobs:
                continue
            requested, self._requested = self._requested, set()
            try:
                out = await self._loop.run_in_executor(None, self._encode, frame, jobs,
                                                       requested, set(self._urgent))
            except Exception:  # one bad frame must not stop the video of every peer
                logger.exception("%s: encoding failed; frame skipped", self.name)
                continue
            for layer, packets in out.items():
                keyframe = any(packet.is_keyframe for packet in packets)
                if keyframe:
                    self._urgent.discard(layer)
                    self._keyframe_at[layer] = self.clock()
                    if layer in self._asked:
                        self._asked.discard(layer)
                        self.answered_requests += 1
                for track in list(self._tracks):
                    if track.seat.layer is layer:
                        track.push(packets, keyframe)

    def _plan(self) -> list[Layer]:
        """Place the peers on layers and set each layer encoder's target; the layers to
        encode this frame."""
        now = self.clock()
        tracks = [track for track in self._tracks if track.active(now)]
        before = {track: track.seat.layer for track in tracks}
        chosen = place((track.seat for track in tracks), now)
        for track in tracks:
            if track.seat.layer is not before[track]:
                logger.info("%s: a peer moves %s -> %s (estimate %d)", self.name,
                            before[track].value, track.seat.layer.value, track.seat.estimate)
                track.moved(self._rungs[track.seat.layer])
        jobs = []
        for layer, seat in chosen.items():
            if seat is None:
                continue
            encoder = self.encoders[layer]
            estimate = seat.estimate if layer is Layer.FULL else min(seat.estimate, LOW_MAX)
            encoder.target_bitrate, encoder.covers_audio = estimate, seat.covers_audio
            jobs.append(layer)
        return jobs

    def _encode(self, frame: av.VideoFrame, jobs: list[Layer], requested: set[Layer],
                urgent: set[Layer]) -> dict[Layer, list[av.Packet[Any]]]:  # the executor
        out = {}
        for layer in jobs:
            encoder = self.encoders[layer]
            spacing: dict[str, Any] = {"keyframe_spacing": JOIN_SPACING} \
                if layer in urgent else {}
            out[layer] = encoder.encode_packets(frame, layer in requested, **spacing)
        return out

    def _rung_callback(self, layer: Layer) -> Callable[[Rung | None], None]:
        def changed(rung: Rung | None) -> None:  # the executor's thread
            loop = self._loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._rung_changed, layer, rung)
        return changed

    def _rung_changed(self, layer: Layer, rung: Rung | None) -> None:
        self._rungs[layer] = rung
        for track in list(self._tracks):
            if track.seat.layer is layer:
                track.rung_changed(rung)
