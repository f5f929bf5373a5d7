"""Plain values the widgets hand to the controller (the UI never imports the SDK)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
    """Camera id (as listed in DeviceLists); empty means the system default."""
    microphone: str = ""
    """Microphone id; empty means the system default."""
    speaker: str = ""
    """Speaker id; empty means the system default."""


@dataclass(frozen=True)
class DeviceLists:
    """The devices the join form offers, each as (id, human-readable name)."""

    cameras: list[tuple[str, str]] = field(default_factory=list)
    """Video capture devices."""
    microphones: list[tuple[str, str]] = field(default_factory=list)
    """Audio input devices."""
    speakers: list[tuple[str, str]] = field(default_factory=list)
    """Audio output devices."""


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
    def is_local(self) -> bool: ...
