"""One RTCPeerConnection of a pair, one generation: :class:`Link`.

A link negotiates (offers, answers any compliant offer, renegotiates on the same
connection), routes every m-line by its mid and its role (never its position),
carries the heartbeat on its data channel and says when it is alive or dead.
Whether to build, rebuild or drop a link is the pair's decision (:mod:`.peer`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from parley.media import rtx
from parley.media.config import MediaConfig
from parley.media.heartbeat import CHANNEL_ID, CHANNEL_LABEL, Heartbeat
from parley.media.negotiation import AUDIO, CAMERA, DATA, SCREEN, OfferPlan, accept_answer
from parley.media.rebind import rebind_ssrcs
from parley.protocol.messages import Candidate, Offer, TrackRole

logger = logging.getLogger(__name__)

OWN_ROLES = (AUDIO, CAMERA, SCREEN)
"""Parley's own offers: these m-lines, in this order, then the heartbeat channel."""


def supported_codecs() -> dict[str, frozenset[str]]:
    """The codec names aiortc can send and receive, per kind, lower case."""
    return {kind: frozenset(c.mimeType.split("/")[1].lower()
                            for c in RTCRtpSender.getCapabilities(kind).codecs)
            for kind in ("audio", "video")}


class LinkOwner(Protocol):
    """What a link tells its pair (each call names the link, which may be stale)."""

    def link_alive(self, link: Link) -> None: ...
    def link_dead(self, link: Link, why: str) -> None: ...
    def link_track(self, link: Link, role: str, track: MediaStreamTrack) -> None: ...
    def link_video_slow(self, link: Link, slow: bool) -> None: ...


