"""The SDK's event names, typed: each is a ``Literal`` of a listener's callbacks (as
livekit-rtc's ``EventTypes``), so mypy catches a misspelt event; and the one table of
which event a presence flag fires."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeGuard, get_args

from parley.protocol.presence import Flag

SessionStatusEvent = Literal[
    "on_session_joined", "on_session_left", "on_session_timed_out", "on_connection_lost",
    "on_connection_restored", "on_connection_closed", "on_waiting_for_host",
    "on_idle_warning",
]
"""The callbacks of :class:`SessionStatusListener`."""
FlagEvent = Literal[
    "on_audio_muted", "on_audio_unmuted", "on_video_paused", "on_video_resumed",
    "on_hand_raised", "on_hand_lowered", "on_screen_share_started", "on_screen_share_stopped",
    "on_participant_reconnecting", "on_participant_restored",
]
"""The participant events a presence flag fires (see FLAG_EVENTS)."""
ParticipantEvent = Literal[
    FlagEvent, "on_participant_joined", "on_participant_left", "on_participant_list_changed",
    "on_dominant_speaker_changed", "on_join_request", "on_join_request_ended",
    "on_media_stalled", "on_media_flowing", "on_media_unreachable", "on_media_reachable",
]
"""The callbacks of :class:`ParticipantEventListener`."""
OwnMediaEvent = Literal[
    "on_audio_muted", "on_audio_unmuted", "on_video_paused", "on_video_resumed",
    "on_hand_raised", "on_hand_lowered", "on_screen_share_started", "on_screen_share_stopped",
]
"""What your own flag changes fire on a :class:`MediaEventListener`."""
MediaEvent = Literal[OwnMediaEvent, "on_device_error"]
"""The callbacks of :class:`MediaEventListener`."""


def is_own_media_event(name: str) -> TypeGuard[OwnMediaEvent]:
    """Whether a flag's event is also one of your own media events."""
    return name in get_args(OwnMediaEvent)


FLAG_EVENTS: Mapping[Flag, tuple[FlagEvent, FlagEvent]] = MappingProxyType({
    Flag.AUDIO_MUTED: ("on_audio_muted", "on_audio_unmuted"),
    Flag.VIDEO_PAUSED: ("on_video_paused", "on_video_resumed"),
    Flag.HAND_RAISED: ("on_hand_raised", "on_hand_lowered"),
    Flag.SCREEN_SHARING: ("on_screen_share_started", "on_screen_share_stopped"),
    Flag.RECONNECTING: ("on_participant_reconnecting", "on_participant_restored"),
})
"""Per presence flag: the event when it turns on, and when it turns off. Participant
listeners get each; your own MediaEventListeners get those that are media events."""


def flag_event(flag: Flag, on: bool) -> FlagEvent:
    """The event ``flag`` turning on (or off) fires."""
    when_on, when_off = FLAG_EVENTS[flag]
    return when_on if on else when_off
