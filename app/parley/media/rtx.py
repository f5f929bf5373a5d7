"""Sane retransmission for aiortc, and the one place Parley patches aiortc's RTP code.

On a slow link aiortc snowballs (issue 13): its receiver re-NACKs every still-missing
packet on each new gap (hundreds of requests a second), its sender retransmits every
request at once, and each lost frame asks for a keyframe. Here:

- Receiver (:class:`~.retransmission.NackLimiter`): each missing packet is NACKed
  at most 3 times, each time at least one round trip after the last; a packet that
  retransmission could not bring escalates to one PLI. PLIs: at most one a second.
- Sender (:class:`~.retransmission.RetransmitBudget`): a request for a packet
  retransmitted within the last round trip is a duplicate and ignored;
  retransmissions are capped at 20 % of the video target (a token bucket of bytes).
- Keyframes are rate-limited in the encoder (:mod:`.encoder`), which defers a request
  rather than dropping it.
- The round trip comes from the sender's receiver reports (``getStats``'s
  remote-inbound ``roundTripTime``), shared by everything on the same DTLS transport.
- A video sender's REMB is checked against the link before upstream hands it to the
  encoder (:mod:`.sendside`): drops no loss or round-trip growth confirms are held. That
  check reads each receiver report's own round trip (:func:`~.sendside.report_rtt`,
  from its LSR / DLSR fields) and what the sender sent (``getStats``'s ``bytesSent``,
  counted from the first frame and read at the first REMB as well as each second).
- Retransmissions (RFC 4588 RTX) reach their receiver and count as their media packet
  (:mod:`.rebind`, which says why: upstream dropped every one of them in the mesh), so
  the receiver reports the loss left after repair, as libwebrtc does.
- Both log their counters every 5 s (:mod:`.retransmission` says which).

Why patching, and where (aiortc 1.x): aiortc has no public hook for RTCP feedback.
Every RTCP packet for a sender goes through ``RTCRtpSender._handle_rtcp_packet`` and
every NACK / PLI a receiver sends through ``RTCRtpReceiver._send_rtcp_nack`` /
``_send_rtcp_pli``; every RTP packet a receiver gets through
``RTCRtpReceiver._handle_rtp_packet`` (watched only to see a missing packet arrive, so
that it is NACKed again a round trip later if not: aiortc re-NACKs only on a new gap;
to unwrap a retransmission into its media packet, and, for a packet given up on, to
hand upstream's method an empty packet in its place (counted received by upstream's
statistics, as the retransmission would have been):
aiortc's jitter buffer waits for a missing packet until 128 later ones have come, which
is seconds at a low rate). :func:`install` wraps those four methods (class-wide, once) and
``RTCRtpSender.send`` (public) so that the encoder the sender builds can be found.
No private *attribute* is read or written; each wrapper calls upstream's method with
the filtered request, so upstream's behaviour is otherwise intact.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender, rtcrtpsender
from aiortc.codecs import get_encoder as upstream_get_encoder
from aiortc.codecs.base import Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from parley.media.encoder import ParleyVp8Encoder, parley_encoder
from parley.media.ladder import START_ESTIMATE, Rung
from parley.media.opus import ParleyOpusEncoder
from parley.media.packetisers import frames_unless, packetiser
from parley.media.rebind import as_media
from parley.media.retransmission import (
    LOG_EVERY,
    MIN_RTT,
    NackLimiter,
    RetransmitBudget,
    nearest_timestamp,
)
from parley.media.rtt import note_rtt, rtt_of
from parley.media.sendside import SendSideEstimate, report_rtt
from parley.media.shared import PacketEncoder
from parley.media.shared_audio import OpusPacketEncoder

logger = logging.getLogger(__name__)

DEFAULT_TARGET = START_ESTIMATE


class SenderTuning:
    """What Parley keeps per aiortc sender."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self._sender = weakref.ref(sender)
        self.budget = RetransmitBudget()
        self.encoder: Encoder | None = None
        self.estimate: int | None = None
        """The receiver's last REMB (bit/s), as it came."""
        self.policy = SendSideEstimate(DEFAULT_TARGET)
        """What a video sender makes of it (:mod:`.sendside`)."""
        self.rung: Rung | None = None
        self.paused = False
        """Video is paused for want of bandwidth (the ladder's floor)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_stats = -1e9
        self._logged = -1e9
        self.clock: Callable[[], float] = time.monotonic
        """The time the send-side estimate is fed (a seam: tests set a fake one)."""

    def bind(self, encoder: Encoder) -> None:
        """The encoder aiortc built at the sender's first frame: nothing is sent yet."""
        if self.encoder is None:
            # bytesSent is 0 now, so the first REMB (about 1 s in, before any receiver
            # report) knows what the start's ramp put out (SendSideEstimate.on_remb)
            self.policy.on_sent(0, self.clock())
        self.encoder = encoder
        self._loop = asyncio.get_running_loop()
        if isinstance(encoder, ParleyVp8Encoder):
            encoder.on_rung = self._rung_changed
        elif isinstance(encoder, PacketEncoder):  # a shared encoder's layer (.shared)
            encoder.track.on_rung = self._rung_changed

    def _rung_changed(self, rung: Rung | None) -> None:  # the encoder's thread
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._note_rung, rung)

    def _note_rung(self, rung: Rung | None) -> None:
        self.rung, paused = rung, rung is None
        if paused == self.paused:
            return
        self.paused = paused
        sender = self._sender()
        for callback in list(_watchers.get(sender, ())) if sender is not None else ():
            try:
                callback(paused)
            except Exception:
                logger.exception("video pause watcher failed")

    @property
    def video(self) -> bool:
        """The sender runs one of Parley's VP8 encoders."""
        return isinstance(self.encoder, ParleyVp8Encoder | PacketEncoder)

    @property
    def target(self) -> int:
        encoder = self.encoder
        if isinstance(encoder, ParleyVp8Encoder | PacketEncoder):
            return encoder.target_bitrate
        return self.estimate or DEFAULT_TARGET

    async def handle(self, sender: RTCRtpSender, packet: Any,
                     upstream: Callable[[Any], Awaitable[None]]) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            rtt = rtt_of(sender)
            now = time.monotonic()
            if now - self._logged >= LOG_EVERY:
                self._logged = now
                logger.info("retransmissions: %d sent, %d refused; estimate %s, target %d, "
                            "rtt %.0f ms; %s", self.budget.allowed, self.budget.refused,
                            self.estimate, self.target, rtt * 1000, self.budget.report())
            admitted = self.budget.admit(list(packet.lost), time.monotonic(), rtt, self.target)
            if admitted:
                filtered = RtcpRtpfbPacket(fmt=packet.fmt, ssrc=packet.ssrc,
                                           media_ssrc=packet.media_ssrc)
                filtered.lost = admitted
                await upstream(filtered)
            return
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                self.estimate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                ssrcs = []
            if isinstance(self.encoder, ParleyVp8Encoder) and ssrcs:
                self.encoder.covers_audio = len(ssrcs) > 1
            elif isinstance(self.encoder, PacketEncoder) and ssrcs:
                self.encoder.track.seat.covers_audio = len(ssrcs) > 1
            if self.video and ssrcs and self.estimate is not None:
                now = self.clock()
                if self.policy.sent is None:  # aiortc's first REMB, before any report
                    await self._read_stats(sender, now)
                rate = self.policy.on_remb(self.estimate, now)
                packet = RtcpPsfbPacket(fmt=packet.fmt, ssrc=packet.ssrc,
                                        media_ssrc=packet.media_ssrc,
                                        fci=pack_remb_fci(rate, ssrcs))
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR) \
                and isinstance(self.encoder, PacketEncoder):
            self.encoder.track.request_keyframe(rtt_of(sender))  # upstream's flag is unread
        await upstream(packet)
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            await self._reports(sender, packet)

    async def _reports(self, sender: RTCRtpSender, packet: RtcpRrPacket | RtcpSrPacket) -> None:
        if isinstance(self.encoder, ParleyOpusEncoder | OpusPacketEncoder) and packet.reports:
            # the link's loss: a bundled report may speak of video as well as audio
            self.encoder.report_loss(max(r.fraction_lost for r in packet.reports) / 256)
        now = self.clock()
        if self.video and packet.reports:
            cut = self.policy.on_loss(max(r.fraction_lost for r in packet.reports) / 256, now)
            if cut is not None and isinstance(self.encoder, ParleyVp8Encoder | PacketEncoder):
                self.encoder.target_bitrate = cut  # no REMB yet to carry it
            rtt = report_rtt(packet.reports, time.time())
            if rtt is not None:  # each report's own round trip, for the link's queue
                self.policy.on_rtt(rtt)
        if now - self._last_stats >= 1.0:
            await self._read_stats(sender, now)

    async def _read_stats(self, sender: RTCRtpSender, now: float) -> None:
        """aiortc's round trip, and what the sender sent (the send-side estimate's)."""
        self._last_stats = now
        try:
            stats = await sender.getStats()
        except Exception:  # the transport closed under us
            return
        for stat in stats.values():
            kind = getattr(stat, "type", "")
            rtt = getattr(stat, "roundTripTime", None)
            if kind == "remote-inbound-rtp" and rtt:
                note_rtt(sender.transport, float(rtt))  # aiortc's, smoothed
            elif kind == "outbound-rtp" and self.video:
                self.policy.on_sent(int(getattr(stat, "bytesSent", 0)), now)


