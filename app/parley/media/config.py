"""What the media layer is asked to do: :class:`MediaConfig`."""

from __future__ import annotations

from dataclasses import dataclass

from parley.protocol.messages import IceServer


@dataclass(frozen=True)
class MediaConfig:
    """Options of a :class:`~parley.media.mesh.MediaMesh`; validated on construction."""

    fake_media: bool = False
    """Synthetic sources (moving test pattern, tone) instead of devices; playback goes
    to the null sink unless ``speaker`` names a device."""
    audio: bool = True
    """Capture audio. False sends silence (the track stays, so nothing renegotiates)."""
    video: bool = True
    """Capture video. False sends small black frames, like a paused camera."""
    video_size: tuple[int, int] = (640, 480)
    """Capture (and synthetic pattern) size, width x height."""
    fps: int = 30
    """Capture (and synthetic pattern) frame rate."""
    camera: str | None = None
    """Camera id from :func:`parley.media.devices.list_cameras`; None = the default one."""
    microphone: str | None = None
    """Microphone name or index (as sounddevice takes it); None = the default one."""
    speaker: str | None = None
    """Speaker name or index; None = the default one; ``"null"`` = the null sink."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers. Empty means host candidates only (never a public default)."""
    liveness_timeout: float = 2.0
    """Seconds without a heartbeat pong after which a peer counts as reconnecting (the
    floor: 4 x the measured round trip when that is longer)."""
    heartbeat_interval: float = 0.5
    """Seconds between heartbeat pings on each peer's data channel."""
    stall_timeout: float = 3.0
    """Seconds without any media from a peer after which its media counts as stalled:
    a quality signal only, never a reason to rebuild."""
    unreachable_after: float = 10.0
    """Seconds without a connected path to a peer after which its media counts as
    unreachable (an event: a firewall, or no TURN server, is in the way)."""
    echo: bool = False
    """Send back what is received instead of capturing (the Test call's echo
    participant); remote audio is not played."""
    echo_cancellation: bool = True
    """Remove what the speaker plays from the microphone (libwebrtc's APM,
    :mod:`parley.media.processing`); applies to a real microphone only."""
    noise_suppression: bool = True
    """Reduce steady background noise in the microphone."""
    auto_gain_control: bool = True
    """Keep the microphone's level even."""
    encode_once: bool = True
    """Encode each local video track once for every peer (:mod:`parley.media.shared`:
    at most two layers, each peer's sender packetising the one that fits its
    estimate); False gives every peer connection an encoder of its own."""
    tone_hz: float | None = None
    """Frequency of the synthetic tone (fake media); None picks one of 300-1000 Hz from
    the participant id, so each participant is recognisable in a recording."""

    def __post_init__(self) -> None:
        width, height = self.video_size
        if width < 64 or height < 64 or width % 2 or height % 2:
            raise ValueError(f"video_size must be even and at least 64x64, got {self.video_size}")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"fps must be 1-60, got {self.fps}")
        if self.liveness_timeout <= 0:
            raise ValueError("liveness_timeout must be positive")
        if not 0 < self.heartbeat_interval < self.liveness_timeout:
            raise ValueError("heartbeat_interval must be positive and below liveness_timeout")
        if self.stall_timeout <= 0:
            raise ValueError("stall_timeout must be positive")
        if self.unreachable_after <= 0:
            raise ValueError("unreachable_after must be positive")
        if self.tone_hz is not None and not 20.0 <= self.tone_hz <= 20000.0:
            raise ValueError("tone_hz must be 20-20000")
