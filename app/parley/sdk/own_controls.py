"""Your own media and hand, as CallSession offers them (livekit's ``LocalParticipant``):
the session's public face of its :class:`~parley.sdk.own_media.OwnMedia` part."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.protocol.presence import Flag
from parley.sdk.own_media import OwnMedia

if TYPE_CHECKING:
    from parley.media.screen import ScreenSource


class OwnControls:
    """Mute, pause, raise a hand, share a screen - and whether each is on.

    Args:
        own: The part that holds the flags and tells the media, the room and the
            MediaEventListeners about each change.
    """

    def __init__(self, own: OwnMedia) -> None:
        self._own = own

    @property
    def is_audio_muted(self) -> bool:
        return self._own.is_on(Flag.AUDIO_MUTED)

    @property
    def is_video_paused(self) -> bool:
        return self._own.is_on(Flag.VIDEO_PAUSED)

    @property
    def hand_raised(self) -> bool:
        return self._own.is_on(Flag.HAND_RAISED)

    @property
    def screen_sharing(self) -> bool:
        return self._own.is_on(Flag.SCREEN_SHARING)

    # ------------------------------------------------------------ own media

    def mute_audio(self) -> None:
        self._own.set(Flag.AUDIO_MUTED, True)

    def unmute_audio(self) -> None:
        self._own.set(Flag.AUDIO_MUTED, False)

    def pause_video(self) -> None:
        self._own.set(Flag.VIDEO_PAUSED, True)

    def resume_video(self) -> None:
        self._own.set(Flag.VIDEO_PAUSED, False)

    def raise_hand(self) -> None:
        self._own.set(Flag.HAND_RAISED, True)

    def lower_hand(self) -> None:
        self._own.set(Flag.HAND_RAISED, False)

    async def start_screen_share(self, source: ScreenSource | None = None) -> None:
        """Share ``source`` - a screen or a window the picker offers; None: the main
        screen. One that cannot be captured fires on_device_error (and no
        on_screen_share_started)."""
        await self._own.start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self._own.stop_screen_share()