_senders: weakref.WeakKeyDictionary[RTCRtpSender, SenderTuning] = weakref.WeakKeyDictionary()
_receivers: weakref.WeakKeyDictionary[RTCRtpReceiver, dict[int, NackLimiter]] = \
    weakref.WeakKeyDictionary()
_watchers: weakref.WeakKeyDictionary[RTCRtpSender, list[Callable[[bool], None]]] = \
    weakref.WeakKeyDictionary()
_rechecks: weakref.WeakKeyDictionary[RTCRtpReceiver, asyncio.TimerHandle] = \
    weakref.WeakKeyDictionary()
_sends: set[asyncio.Task[None]] = set()
_recent: weakref.WeakKeyDictionary[RTCRtpReceiver, dict[int, tuple[int, dict[int, int]]]] = \
    weakref.WeakKeyDictionary()
"""Per receiver and SSRC: the payload type and the timestamps of the last packets."""
RECENT = 512
_current_sender: contextvars.ContextVar[RTCRtpSender | None] = \
    contextvars.ContextVar("parley_rtx_sender", default=None)


def tuning(sender: RTCRtpSender) -> SenderTuning:
    """Parley's state for an aiortc sender (created on first use)."""
    state = _senders.get(sender)
    if state is None:
        state = _senders[sender] = SenderTuning(sender)
    return state


