"""VideoFeed: everyone's video as QImages for their tiles, converted off the GUI thread.

The feed is the session's one video sink. Per participant it picks what the tile
shows (a remote presenter's screen; otherwise, and always on your own tile, the
camera), admits a frame only when that participant's previous one was painted
(``FrameThrottle``), and converts it yuv -> RGB -> QImage on its own worker thread.
The QImage is emitted as ``frameReady`` on the loop's (the GUI) thread. A frame that
arrives while its participant's previous one is still converting or unpainted is
dropped, never queued, so a view that falls behind shows the newest video it can.
``dispose()`` removes the sink and joins the worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from parley.qt.frames import FrameThrottle, RgbFrame, frame_to_qimage
from parley.qt.options import ParticipantLike
from parley.qt.participants import ParticipantFeed
from parley.sdk import CallSession

log = logging.getLogger(__name__)

WORKER_NAME = "parley-video"
"""The name (prefix) of the conversion thread."""

Converter = Callable[[RgbFrame], QImage]


class VideoFeed(QObject):
    """Frames from the session's video sink in, one QImage per tile out.

    Args:
        session: The session whose video is shown.
        convert: Turns a frame into a QImage, on the worker thread (``frame_to_qimage``;
            a test may wrap it to hold or observe the conversion).
        stale_after: Seconds after which a frame the view never acknowledged stops
            holding back the next one (a hidden view must not stall the video).
    """

    frameReady = Signal(str, QImage)  # participant id, the frame (a copy)

    def __init__(self, session: CallSession, *, convert: Converter = frame_to_qimage,
                 stale_after: float = 0.25, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._convert = convert
        self._throttle = FrameThrottle(stale_after)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER_NAME)
        self._presenters: set[str] = set()  # remote ids whose screen goes on their tile
        self._disposed = False
        # One bound-method object for add and remove: the SDK removes sinks by identity.
        self._sink = self.deliver
        session.add_video_sink(self._sink)

    @property
    def dropped_frames(self) -> int:
        """Frames dropped because the view had not painted the previous one yet."""
        return self._throttle.dropped

    def shown_track(self, participant_id: str) -> str:
        """What ``participant_id``'s tile shows: "screen" for a remote presenter, else
        "camera" (your own shared screen would be a mirror of what you look at)."""
        return "screen" if participant_id in self._presenters else "camera"

    # -- who presents -----------------------------------------------------------------------

    def follow(self, participants: ParticipantFeed) -> None:
        """Keep the presenters up to date from ``participants``' signals."""
        participants.participantsChanged.connect(self.set_participants)
        participants.participantJoined.connect(self.update_participant)
        participants.participantUpdated.connect(self.update_participant)
        participants.participantLeft.connect(self.remove_participant)

    def set_participants(self, participants: Iterable[ParticipantLike]) -> None:
        """Everyone in the call (a join, or a new list)."""
        self._presenters = {p.id for p in participants if p.screen_sharing and not p.is_local}

    def update_participant(self, participant: ParticipantLike) -> None:
        if participant.screen_sharing and not participant.is_local:
            self._presenters.add(participant.id)
        else:
            self._presenters.discard(participant.id)

    def remove_participant(self, participant: ParticipantLike) -> None:
        self._presenters.discard(participant.id)
        self._throttle.forget(participant.id)

    def clear(self) -> None:
        """A new call: nobody presents, nothing is in flight."""
        self._presenters.clear()
        self._throttle.clear()

    # -- frames ---------------------------------------------------------------------------

    def deliver(self, participant_id: str, frame: RgbFrame) -> None:
        """The video sink (on the loop's thread): maybe convert ``frame`` for its tile."""
        if self._disposed or frame.track != self.shown_track(participant_id):
            return
        if not self._throttle.admit(participant_id):
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._worker, self._convert, frame)
        future.add_done_callback(partial(self._converted, participant_id))

    @Slot(str, int, int)
    def tileSized(self, participant_id: str, width: int, height: int) -> None:  # noqa: N802
        """``participant_id``'s tile is ``width`` x ``height`` device pixels now: the
        session receives the quality that fits it (``set_participant_view``)."""
        if not self._disposed:
            self._session.set_participant_view(participant_id, width, height)

    @Slot(str)
    def framePainted(self, participant_id: str) -> None:  # noqa: N802 - Qt naming
        """The view painted ``participant_id``'s last frame; the next may come."""
        self._throttle.painted(participant_id)

    def dispose(self) -> None:
        """Remove the video sink and join the worker thread (idempotent)."""
        if self._disposed:
            return
        self._disposed = True
        self._session.remove_video_sink(self._sink)
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _converted(self, participant_id: str, future: asyncio.Future[QImage]) -> None:
        if self._disposed or future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("unusable frame from %s", participant_id, exc_info=error)
            self._throttle.painted(participant_id)  # nothing to paint: release it
            return
        if self._throttle.converted(participant_id):
            self.frameReady.emit(participant_id, future.result())