class Link:
    """The RTCPeerConnection of one generation of a pair.

    Args:
        generation: Its number in the pair (docs/protocol.md, *Generations*).
        config: ICE servers and heartbeat timing.
        owner: Told when the link is alive, dead, or receives a track.
        track_for: A fresh local track of a role (audio, camera, screen) to send.
    """

    def __init__(self, generation: int, config: MediaConfig, owner: LinkOwner,
                 track_for: Callable[[str], MediaStreamTrack]) -> None:
        self.generation = generation
        self.built_at = time.monotonic()
        self.answered = False
        """An answer was sent or accepted: ICE and DTLS are at work."""
        self.closed = False
        self.dead: str | None = None
        """Why the link died (reported once), or None."""
        self._owner = owner
        self._track_for = track_for
        self._tracks: list[MediaStreamTrack] = []
        self._roles: dict[RTCRtpTransceiver, str] = {}
        self._plan: OfferPlan | None = None
        self._local_offer: str | None = None
        self._candidate_target: tuple[str, int] | None = None
        # an explicit list, even empty: aiortc's default is a public STUN server
        servers = [RTCIceServer(urls=list(s.urls), username=s.username,
                                credential=s.credential) for s in config.ice_servers]
        # every m-line on one transport: one ICE/DTLS handshake per pair
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=servers,
                                                     bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.heartbeat: Heartbeat | None = None
        self._heartbeat_timing = (config.heartbeat_interval, config.liveness_timeout)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    def __repr__(self) -> str:
        return f"Link(gen {self.generation} {self.pc.signalingState})"

    @property
    def alive(self) -> bool:
        return self.heartbeat is not None and self.heartbeat.alive

    @property
    def offering(self) -> bool:
        """Our offer awaits its answer."""
        return self.pc.signalingState == "have-local-offer"

    # ------------------------------------------------------------ negotiation

    async def offer(self) -> tuple[str, tuple[TrackRole, ...]]:
        """Parley's own offer: audio, camera, screen (sendrecv), then the heartbeat
        channel; candidates gathered into the SDP. Returns (sdp, declared roles)."""
        for role in OWN_ROLES:  # transceivers first: the first one owns the transport
            transceiver = self.pc.addTransceiver(self._local(role), direction="sendrecv")
            self._roles[transceiver] = role
            self._watch(transceiver.sender, role)
        self._open_heartbeat()
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self._local_offer = sdp = self.pc.localDescription.sdp
        tracks = tuple(TrackRole(mid=t.mid, role=self._roles[t])
                       for t in self.pc.getTransceivers() if t.mid is not None)
        self._candidate_target = (tracks[0].mid, 0)
        return sdp, tracks

    async def accept(self, sdp: str) -> None:
        """The remote answer to our offer (m-lines it rejected become inactive)."""
        assert self._local_offer is not None
        fixed, rejected = accept_answer(sdp, self._local_offer)
        if rejected:
            logger.info("gen %d: the answer rejected m-lines %s", self.generation, rejected)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=fixed, type="answer"))
        rebind_ssrcs(self.pc, fixed)  # the retransmissions' SSRCs reach their receiver
        self.answered = True

    async def answer(self, offer: Offer) -> str:
        """Answer a remote offer, a first one or a renegotiation of this connection."""
        declared = {t.mid: t.role for t in offer.tracks}
        plan = self._plan = OfferPlan(offer.sdp, declared, supported_codecs())
        for mline in plan.rejected:
            logger.info("gen %d: m-line %d (%s, mid %s) rejected: %s", self.generation,
                        mline.index, mline.kind, mline.mid, mline.reason)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=plan.accepted_sdp,
                                                                 type="offer"))
        rebind_ssrcs(self.pc, plan.accepted_sdp)  # the retransmissions' SSRCs (rebind.py)
        for transceiver in self.pc.getTransceivers():
            self._attach(transceiver, plan)
        if any(m.role == DATA for m in plan.mlines):
            self._open_heartbeat()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        if self._candidate_target is None:  # what aiortc built first owns the transport
            first = next((m for m in plan.mlines if m.accepted), None)
            if first is not None:
                self._candidate_target = plan.candidate_target(first.mid, None)
        self.answered = True
        return plan.complete_answer(self.pc.localDescription.sdp)

    def _attach(self, transceiver: RTCRtpTransceiver, plan: OfferPlan) -> None:
        """Send our track of the m-line's role on it, if the offerer wants to receive."""
        mline = plan.mline(transceiver.mid)
        if mline is None or mline.role not in OWN_ROLES:
            transceiver.direction = "inactive"  # its m-line is gone or rejected now
            return
        self._roles[transceiver] = mline.role
        if mline.remote_receives and transceiver.sender.track is None:
            transceiver.sender.replaceTrack(self._local(mline.role))
            self._watch(transceiver.sender, mline.role)
        transceiver.direction = "sendrecv" if mline.remote_receives else "recvonly"

    async def add_candidate(self, msg: Candidate) -> None:
        """A trickled remote candidate (empty: end of candidates)."""
        if not msg.candidate:
            await self.pc.addIceCandidate(None)
            return
        target = self._route(msg)
        if target is None:
            logger.debug("gen %d: candidate for rejected m-line %s dropped", self.generation,
                         msg.sdp_mid)
            return
        candidate = candidate_from_sdp(msg.candidate.removeprefix("candidate:"))
        if candidate.protocol.lower() != "udp":
            return  # ICE over TCP is not spoken here (TURN over TCP/TLS is, from our side)
        candidate.sdpMid, candidate.sdpMLineIndex = target
        await self.pc.addIceCandidate(candidate)

    def _route(self, msg: Candidate) -> tuple[str, int] | None:
        # every m-line is bundled on one transport (ours are max-bundle, and the plan
        # keeps the offer's group): candidates go to the m-line that owns it
        if self._plan is not None and self._plan.candidate_target(
                msg.sdp_mid, msg.sdp_mline_index) is None:
            return None
        return self._candidate_target

    # ------------------------------------------------------------ tracks, heartbeat

    def _local(self, role: str) -> MediaStreamTrack:
        track = self._track_for(role)
        self._tracks.append(track)
        return track

    def _watch(self, sender: RTCRtpSender, role: str) -> None:
        """Tell the peer (in the heartbeat) when our camera pauses for bandwidth."""
        if role == CAMERA:
            rtx.watch_video(sender, self._own_video_slow)

    def _own_video_slow(self, slow: bool) -> None:
        if self.heartbeat is not None:
            self.heartbeat.video_slow = slow

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next((t for t in self.pc.getTransceivers() if t.receiver.track is track),
                           None)
        role = self._roles.get(transceiver) if transceiver is not None else None
        if role is None and transceiver is not None and self._plan is not None:
            role = self._plan.role(transceiver.mid)
        if role in OWN_ROLES:
            self._owner.link_track(self, role, track)

    def _open_heartbeat(self) -> None:
        if self.heartbeat is not None:
            return
        channel = self.pc.createDataChannel(CHANNEL_LABEL, negotiated=True, id=CHANNEL_ID,
                                            ordered=False, maxRetransmits=0)
        interval, timeout = self._heartbeat_timing
        heartbeat = self.heartbeat = Heartbeat(
            channel, on_alive=lambda: self._owner.link_alive(self),
            on_dead=lambda: self._dead("no heartbeat"), interval=interval, timeout=timeout,
            on_remote_slow=lambda slow: self._owner.link_video_slow(self, slow))
        channel.on("open", heartbeat.start)
        channel.on("message", heartbeat.received)
        channel.on("close", lambda: self._dead("heartbeat channel closed"))
        if channel.readyState == "open":
            heartbeat.start()

    def _on_connection_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            self._dead(f"connection {self.pc.connectionState}")

    def _dead(self, why: str) -> None:
        if not self.closed and self.dead is None:
            self.dead = why
            self._owner.link_dead(self, why)

    # ------------------------------------------------------------ close

    async def close(self) -> None:
        """Close the connection; nothing is reported afterwards. Idempotent."""
        self.closed = True
        if self.heartbeat is not None:
            self.heartbeat.stop()
        await self.pc.close()  # stops the senders before their tracks end
        for track in self._tracks:
            track.stop()
        self._tracks.clear()
