"""OwnMediaActions: the call screen's buttons for your own media, as qasync slots.

Each slot acts on the session only while it is joined; what the buttons then show
comes back through ParticipantFeed's ``own`` state and its ``ownMediaChanged``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject

from parley.media.screen import ScreenSource
from parley.qt.options import OwnMedia
from parley.qt.problems import Problem, ProblemKind
from parley.qt.slots import async_slot
from parley.sdk import CallSession, SessionSettings

log = logging.getLogger(__name__)


class OwnMediaActions(QObject):
    """Mute, camera, hand and screen share for the controller's session.

    Args:
        joined: The session while it is joined and the controller alive, else None.
        own: Your own media as the UI shows it now.
        problem: Tells the UI about a failure (the controller's ``mediaError``).
    """

    def __init__(self, joined: Callable[[], CallSession | None], own: Callable[[], OwnMedia],
                 problem: Callable[[Problem], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._joined = joined
        self._own = own
        self._problem = problem
        self.share_description = ""
        """What the current (or last) screen share shows, as the picker named it."""
        self._joined_with: SessionSettings | None = None
        self._in_use: dict[str, str | None] = {}

    @async_slot()
    async def toggleAudio(self) -> None:  # noqa: N802 - Qt naming
        if (s := self._joined()) is not None:
            s.unmute_audio() if self._own().audio_muted else s.mute_audio()

    @async_slot()
    async def toggleVideo(self) -> None:  # noqa: N802
        if (s := self._joined()) is not None:
            s.resume_video() if self._own().video_paused else s.pause_video()

    @async_slot()
    async def toggleHand(self) -> None:  # noqa: N802
        if (s := self._joined()) is not None:
            s.lower_hand() if self._own().hand_raised else s.raise_hand()

    @async_slot()
    async def toggleScreenShare(self) -> None:  # noqa: N802
        """Stop sharing, or share the main screen."""
        await self._share(None, stop=self._own().screen_sharing)

    @async_slot(object)
    async def startScreenShare(self, source: object) -> None:  # noqa: N802
        """Share ``source`` (a ScreenSource the picker chose; None: the main screen)."""
        await self._share(source if isinstance(source, ScreenSource) else None, stop=False)

    @async_slot(str, str, str)
    async def useDevices(self, camera: str, microphone: str, speaker: str) -> None:  # noqa: N802
        """Switch the call to these device ids ("" = the system default), each that
        differs from the one in use: at once, without renegotiation (a device that
        cannot be opened is the media's device error, and the call keeps the old one)."""
        s = self._joined()
        if s is None or s.settings is None:
            return
        if self._joined_with is not s.settings:  # a new call: it uses what it joined with
            self._joined_with, joined = s.settings, s.settings.devices
            self._in_use = {"camera": joined.camera, "microphone": joined.microphone,
                            "speaker": joined.speaker}
        for kind, device in (("camera", camera), ("microphone", microphone),
                             ("speaker", speaker)):
            if self._in_use.get(kind) != (device or None):
                self._in_use[kind] = device or None
                await s.use_device(kind, device or None)

    async def _share(self, source: ScreenSource | None, stop: bool) -> None:
        if (s := self._joined()) is None:
            return
        try:
            if stop:
                await s.stop_screen_share()
            else:
                self.share_description = source.title if source is not None else "Entire screen"
                await s.start_screen_share(source)
        except Exception as exc:  # a UI boundary: a failed share is a message
            log.exception("screen share toggle failed")
            self._problem(Problem(ProblemKind.SHARE_FAILED, str(exc)))
