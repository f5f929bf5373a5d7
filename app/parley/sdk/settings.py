"""SessionSettings: what a session is joined with, validated on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from parley.protocol.messages import IceServer
from parley.protocol.names import check_display_name


class SessionType(Enum):
    """Whether the call sends video."""

    VIDEO = "video"
    AUDIO = "audio"


_MAX_IDLE = 24 * 3600.0
_MAX_RECONNECT = 3600.0


def _check_seconds(name: str, value: Any, low: float, high: float, zero_ok: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    if zero_ok and value == 0:
        return
    if not low <= value <= high:
        extra = " (0 disables it)" if zero_ok else ""
        raise ValueError(
            f"{name} must be between {low:g} and {high:g} seconds{extra}, got {value!r}"
        )


@dataclass(frozen=True)
class Devices:
    """Device choices by name; None means the system default."""

    camera: str | None = None
    microphone: str | None = None
    speaker: str | None = None

    def __post_init__(self) -> None:
        for kind in ("camera", "microphone", "speaker"):
            name = getattr(self, kind)
            if name is not None and (not isinstance(name, str) or not name.strip()):
                raise ValueError(
                    f"devices.{kind} must be a device name or None (the system default), "
                    f"got {name!r}")


@dataclass(frozen=True)
class SessionSettings:
    """How to join a session. Validated on construction (ValueError names the field)."""

    display_name: str
    """The name the others see (1-64 printable characters)."""
    session_type: SessionType = SessionType.VIDEO
    """VIDEO sends camera video; AUDIO sends none."""
    idle_timeout_period: float = 300.0
    """Seconds alone in the call before it ends with on_session_timed_out; 0 disables."""
    reconnect_timeout: float = 30.0
    """Seconds of trying to reconnect before on_connection_closed."""
    start_audio_muted: bool = False
    """Join with the microphone muted."""
    start_video_paused: bool = False
    """Join with the camera paused."""
    devices: Devices = field(default_factory=Devices)
    """Camera, microphone and speaker by name."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers, added to those the call server announces."""
    fake_media: bool = False
    """Use synthetic test-pattern video and a tone instead of devices."""
    media: bool = True
    """Send and receive audio/video at all (False: signaling only, for bots and load tests)."""
    echo: bool = False
    """Send back what is received instead of capturing (the Test call's echo participant,
    see :func:`parley.sdk.echo.start_echo`)."""
    echo_cancellation: bool = True
    """Remove what the speaker plays from the microphone (libwebrtc's APM through the
    livekit wheel, :mod:`parley.media.processing`; with all three off the microphone is
    sent as captured)."""
    noise_suppression: bool = True
    """Reduce steady background noise in the microphone (see echo_cancellation)."""
    auto_gain_control: bool = True
    """Keep the microphone's level even (see echo_cancellation)."""

    def __post_init__(self) -> None:
        try:
            # The canonical form (NFC, trimmed) is what is sent and shown.
            object.__setattr__(self, "display_name", check_display_name(self.display_name))
        except ValueError as exc:
            raise ValueError(f"{exc}, got {self.display_name!r}") from None
        if not isinstance(self.session_type, SessionType):
            raise ValueError(f"session_type must be a SessionType, got {self.session_type!r}")
        _check_seconds("idle_timeout_period", self.idle_timeout_period, 1.0, _MAX_IDLE, True)
        _check_seconds("reconnect_timeout", self.reconnect_timeout, 0.5, _MAX_RECONNECT, False)
        for flag in ("start_audio_muted", "start_video_paused", "fake_media", "media", "echo",
                     "echo_cancellation", "noise_suppression", "auto_gain_control"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be True or False")
        if not isinstance(self.devices, Devices):
            raise ValueError(f"devices must be a Devices, got {self.devices!r}")
        if not isinstance(self.ice_servers, tuple) or not all(
            isinstance(s, IceServer) for s in self.ice_servers
        ):
            raise ValueError("ice_servers must be a tuple of IceServer")


class SessionSettingsBuilder:
    """Seed-style builder: ``SessionSettingsBuilder().set_idle_timeout_period(120).build()``."""

    def __init__(self, display_name: str = "Guest") -> None:
        self._values: dict[str, Any] = {"display_name": display_name}

    def _set(self, key: str, value: Any) -> SessionSettingsBuilder:
        self._values[key] = value
        return self

    def set_display_name(self, name: str) -> SessionSettingsBuilder:
        return self._set("display_name", name)

    def set_session_type(self, session_type: SessionType) -> SessionSettingsBuilder:
        return self._set("session_type", session_type)

    def set_idle_timeout_period(self, seconds: float) -> SessionSettingsBuilder:
        return self._set("idle_timeout_period", seconds)

    def set_reconnect_timeout(self, seconds: float) -> SessionSettingsBuilder:
        return self._set("reconnect_timeout", seconds)

    def set_start_audio_muted(self, muted: bool) -> SessionSettingsBuilder:
        return self._set("start_audio_muted", muted)

    def set_start_video_paused(self, paused: bool) -> SessionSettingsBuilder:
        return self._set("start_video_paused", paused)

    def set_devices(self, devices: Devices) -> SessionSettingsBuilder:
        return self._set("devices", devices)

    def set_ice_servers(self, servers: tuple[IceServer, ...]) -> SessionSettingsBuilder:
        return self._set("ice_servers", tuple(servers))

    def set_fake_media(self, fake: bool) -> SessionSettingsBuilder:
        return self._set("fake_media", fake)

    def set_audio_processing(self, echo_cancellation: bool = True, noise_suppression: bool = True,
                             auto_gain_control: bool = True) -> SessionSettingsBuilder:
        self._set("echo_cancellation", echo_cancellation)
        self._set("noise_suppression", noise_suppression)
        return self._set("auto_gain_control", auto_gain_control)

    def build(self) -> SessionSettings:
        """Validate and return the settings (ValueError names the bad field)."""
        return SessionSettings(**self._values)
