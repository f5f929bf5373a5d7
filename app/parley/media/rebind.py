"""Receivers on m-lines the SFU reuses: :func:`rebind_ssrcs`.

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
"""

from __future__ import annotations

import logging

from aiortc import RTCPeerConnection
from aiortc.sdp import SessionDescription

from parley.media import rtx as retransmission

logger = logging.getLogger(__name__)


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
            retransmission.note_retransmissions(receiver, media_ssrcs, media_types)
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
