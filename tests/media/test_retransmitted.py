"""A retransmission counts as the media packet it carries (RFC 4588 RTX, unwrapped by
Parley before aiortc sees it), on a connection with two video m-lines (camera and
screen), which share RTX's payload type: the remote description says which RTX SSRC
belongs to which receiver."""

from __future__ import annotations

from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.rtp import RtpPacket, wrap_rtx
from aiortc.sdp import SessionDescription

from parley.media.rebind import as_media, rebind_ssrcs


async def test_a_retransmission_reaches_its_receiver_as_its_media_packet() -> None:
    a, b = RTCPeerConnection(), RTCPeerConnection()
    try:
        for _ in range(2):  # camera and screen
            a.addTransceiver(VideoStreamTrack(), direction="sendrecv")
        await a.setLocalDescription(await a.createOffer())
        offer = a.localDescription.sdp
        await b.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        rebind_ssrcs(b, offer)
        media = SessionDescription.parse(offer).media[1]  # the screen's m-line
        media_ssrc, rtx_ssrc = (int(x) for x in media.ssrc_group[0].items)
        codecs = media.rtp.codecs
        vp8 = next(c for c in codecs if c.mimeType == "video/VP8")
        rtx_type = next(c.payloadType for c in codecs
                        if c.mimeType == "video/rtx" and c.parameters["apt"] == vp8.payloadType)
        lost = RtpPacket(payload_type=vp8.payloadType, sequence_number=4242, timestamp=90,
                         ssrc=media_ssrc, payload=b"\x10\x00picture")
        resent = wrap_rtx(lost, payload_type=rtx_type, sequence_number=7, ssrc=rtx_ssrc)
        screen, camera = b.getTransceivers()[1].receiver, b.getTransceivers()[0].receiver

        back = as_media(screen, resent)
        assert back is not None
        assert (back.ssrc, back.payload_type, back.sequence_number, back.payload) == (
            media_ssrc, vp8.payloadType, 4242, lost.payload)
        assert as_media(camera, resent) is resent  # not the camera's retransmission
        assert as_media(screen, lost) is lost  # a media packet stays as it is
        padding = wrap_rtx(lost, payload_type=rtx_type, sequence_number=8, ssrc=rtx_ssrc)
        padding.payload = b""
        assert as_media(screen, padding) is None
    finally:
        await a.close()
        await b.close()
