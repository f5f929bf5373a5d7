"""What a participant does to their own media: mute, pause, raise a hand, share a screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.protocol.messages import Update
from parley.sdk.listeners import ListenerRegistry, MediaEventListener

if TYPE_CHECKING:
    from parley.sdk.media_bridge import MediaBridge
    from parley.sdk.signaling import SignalingLink

_OWN_EVENTS = {
    ("audio_muted", True): "on_audio_muted", ("audio_muted", False): "on_audio_unmuted",
    ("video_paused", True): "on_video_paused", ("video_paused", False): "on_video_resumed",
    ("screen_sharing", True): "on_screen_share_started",
    ("screen_sharing", False): "on_screen_share_stopped",
    ("hand_raised", True): "on_hand_raised", ("hand_raised", False): "on_hand_lowered",
}


class OwnMediaControls:
    """CallSession's own-media actions. Each change goes to the media, to the room
    (an ``update`` the others see as participant events) and to MediaEventListeners,
    once: setting a flag to what it already is does nothing."""

    _own: dict[str, bool]
    _media: MediaBridge | None
    _link: SignalingLink | None
    _media_listeners: ListenerRegistry[MediaEventListener]

    def mute_audio(self) -> None:
        self._set_own("audio_muted", True)

    def unmute_audio(self) -> None:
        self._set_own("audio_muted", False)

    def pause_video(self) -> None:
        self._set_own("video_paused", True)

    def resume_video(self) -> None:
        self._set_own("video_paused", False)

    def raise_hand(self) -> None:
        self._set_own("hand_raised", True)

    def lower_hand(self) -> None:
        self._set_own("hand_raised", False)

    async def start_screen_share(self) -> None:
        """Share the screen; a screen that cannot be captured fires on_device_error
        (and no on_screen_share_started)."""
        if self._own["screen_sharing"]:
            return
        if self._media is not None and not await self._media.set_screen_share(True):
            return
        self._set_own("screen_sharing", True)

    async def stop_screen_share(self) -> None:
        if self._media is not None and self._own["screen_sharing"]:
            await self._media.set_screen_share(False)
        self._set_own("screen_sharing", False)

    def audio_level(self, participant_id: str) -> float:
        """How loud a remote participant is heard here, 0..1 (smoothed RMS)."""
        return self._media.audio_level(participant_id) if self._media is not None else 0.0

    def stats(self) -> dict[str, Any]:
        """Per remote participant: bitrate, frame rate, round-trip time, packet loss."""
        return self._media.stats() if self._media is not None else {}

    def _set_own(self, flag: str, value: bool) -> None:
        if self._own[flag] == value:
            return
        self._own[flag] = value
        if self._media is not None:
            self._media.apply_own(flag, value)
        if self._link is not None:
            self._link.send(Update(**{flag: value}))
        event = _OWN_EVENTS.get((flag, value))
        if event is not None:
            self._media_listeners.emit(event)
