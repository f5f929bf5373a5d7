"""A participant's presence on the wire: the flags, defined once for the server
(its seats), the SDK (its participants) and the protocol (:class:`ParticipantInfo`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Flag(Enum):
    """One presence flag; the value is its field name on the wire."""

    AUDIO_MUTED = "audio_muted"
    """The microphone is muted (silence is sent)."""
    VIDEO_PAUSED = "video_paused"
    """The camera is off (small black frames are sent)."""
    HAND_RAISED = "hand_raised"
    SCREEN_SHARING = "screen_sharing"
    """The screen goes out on the second video track."""
    RECONNECTING = "reconnecting"
    """The participant's link is down and the server keeps its seat."""
    NO_CAMERA = "no_camera"
    """The participant has no camera (none found, or it failed to open): show its avatar."""
    NO_MICROPHONE = "no_microphone"
    """The participant has no microphone (none found, or it failed to open): nothing it
    sends is heard, so show it as muted."""


OWN_FLAGS = (Flag.AUDIO_MUTED, Flag.VIDEO_PAUSED, Flag.HAND_RAISED, Flag.SCREEN_SHARING,
             Flag.NO_CAMERA, Flag.NO_MICROPHONE)
"""The flags a participant sets itself (``update``); ``reconnecting`` is the server's."""

STANDING = ("guest", "verified", "host")
"""How a participant got in (fixed for the seat's life, never an event): the
:class:`ParticipantInfo` fields that are not flags."""


@dataclass(frozen=True)
class ParticipantInfo:
    """One participant of a room as the server reports it: who, and every :class:`Flag`
    (one field each, named by the flag's value)."""

    id: str
    """Server-assigned participant id, stable across resumes."""
    name: str
    """Display name given at join."""
    audio_muted: bool = False
    video_paused: bool = False
    hand_raised: bool = False
    screen_sharing: bool = False
    reconnecting: bool = False
    """True while the participant's link is down and the server keeps its seat."""
    no_camera: bool = False
    """The participant has no camera: its tile shows the avatar."""
    no_microphone: bool = False
    """The participant has no microphone: its tile shows the mic-off badge."""
    guest: bool = False
    """Let in by an invite, under a name of its own choosing (never with ``verified``)."""
    verified: bool = False
    """The name is the one an identity grant signed: the server vouches for it."""
    host: bool = False
    """The call's host: may end it for everyone (an identity grant with ``host``)."""

    @classmethod
    def with_flags(cls, id: str, name: str, on: Iterable[Flag],
                   **standing: bool) -> ParticipantInfo:
        """The participant ``id`` with exactly the flags ``on`` set, and its standing
        (``guest``, ``verified``, ``host``)."""
        flags: dict[str, Any] = {flag.value: True for flag in on}
        return cls(id, name, **flags, **standing)

    def flag(self, flag: Flag) -> bool:
        """Whether ``flag`` is set."""
        value: bool = getattr(self, flag.value)
        return value