def nack_limiters(receiver: RTCRtpReceiver) -> dict[int, NackLimiter]:
    """The NACK limiters of a receiver, per media SSRC (diagnostics and tests)."""
    return _receivers.setdefault(receiver, {})


def watch_video(sender: RTCRtpSender, callback: Callable[[bool], None]) -> None:
    """Call ``callback(paused)`` on the loop when the sender's video pauses for want of
    bandwidth (True) or resumes (False)."""
    _watchers.setdefault(sender, []).append(callback)


# ---------------------------------------------------------------- the patches

_upstream: dict[str, Any] = {}


def install() -> None:
    """Put Parley's encoders and RTCP policies into aiortc (process-wide, idempotent)."""
    if _upstream:
        return
    _upstream.update(
        sender_rtcp=RTCRtpSender._handle_rtcp_packet,  # noqa: SLF001
        sender_send=RTCRtpSender.send,
        receiver_nack=RTCRtpReceiver._send_rtcp_nack,  # noqa: SLF001
        receiver_pli=RTCRtpReceiver._send_rtcp_pli,  # noqa: SLF001
        receiver_rtp=RTCRtpReceiver._handle_rtp_packet,  # noqa: SLF001
    )
    RTCRtpReceiver._handle_rtp_packet = _receiver_rtp  # type: ignore[method-assign]
    RTCRtpSender._handle_rtcp_packet = _sender_rtcp  # type: ignore[method-assign]
    RTCRtpSender.send = _sender_send  # type: ignore[method-assign]
    RTCRtpReceiver._send_rtcp_nack = _receiver_nack  # type: ignore[method-assign]
    RTCRtpReceiver._send_rtcp_pli = _receiver_pli  # type: ignore[method-assign]
    rtcrtpsender.get_encoder = _encoder_for_sender  # type: ignore[attr-defined]


def uninstall() -> None:
    """Give aiortc back its own behaviour (a benchmark's bare-aiortc baseline)."""
    if not _upstream:
        return
    RTCRtpSender._handle_rtcp_packet = _upstream["sender_rtcp"]  # type: ignore[method-assign]
    RTCRtpSender.send = _upstream["sender_send"]  # type: ignore[method-assign]
    RTCRtpReceiver._send_rtcp_nack = _upstream["receiver_nack"]  # type: ignore[method-assign]
    RTCRtpReceiver._send_rtcp_pli = _upstream["receiver_pli"]  # type: ignore[method-assign]
    RTCRtpReceiver._handle_rtp_packet = _upstream["receiver_rtp"]  # type: ignore[method-assign]
    rtcrtpsender.get_encoder = upstream_get_encoder  # type: ignore[attr-defined]
    _upstream.clear()


async def _sender_rtcp(self: RTCRtpSender, packet: Any) -> None:
    upstream = _upstream["sender_rtcp"]
    await tuning(self).handle(self, packet, lambda p: upstream(self, p))


async def _sender_send(self: RTCRtpSender, parameters: Any) -> None:
    # the sender's RTP task is created inside send(): it inherits this context, so the
    # encoder factory below knows which sender it builds for
    token = _current_sender.set(self)
    track = self.track
    if parameters.codecs:  # shared packets of another codec: this sender encodes its own
        frames_unless(track, parameters.codecs[0].mimeType)
    try:
        await _upstream["sender_send"](self, parameters)
    finally:
        _current_sender.reset(token)


