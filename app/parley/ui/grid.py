"""The video grid: one tile per participant, re-flowed on every change and resize.

With nobody sharing a screen, tiles are equal and as large as the window allows
(see ``layout.grid_rects``). When someone shares, their tile takes the stage and
the others line up in a strip (``layout.spotlight_rects``).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage, QResizeEvent
from PySide6.QtWidgets import QWidget

from parley.qt.options import ParticipantLike
from parley.ui.layout import grid_rects, spotlight_rects
from parley.ui.tile import VideoTile

MARGIN = 12


class VideoGrid(QWidget):
    """Tiles for everybody in the call; ``framePainted`` relays tiles' paint acks."""

    framePainted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoGrid")
        self._tiles: dict[str, VideoTile] = {}
        self._dominant = ""
        self._spotlight = ""

    # -- what tests and the call view read ------------------------------------------------

    def tiles(self) -> list[VideoTile]:
        """The tiles in display order."""
        return [self._tiles[pid] for pid in self._order()]

    def tile(self, participant_id: str) -> VideoTile | None:
        return self._tiles.get(participant_id)

    def spotlight_id(self) -> str:
        """The participant whose shared screen is on the stage, or ""."""
        return self._spotlight

    # -- changes --------------------------------------------------------------------------

    def set_participants(self, participants: Iterable[ParticipantLike]) -> None:
        """Make the tiles match ``participants`` exactly (adds, updates, removes)."""
        wanted = {p.id: p for p in participants}
        for pid in [pid for pid in self._tiles if pid not in wanted]:
            self._drop(pid)
        for participant in wanted.values():
            self._upsert(participant)
        self._relayout()

    def add_participant(self, participant: ParticipantLike) -> None:
        self._upsert(participant)
        self._relayout()

    def update_participant(self, participant: ParticipantLike) -> None:
        """A participant's flags changed (muted, hand, reconnecting, sharing)."""
        self._upsert(participant)
        self._relayout()

    def remove_participant(self, participant: ParticipantLike) -> None:
        self._drop(participant.id)
        self._relayout()

    def clear(self) -> None:
        for pid in list(self._tiles):
            self._drop(pid)
        self._dominant = ""
        self._relayout()

    def set_frame(self, participant_id: str, image: QImage) -> None:
        tile = self._tiles.get(participant_id)
        if tile is None:
            self.framePainted.emit(participant_id)  # nobody will paint it: release it
            return
        tile.set_frame(image)

    def set_dominant(self, participant_id: str) -> None:
        self._dominant = participant_id
        for pid, tile in self._tiles.items():
            tile.set_dominant(pid == participant_id and len(self._tiles) > 1)

    # -- internals ------------------------------------------------------------------------

    def _upsert(self, participant: ParticipantLike) -> None:
        tile = self._tiles.get(participant.id)
        if tile is None:
            tile = VideoTile(participant, self)
            tile.painted.connect(self.framePainted)
            self._tiles[participant.id] = tile
            tile.show()
        else:
            tile.set_participant(participant)

    def _drop(self, participant_id: str) -> None:
        tile = self._tiles.pop(participant_id, None)
        if tile is not None:
            tile.hide()
            tile.deleteLater()

    def _order(self) -> list[str]:
        """Local participant first, then in order of arrival; a presenter leads."""
        ids = sorted(self._tiles, key=lambda pid: not self._tiles[pid].participant.is_local)
        if self._spotlight in self._tiles:
            ids.remove(self._spotlight)
            ids.insert(0, self._spotlight)
        return ids

    def _relayout(self) -> None:
        # Only someone else's screen takes the stage: your own would show you a mirror
        # of what you are already looking at (your tile says "Presenting" instead).
        sharing = [pid for pid, t in self._tiles.items()
                   if t.participant.screen_sharing and not t.participant.is_local]
        if self._spotlight not in sharing:
            self._spotlight = sharing[0] if sharing else ""
        area = self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        order = self._order()
        place = spotlight_rects if self._spotlight else grid_rects
        for pid, rect in zip(order, place(len(order), area), strict=True):
            tile = self._tiles[pid]
            tile.set_fit_whole(pid == self._spotlight)
            tile.setGeometry(rect)
        self.set_dominant(self._dominant)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._relayout()
