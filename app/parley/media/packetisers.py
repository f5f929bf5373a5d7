"""What a sender of a shared encoder's packets builds instead of an encoder:
:func:`packetiser`.

A mesh sender reads either raw frames (it encodes them itself) or a shared encoder's
packets (:mod:`.shared` for video, :mod:`.shared_audio` for the microphone), which it
only packetises. The packets are of one codec; a sender that negotiated another one
switches its track to raw frames (``use_frames``) and gets an encoder of its own.
"""

from __future__ import annotations

from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamTrack

from parley.media.shared import LayerTrack, PacketEncoder
from parley.media.shared_audio import AudioPacketTrack, OpusPacketEncoder

PacketTrack = LayerTrack | AudioPacketTrack


def packet_codec(track: MediaStreamTrack | None) -> str | None:
    """The codec (lower-case MIME type) of the packets ``track`` gives; None: frames."""
    if isinstance(track, LayerTrack):
        return "video/vp8"
    if isinstance(track, AudioPacketTrack):
        return "audio/opus"
    return None


def frames_unless(track: MediaStreamTrack | None, mime: str) -> None:
    """Switch a packet track to raw frames when its sender negotiated another codec."""
    codec = packet_codec(track)
    if codec is not None and codec != mime.lower():
        assert isinstance(track, PacketTrack)
        track.use_frames()


def packetiser(track: MediaStreamTrack | None, mime: str) -> Encoder | None:
    """The packetiser of a sender reading ``track`` on codec ``mime``; None when it
    must encode itself (``track`` gives frames, or is switched to them now)."""
    frames_unless(track, mime)
    if isinstance(track, LayerTrack) and packet_codec(track) == mime.lower():
        return PacketEncoder(track)
    if isinstance(track, AudioPacketTrack) and packet_codec(track) == mime.lower():
        return OpusPacketEncoder(track)
    return None