def _encoder_for_sender(codec: RTCRtpCodecParameters) -> Encoder:
    sender = _current_sender.get()
    track = sender.track if sender is not None else None
    # a sender of a shared encoder's packets only packetises them
    encoder = packetiser(track, codec.mimeType) or parley_encoder(codec)
    if sender is not None:
        tuning(sender).bind(encoder)
    return encoder


async def _receiver_nack(self: RTCRtpReceiver, media_ssrc: int, lost: list[int]) -> None:
    limiter = nack_limiters(self).setdefault(media_ssrc, NackLimiter())
    await _nack(self, media_ssrc, *limiter.filter(lost, time.monotonic(), rtt_of(self)))
    _recheck(self, media_ssrc, limiter)


async def _nack(receiver: RTCRtpReceiver, media_ssrc: int, to_nack: list[int],
                pli: bool) -> None:
    if to_nack:
        await _upstream["receiver_nack"](receiver, media_ssrc, to_nack)
    if pli:
        await _upstream["receiver_pli"](receiver, media_ssrc)
    limiter = _receivers.get(receiver, {}).get(media_ssrc)
    if limiter is not None and limiter.abandoned:
        abandoned, limiter.abandoned = limiter.abandoned, []
        await _fill(receiver, media_ssrc, abandoned)


async def _fill(receiver: RTCRtpReceiver, media_ssrc: int, seqs: list[int]) -> None:
    """Hand aiortc an empty packet for each one given up on. Its jitter buffer would
    otherwise wait for the missing packet until 128 later ones arrived (seconds at a
    low rate); with the hole filled, the damaged frame goes to the decoder (which asks
    for a keyframe when it cannot decode it) and the frames after it flow again."""
    seen = _recent.get(receiver, {}).get(media_ssrc)
    if seen is None:
        return
    payload_type, timestamps = seen
    for seq in seqs:
        timestamp = nearest_timestamp(timestamps, seq)
        if timestamp is None:
            continue
        filler = RtpPacket(payload_type=payload_type, sequence_number=seq,
                           timestamp=timestamp, ssrc=media_ssrc)
        await _upstream["receiver_rtp"](receiver, filler, int(time.time() * 1000))


def _recheck(receiver: RTCRtpReceiver, media_ssrc: int, limiter: NackLimiter) -> None:
    """A round trip from now, NACK again what is still missing (or give up on it)."""
    if not limiter.waiting or receiver in _rechecks:
        return
    loop = asyncio.get_running_loop()
    ref = weakref.ref(receiver)

    def tick() -> None:
        target = ref()
        if target is None:
            return
        _rechecks.pop(target, None)
        to_nack, pli = limiter.due(time.monotonic(), rtt_of(target))
        if to_nack or pli or limiter.abandoned:  # abandoned: holes to fill
            task = loop.create_task(_nack(target, media_ssrc, to_nack, pli))
            _sends.add(task)
            task.add_done_callback(_sends.discard)
        _recheck(target, media_ssrc, limiter)

    _rechecks[receiver] = loop.call_later(max(rtt_of(receiver), MIN_RTT), tick)


async def _receiver_rtp(self: RTCRtpReceiver, packet: Any, arrival_time_ms: int) -> None:
    packet = as_media(self, packet)
    if packet is None:
        return  # as upstream: a retransmission with no packet in it (padding)
    streams = _recent.setdefault(self, {})
    seen = streams.get(packet.ssrc)
    if seen is None or seen[0] != packet.payload_type:
        seen = streams[packet.ssrc] = (packet.payload_type, {})
    seen[1][packet.sequence_number] = packet.timestamp
    if len(seen[1]) > 2 * RECENT:  # trimmed in batches, not a list of the keys a packet
        kept = list(seen[1].items())[-RECENT:]
        seen[1].clear()
        seen[1].update(kept)
    limiter = _receivers.get(self, {}).get(packet.ssrc)
    if limiter is not None:  # a retransmission arrives here unwrapped, as its media packet
        limiter.arrived(packet.sequence_number, time.monotonic())
    await _upstream["receiver_rtp"](self, packet, arrival_time_ms)


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Ask the far sender of what ``receiver`` gets for a keyframe: a PLI, as its
    decoder sends after a loss, within the same spacing. False: nothing received yet,
    or a PLI went out less than the spacing ago."""
    streams = _recent.get(receiver)
    if not streams:
        return False
    media_ssrc = next(iter(streams))  # the first stream seen: media, not retransmissions
    limiter = nack_limiters(receiver).setdefault(media_ssrc, NackLimiter())
    if not limiter.pli_allowed(time.monotonic()):
        return False
    await _upstream["receiver_pli"](receiver, media_ssrc)
    return True


async def _receiver_pli(self: RTCRtpReceiver, media_ssrc: int) -> None:
    limiter = nack_limiters(self).setdefault(media_ssrc, NackLimiter())
    if limiter.pli_allowed(time.monotonic()):
        await _upstream["receiver_pli"](self, media_ssrc)
