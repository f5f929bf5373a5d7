"""Plain values between the widgets and the controller (the UI never calls the SDK)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class JoinOptions:
    """What the join form collected; the controller turns it into SessionSettings."""

    display_name: str
    """The name the others see."""
    start_audio_muted: bool = False
    """Join with the microphone off."""
    start_video_paused: bool = False
    """Join with the camera off."""
    camera: str = ""
    """Camera id (as the DeviceService lists it); empty means the system default."""
    microphone: str = ""
    """Microphone id; empty means the system default."""
    speaker: str = ""
    """Speaker id; empty means the system default."""
    echo_cancellation: bool = True
    """Audio processing switches, from the settings dialog."""
    noise_suppression: bool = True
    auto_gain_control: bool = True
    alternates: tuple[str, ...] = ()
    """The invite's other addresses of the call's server, tried in order when it is unreachable."""


class OwnMedia(NamedTuple):
    """Your own media and hand, as the control bar shows them."""

    audio_muted: bool = False
    video_paused: bool = False
    screen_sharing: bool = False
    hand_raised: bool = False


class ParticipantLike(Protocol):
    """What the widgets read of a participant (the SDK's ``Participant`` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def audio_muted(self) -> bool: ...

    @property
    def video_paused(self) -> bool: ...

    @property
    def hand_raised(self) -> bool: ...

    @property
    def screen_sharing(self) -> bool: ...

    @property
    def reconnecting(self) -> bool: ...

    @property
    def no_camera(self) -> bool:
        """They have no camera: show their avatar."""
        ...

    @property
    def no_microphone(self) -> bool:
        """They have no microphone: show the mic-off badge."""
        ...

    @property
    def is_local(self) -> bool: ...

    @property
    def media_unreachable(self) -> bool:
        """No media path to them connected for 10 s (a firewall, or no TURN server)."""
        ...

    @property
    def video_paused_for_bandwidth(self) -> bool:
        """Their camera video to you is paused: their uplink is too slow for it."""
        ...

    @property
    def verified(self) -> bool:
        """The name is an identity grant's (the server vouches for it), not self-chosen."""
        ...
