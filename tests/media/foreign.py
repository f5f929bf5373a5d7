"""A third-party WebRTC client written from docs/protocol.md alone, on raw aiortc.

It knows nothing of Parley's media code: it builds its own offers with m-lines in
the order a test asks (declaring their roles, or not), answers Parley's offers by
the declared roles, speaks the data-channel heartbeat, and can stop sending, as a
browser's ``replaceTrack(null)`` does. What it receives is kept per role.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from parley.media.synthetic import PatternTrack, ToneTrack
from parley.protocol.messages import Answer, Candidate, Offer, TrackRole

Signal = Offer | Answer | Candidate
KINDS = {"audio": "audio", "camera": "video", "screen": "video"}
HUES = {"camera": 0, "screen": 90}
"""The tint of what the foreign peer sends per video role (see :func:`hue_of`)."""


def hue_of(frame: av.VideoFrame) -> int:
    """The tint of a PatternTrack frame, in degrees (as ``PatternTrack(hue=...)``)."""
    planes = frame.to_ndarray(format="yuv420p")
    h = frame.height
    u = float(np.mean(planes[h: h + h // 4])) - 128
    v = float(np.mean(planes[h + h // 4:])) - 128
    return round(math.degrees(math.atan2(v, u))) % 360


def near(hue: int, expected: int, tolerance: int = 25) -> bool:
    return min(abs(hue - expected), 360 - abs(hue - expected)) <= tolerance


@dataclass
class Received:
    """What arrived per role."""

    video: dict[str, list[int]] = field(default_factory=dict)
    """The hue of each video frame per role."""
    audio_peaks: list[float] = field(default_factory=list)


class ForeignPeer:
    """One peer connection of a foreign client to a Parley participant.

    Args:
        pid: Its participant id (compared with Parley's to know who is polite).
        send: Hands a signal (``to`` set) to the router.
        layout: The roles of the m-lines it offers, in order; also the tracks it sends
            when it answers.
        direction: Of every audio/video m-line it offers or answers.
        declare: Declare roles in its offers (``Offer.tracks``).
        data: Carry the heartbeat channel.
        video_codec: Offer only this video codec (e.g. ``"video/H264"``); None: all.
        audio_codec: Offer only this audio codec (e.g. ``"audio/PCMU"``); None: all.
    """

    def __init__(self, pid: str, send: Callable[[Signal], None],
                 layout: Sequence[str] = ("audio", "camera", "screen"),
                 direction: str = "sendrecv", declare: bool = True, data: bool = True,
                 video_codec: str | None = None, audio_codec: str | None = None) -> None:
        self.pid = pid
        self.video_codec = video_codec
        self.audio_codec = audio_codec
        self._send = send
        self.layout = tuple(layout)
        self.direction = direction
        self.declare = declare
        self.data = data
        self.generation = -1
        self.blind = False
        """Ignore the candidates in answers: only the other side's checks can then find
        a path (to the candidates this peer trickled)."""
        self.pc: RTCPeerConnection | None = None
        self.received = Received()
        self.pongs = 0
        self.offers_seen = 0
        self.last_answer_sdp: str | None = None
        self._roles: dict[str, str] = {}
        self._tracks: list[MediaStreamTrack] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------ building

    def _new_pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[],
                                                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        pc.on("track", lambda track: self._spawn(self._consume(pc, track)))
        return pc

    def _track(self, role: str) -> MediaStreamTrack:
        track: MediaStreamTrack = (ToneTrack(660.0) if role == "audio"
                                   else PatternTrack((320, 240), 15, hue=HUES[role]))
        self._tracks.append(track)
        return track

    def _heartbeat(self, pc: RTCPeerConnection) -> None:
        channel = pc.createDataChannel("heartbeat", negotiated=True, id=0, ordered=False,
                                       maxRetransmits=0)

        @channel.on("message")
        def on_message(message: str) -> None:
            body = json.loads(message)
            if body["type"] == "ping":
                channel.send(json.dumps({"type": "pong", "t": body["t"]}))
            elif body["type"] == "pong":
                self.pongs += 1
                self._changed.set()

        async def pinger() -> None:
            while channel.readyState != "closed":
                if channel.readyState == "open":
                    channel.send(json.dumps({"type": "ping", "t": time.monotonic()}))
                await asyncio.sleep(0.5)

        self._spawn(pinger())

    async def offer(self, to: str, generation: int | None = None,
                    trickle: bool = False) -> None:
        """Offer a new connection with this peer's layout; with ``trickle`` the
        candidates follow the offer one by one, then an end-of-candidates."""
        await self.close_pc()
        self.generation = generation if generation is not None else self.generation + 1
        pc = self.pc = self._new_pc()
        for role in self.layout:
            self._add(pc, role)
        if self.data:
            self._heartbeat(pc)
        await self._send_offer(pc, to, trickle)

    async def renegotiate(self, to: str, add: str) -> None:
        """Add an m-line of role ``add`` to the current connection and offer again, with
        the same generation."""
        assert self.pc is not None
        self._add(self.pc, add)
        await self._send_offer(self.pc, to, trickle=False)

    def _add(self, pc: RTCPeerConnection, role: str) -> None:
        sending = self.direction in ("sendrecv", "sendonly")
        transceiver = pc.addTransceiver(self._track(role) if sending else KINDS[role],
                                        direction=self.direction)
        self._roles[id(transceiver)] = role
        only = self.video_codec if transceiver.kind == "video" else self.audio_codec
        if only is not None:
            transceiver.setCodecPreferences([
                c for c in RTCRtpSender.getCapabilities(transceiver.kind).codecs
                if c.mimeType.lower() in (only.lower(), "video/rtx")])

    async def _send_offer(self, pc: RTCPeerConnection, to: str, trickle: bool) -> None:
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        candidates = [line[2:] for line in sdp.splitlines() if line.startswith("a=candidate:")]
        if trickle:
            sdp = "".join(line + "\r\n" for line in sdp.splitlines()
                          if not line.startswith(("a=candidate:", "a=end-of-candidates")))
        tracks = tuple(TrackRole(t.mid, self._roles[id(t)]) for t in pc.getTransceivers())
        self._send(Offer(sdp=sdp, generation=self.generation,
                         tracks=tracks if self.declare else (), to=to))
        if trickle:
            first = pc.getTransceivers()[0].mid if pc.getTransceivers() else "0"
            for candidate in candidates:
                self._send(Candidate(candidate=candidate, sdp_mid=first, sdp_mline_index=0,
                                     generation=self.generation, to=to))
            self._send(Candidate(candidate="", generation=self.generation, to=to))

    async def handle(self, msg: Signal) -> None:
        if isinstance(msg, Offer):
            self.offers_seen += 1
            await self._answer(msg)
        elif isinstance(msg, Answer) and self.pc is not None \
                and msg.generation == self.generation:
            self.last_answer_sdp = sdp = msg.sdp
            if self.blind:
                sdp = "".join(line + "\r\n" for line in sdp.splitlines()
                              if not line.startswith(("a=candidate:", "a=end-of-candidates")))
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def _answer(self, msg: Offer) -> None:
        await self.close_pc()
        self.generation = msg.generation
        pc = self.pc = self._new_pc()
        declared = {t.mid: t.role for t in msg.tracks}
        await pc.setRemoteDescription(RTCSessionDescription(msg.sdp, "offer"))
        for transceiver in pc.getTransceivers():
            role = declared.get(transceiver.mid or "")
            self._roles[id(transceiver)] = role or ""
            if role in self.layout and self.direction in ("sendrecv", "sendonly"):
                transceiver.sender.replaceTrack(self._track(role))
            transceiver.direction = self.direction
        if self.data:
            self._heartbeat(pc)
        await pc.setLocalDescription(await pc.createAnswer())
        self._send(Answer(sdp=pc.localDescription.sdp, generation=msg.generation,
                          to=msg.sender))

    def stop_sending(self) -> None:
        """``replaceTrack(null)`` on every sender: nothing is sent any more."""
        assert self.pc is not None
        for transceiver in self.pc.getTransceivers():
            transceiver.sender.replaceTrack(None)

    # ------------------------------------------------------------ receiving

    def _role_of(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> str:
        transceiver: RTCRtpTransceiver | None = next(
            (t for t in pc.getTransceivers() if t.receiver.track is track), None)
        return self._roles.get(id(transceiver), "") if transceiver is not None else ""

    async def _consume(self, pc: RTCPeerConnection, track: MediaStreamTrack) -> None:
        role = self._role_of(pc, track)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.VideoFrame):
                self.received.video.setdefault(role, []).append(hue_of(frame))
            elif isinstance(frame, av.AudioFrame):
                samples = frame.to_ndarray().astype(np.float32) / 32768
                self.received.audio_peaks.append(float(np.sqrt(np.mean(samples ** 2))))
            self._changed.set()

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0,
                    what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"foreign {self.pid}: timed out waiting for {what}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.05)

    # ------------------------------------------------------------ plumbing

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_pc(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()
        for track in self._tracks:
            track.stop()
        self._tracks.clear()

    async def close(self) -> None:
        await self.close_pc()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
