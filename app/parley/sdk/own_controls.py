"""Your own media and hand, as the session's public API (mute, pause, hand, share)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.protocol.presence import Flag
from parley.sdk.own_media import OwnMedia

if TYPE_CHECKING:
    from parley.media.screen import ScreenSource


class OwnMediaControls:
    """The own-media half of :class:`~parley.sdk.session.CallSession`'s API: it holds the
    session's OwnMedia part and nothing else of the session.

    Args:
        own: The part that keeps your flags and tells the server and your listeners.
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

    @property
    def has_camera(self) -> bool:
        """False when the call has no camera (none found, or it failed): the others see
        your avatar (presence flag ``no_camera``)."""
        return not self._own.is_on(Flag.NO_CAMERA)

    @property
    def has_microphone(self) -> bool:
        """False when the call has no microphone: the others see you muted
        (presence flag ``no_microphone``)."""
        return not self._own.is_on(Flag.NO_MICROPHONE)

    async def use_device(self, kind: str, device: str | None) -> None:
        """Switch the ``"camera"``, ``"microphone"`` or ``"speaker"`` of the call to
        ``device`` (a ``Device.id`` of the device service; None: the system default).
        It takes effect at once, without renegotiation; one that cannot be opened fires
        on_device_error and the current one stays."""
        await self._own.use_device(kind, device)
