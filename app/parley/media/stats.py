"""Per-peer numbers: :class:`PeerStats`, computed from getStats deltas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.media.ice import IcePath


@dataclass(frozen=True)
class PeerStats:
    """Inbound quality of one remote participant, over the last stats interval."""

    state: str
    """connecting, connected, reconnecting or closed."""
    generation: int
    """Which RTCPeerConnection of the pair (rebuilt ones count up)."""
    bitrate_kbps: float = 0.0
    """Received bits per second over the transport, in kbit/s."""
    fps: float = 0.0
    """Decoded camera frames per second."""
    rtt_ms: float | None = None
    """Round-trip time from RTCP receiver reports, when known."""
    packet_loss: float = 0.0
    """Fraction of inbound RTP packets lost (0..1)."""
    path: IcePath | None = None
    """The candidate pair the media takes (host, srflx or relay; udp, tcp or tls),
    None until connected."""
    audio_frames: int = 0
    """Audio frames (20 ms each) decoded from the participant on this connection so far:
    with the RTP counts below, how intact its audio is (bench/links.py)."""
    audio_packets: int = 0
    """Audio RTP packets received on this connection so far."""
    audio_packets_lost: int = 0
    """Audio RTP packets lost on this connection so far (as the receiver counts them)."""


class StatsMeter:
    """Turns successive getStats reports into rates."""

    def __init__(self) -> None:
        self._time: float | None = None
        self._bytes = 0
        self._received = 0
        self._lost = 0
        self._frames = 0
        self.bitrate_kbps = 0.0
        self.fps = 0.0
        self.rtt_ms: float | None = None
        self.packet_loss = 0.0
        self.audio_frames = self.audio_packets = self.audio_packets_lost = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def update(self, now: float, report: dict[str, Any], frames: int,
               audio_frames: int = 0) -> None:
        """Feed a getStats report and the decoded camera (and audio) frame counts at
        ``now``."""
        received = lost = bytes_ = 0
        audio_received = audio_lost = 0
        rtts = []
        for stats in report.values():
            kind = getattr(stats, "type", "")
            if kind == "inbound-rtp":
                received += stats.packetsReceived
                lost += max(0, stats.packetsLost)
                if getattr(stats, "kind", "") == "audio":
                    audio_received += stats.packetsReceived
                    audio_lost += max(0, stats.packetsLost)
            elif kind == "remote-inbound-rtp" and stats.roundTripTime is not None:
                rtts.append(stats.roundTripTime)
            elif kind == "transport":
                bytes_ = max(bytes_, stats.bytesReceived)
        if self._time is not None and now > self._time:
            dt = now - self._time
            self.bitrate_kbps = max(0, bytes_ - self._bytes) * 8 / dt / 1000
            self.fps = max(0, frames - self._frames) / dt
            d_received, d_lost = received - self._received, lost - self._lost
            total = d_received + d_lost
            self.packet_loss = d_lost / total if total > 0 and d_lost > 0 else 0.0
        if rtts:
            self.rtt_ms = max(rtts) * 1000
        self.audio_frames, self.audio_packets, self.audio_packets_lost = (
            audio_frames, audio_received, audio_lost)
        self._time, self._bytes, self._received, self._lost, self._frames = (
            now, bytes_, received, lost, frames)

    def snapshot(self, state: str, generation: int, path: IcePath | None = None) -> PeerStats:
        return PeerStats(state, generation, round(self.bitrate_kbps, 1), round(self.fps, 1),
                         None if self.rtt_ms is None else round(self.rtt_ms, 1),
                         round(self.packet_loss, 4), path, self.audio_frames,
                         self.audio_packets, self.audio_packets_lost)
