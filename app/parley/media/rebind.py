"""Receivers on m-lines the SFU reuses, and retransmissions: :func:`rebind_ssrcs`.

aiortc 1.16 binds a receiver to the SSRCs of the remote description once, when it
starts (``RTCRtpReceiver.receive`` returns at once after its first call). Janus gives
an m-line freed by a feed that went (its publisher left or was hung up: the m-line is
made ``inactive``) to the next feed subscribed, with that feed's SSRCs. aiortc's RTP
router drops a packet of an SSRC it does not know when more than one receiver shares
its payload type, so a reused m-line never played anything: a participant who
republished, or who joined after someone left, stayed black and silent for the others.

:func:`rebind_ssrcs` adds each m-line's SSRCs in an offer to its receiver's route, and
maps its retransmission SSRC (the ``FID`` group) to the media SSRC, as ``receive``
does for the first ones. It writes two private tables of aiortc (the DTLS transport's
``_rtp_router.ssrc_table`` and the receiver's RTX map): this is the one place, and it
does nothing where they are missing (another aiortc).

The mesh calls it too, for every remote description (:mod:`.link`): aiortc routes only
a receiver's media SSRCs, and a retransmission's SSRC is unknown to it; with two video
m-lines (camera and screen) sharing RTX's payload type, it dropped every retransmission
(round seven: at 5 % loss 0 of ~70 NACKed packets came back, and a third of the frames
shown were broken until the next keyframe). It also notes each m-line's RTX SSRCs and
payload types, and :func:`as_media` (called by :mod:`.rtx` on every packet, before
upstream) unwraps a retransmission into its media packet: upstream then counts it on
the media stream, as libwebrtc does, so the receiver reports the loss left after repair
and the sender's loss-based rate is not cut for packets that came back (upstream
counted them on the RTX stream: at 10 % loss the video target fell to 115k).
"""

from __future__ import annotations

import logging
import weakref

from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.rtp import RtpPacket, unwrap_rtx
from aiortc.sdp import SessionDescription

logger = logging.getLogger(__name__)

_retransmitted: weakref.WeakKeyDictionary[RTCRtpReceiver, tuple[dict[int, int], dict[int, int]]] \
    = weakref.WeakKeyDictionary()
"""Per receiver: its RTX SSRCs' media SSRCs, and its RTX payload types' media ones."""


def rebind_ssrcs(pc: RTCPeerConnection, sdp: str) -> int:
    """Route the SSRCs of each m-line of ``sdp`` (the remote offer just set) to the
    receiver of its mid; the number of SSRCs newly routed."""
    transceivers = {t.mid: t for t in pc.getTransceivers() if t.mid is not None}
    added = 0
    for media in SessionDescription.parse(sdp).media:
        transceiver = transceivers.get(media.rtp.muxId)
        if transceiver is None or not media.ssrc:
            continue
        receiver = transceiver.receiver
        media_ssrcs = {int(g.items[1]): int(g.items[0]) for g in media.ssrc_group
                       if g.semantic == "FID" and len(g.items) == 2}
        media_types = {c.payloadType: int(str(c.parameters["apt"])) for c in media.rtp.codecs
                       if c.mimeType.lower().endswith("/rtx") and "apt" in c.parameters
                       and c.payloadType is not None}
        if media_ssrcs and media_types:
            known = _retransmitted.setdefault(receiver, ({}, {}))
            known[0].update(media_ssrcs)
            known[1].update(media_types)
        table = getattr(getattr(receiver.transport, "_rtp_router", None), "ssrc_table", None)
        rtx = getattr(receiver, "_RTCRtpReceiver__rtx_ssrc", None)
        if not isinstance(table, dict) or not isinstance(rtx, dict):
            return added
        for ssrc in media.ssrc:
            if table.get(ssrc.ssrc) is not receiver:
                table[ssrc.ssrc] = receiver
                added += 1
        for group in media.ssrc_group:
            if group.semantic == "FID" and len(group.items) == 2:
                rtx[int(group.items[1])] = int(group.items[0])
    return added


def as_media(receiver: RTCRtpReceiver, packet: RtpPacket) -> RtpPacket | None:
    """The media packet a retransmission for ``receiver`` carries (None: it carries
    none, only padding), or ``packet`` itself when it is no retransmission the remote
    description declared for it."""
    retransmitted = _retransmitted.get(receiver)
    if retransmitted is None or packet.ssrc not in retransmitted[0]:
        return packet
    media_type = retransmitted[1].get(packet.payload_type)
    if media_type is None:
        return packet
    if len(packet.payload) < 2:
        return None
    return unwrap_rtx(packet, payload_type=media_type, ssrc=retransmitted[0][packet.ssrc])
