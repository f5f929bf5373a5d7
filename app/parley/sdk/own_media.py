"""What a participant does to their own media: mute, pause, raise a hand, share a screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from parley.protocol.messages import Update
from parley.protocol.presence import OWN_FLAGS, Flag
from parley.sdk.event_types import MediaEvent, flag_event, is_own_media_event

if TYPE_CHECKING:
    from parley.media.screen import ScreenSource


class MediaControls(Protocol):
    """What own media drives in the call's media (``CallMedia``)."""

    def set_audio_muted(self, muted: bool) -> None: ...
    def set_video_paused(self, paused: bool) -> None: ...
    async def start_screen_share(self, source: ScreenSource | None = None) -> bool: ...
    async def stop_screen_share(self) -> None: ...
    async def use_device(self, kind: str, device: str | None) -> None: ...
    @property
    def missing_devices(self) -> frozenset[str]: ...


class Emit(Protocol):
    """Tells MediaEventListeners: ``emit(event, *args)``."""

    def __call__(self, name: MediaEvent, *args: Any) -> None: ...


MISSING_FLAGS = ((Flag.NO_CAMERA, "camera"), (Flag.NO_MICROPHONE, "microphone"))
"""The presence flag that says the call has none of a device, per device kind."""


class OwnMedia:
    """This participant's own flags, the way livekit's ``room.local_participant`` holds
    them. Each change goes to the media, to the room (an ``update`` the others see as
    participant events) and to MediaEventListeners, once: setting a flag to what it
    already is does nothing.

    Args:
        send: Hands an ``update`` to the call server (dropped while not connected).
        emit: Tells MediaEventListeners about a change.
    """

    def __init__(self, send: Callable[[Update], None], emit: Emit) -> None:
        self._send = send
        self._emit = emit
        self._on: set[Flag] = set()
        self._media: MediaControls | None = None

    def is_on(self, flag: Flag) -> bool:
        return flag in self._on

    def reset(self, audio_muted: bool, video_paused: bool) -> None:
        """A new join starts with these flags (and no event)."""
        self._on = {flag for flag, on in ((Flag.AUDIO_MUTED, audio_muted),
                                          (Flag.VIDEO_PAUSED, video_paused)) if on}

    def attach(self, media: MediaControls | None) -> None:
        """Drive ``media`` from now on (None: the call has no media any more)."""
        self._media = media
        if media is not None:
            media.set_audio_muted(self.is_on(Flag.AUDIO_MUTED))
            media.set_video_paused(self.is_on(Flag.VIDEO_PAUSED))

    def resend(self) -> None:
        """Tell the server again (after a resume) every flag that is on."""
        on = [flag for flag in OWN_FLAGS if flag in self._on]
        if on:
            self._send(Update(**{flag.value: True for flag in on}))

    def set(self, flag: Flag, on: bool) -> None:
        """Turn one of the OWN_FLAGS on or off (screen sharing: see start_screen_share)."""
        if flag not in OWN_FLAGS:
            raise ValueError(f"{flag} is the server's to set, not yours")
        if self.is_on(flag) == on:
            return
        if on:
            self._on.add(flag)
        else:
            self._on.discard(flag)
        media = self._media
        if media is not None and flag is Flag.AUDIO_MUTED:
            media.set_audio_muted(on)
        elif media is not None and flag is Flag.VIDEO_PAUSED:
            media.set_video_paused(on)
        self._send(Update(**{flag.value: on}))
        event = flag_event(flag, on)
        if is_own_media_event(event):
            self._emit(event)

    def device_error(self, kind: str, message: str) -> None:
        """The media says a device is missing, failed or was replaced: tell
        MediaEventListeners, and the room which devices the call has none of now."""
        self._emit("on_device_error", kind, message)
        self.sync_devices()

    def sync_devices(self) -> None:
        """Set the NO_CAMERA / NO_MICROPHONE flags to what the media has now."""
        media = self._media
        missing = media.missing_devices if media is not None else frozenset()
        for flag, kind in MISSING_FLAGS:
            self.set(flag, kind in missing)

    async def use_device(self, kind: str, device: str | None) -> None:
        """Switch a device of the call mid-call (see CallSession.use_device)."""
        if self._media is not None:
            await self._media.use_device(kind, device)
        self.sync_devices()

    async def start_screen_share(self, source: ScreenSource | None = None) -> None:
        """Share ``source`` (None: the main screen); a screen that cannot be captured is
        the media's device error (and no on_screen_share_started)."""
        if self.is_on(Flag.SCREEN_SHARING):
            return
        if self._media is not None and not await self._media.start_screen_share(source):
            return
        self.set(Flag.SCREEN_SHARING, True)

    async def stop_screen_share(self) -> None:
        if self._media is not None and self.is_on(Flag.SCREEN_SHARING):
            await self._media.stop_screen_share()
        self.set(Flag.SCREEN_SHARING, False)
