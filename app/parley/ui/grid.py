"""The video grid: one tile per participant, re-flowed on every change and resize.

Layouts (``set_layout``): the GRID of equal tiles (``layout.grid_rects``; two people
side by side in a landscape window), or SPEAKER view, where the dominant speaker has
the stage and the others line up in a strip (``layout.spotlight_rects``). Whatever the
layout, a participant pinned to the stage (``pin``) takes it, and so does someone else's
shared screen (unless somebody is pinned). A 1:1 call shows the other person large with
your own self view floating in a corner (``set_floating_self(False)`` for the grid); it
can be dragged to another corner.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from PySide6.QtCore import QPoint, QRect, Signal
from PySide6.QtGui import QImage, QResizeEvent
from PySide6.QtWidgets import QWidget

from parley.qt.options import ParticipantLike
from parley.ui.layout import grid_rects, nearest_corner, pip_rect, spotlight_rects
from parley.ui.tile import VideoTile

MARGIN = 12


class Layout(Enum):
    GRID = "grid"
    SPEAKER = "speaker"


class VideoGrid(QWidget):
    """Tiles for everybody in the call; ``framePainted`` relays tiles' paint acks."""

    framePainted = Signal(str)
    arrangementChanged = Signal()  # layout, pin, stage or floating self view changed
    tileSized = Signal(str, int, int)  # a remote tile's new size on screen, device pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoGrid")
        self._tiles: dict[str, VideoTile] = {}
        self._dominant = ""
        self._speaker = ""  # the last remote dominant speaker (speaker view keeps them)
        self._spotlight = ""
        self._layout = Layout.GRID
        self._pinned = ""
        self._floating_self = True
        self._corner = "bottom-right"
        self._arrangement: tuple[str, str] = ("grid", "")
        self._sizes: dict[str, tuple[int, int]] = {}  # the size told last, per remote tile

    # -- what tests and the call view read ------------------------------------------------

    def tiles(self) -> list[VideoTile]:
        """The tiles in display order."""
        return [self._tiles[pid] for pid in self._order()]

    def tile(self, participant_id: str) -> VideoTile | None:
        return self._tiles.get(participant_id)

    def spotlight_id(self) -> str:
        """The participant whose shared screen is on the stage, or ""."""
        return self._spotlight

    def stage_id(self) -> str:
        """Who has the stage (pinned, presenting, or the speaker), "" in the grid."""
        return self._arrangement[1]

    def mode(self) -> str:
        """What the screen shows: "grid", "stage" or "floating" (the 1:1 self view)."""
        return self._arrangement[0]

    def layout_choice(self) -> Layout:
        return self._layout

    def pinned_id(self) -> str:
        return self._pinned

    def floating_self(self) -> bool:
        """Whether a 1:1 call floats your own tile over the other person's."""
        return self._floating_self

    def self_view_corner(self) -> str:
        return self._corner

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
        self._dominant = self._speaker = self._pinned = ""
        self._relayout()

    def set_frame(self, participant_id: str, image: QImage) -> None:
        tile = self._tiles.get(participant_id)
        if tile is None:
            self.framePainted.emit(participant_id)  # nobody will paint it: release it
            return
        tile.set_frame(image)

    def set_dominant(self, participant_id: str) -> None:
        self._dominant = participant_id
        tile = self._tiles.get(participant_id)
        if tile is not None and not tile.participant.is_local and participant_id != self._speaker:
            self._speaker = participant_id
            if self._layout is Layout.SPEAKER:
                self._relayout()
        self._mark_dominant()

    def set_quality(self, participant_id: str, quality: object) -> None:
        tile = self._tiles.get(participant_id)
        if tile is not None:
            tile.set_quality(quality)

    def set_layout(self, layout: Layout) -> None:
        if layout is not self._layout:
            self._layout = layout
            self._relayout()

    def pin(self, participant_id: str) -> None:
        """Put ``participant_id`` on the stage ("" unpins); pinning the pinned one unpins."""
        self._pinned = "" if participant_id == self._pinned else participant_id
        for pid, tile in self._tiles.items():
            tile.set_pinned(pid == self._pinned)
        self._relayout()

    def set_floating_self(self, floating: bool) -> None:
        if floating != self._floating_self:
            self._floating_self = floating
            self._relayout()

    # -- internals ------------------------------------------------------------------------

    def _upsert(self, participant: ParticipantLike) -> None:
        tile = self._tiles.get(participant.id)
        if tile is None:
            tile = VideoTile(participant, self)
            tile.painted.connect(self.framePainted)
            tile.pinRequested.connect(self.pin)
            tile.dragged.connect(self._drag_self)
            tile.dropped.connect(self._drop_self)
            self._tiles[participant.id] = tile
            tile.show()
        else:
            tile.set_participant(participant)

    def _drop(self, participant_id: str) -> None:
        tile = self._tiles.pop(participant_id, None)
        if tile is not None:
            tile.hide()
            tile.deleteLater()
        if participant_id == self._pinned:
            self._pinned = ""
        if participant_id == self._speaker:
            self._speaker = ""
        self._sizes.pop(participant_id, None)

    def _order(self) -> list[str]:
        """Local participant first, then in order of arrival; who has the stage leads."""
        ids = sorted(self._tiles, key=lambda pid: not self._tiles[pid].participant.is_local)
        stage = self._stage()
        if stage:
            ids.remove(stage)
            ids.insert(0, stage)
        return ids

    def _stage(self) -> str:
        if self._pinned in self._tiles:
            return self._pinned
        if self._spotlight:
            return self._spotlight
        if self._layout is Layout.SPEAKER and len(self._tiles) > 1:
            remote = [pid for pid, t in self._tiles.items() if not t.participant.is_local]
            return self._speaker if self._speaker in remote else (remote[0] if remote else "")
        return ""

    def _floating(self) -> str:
        """Your own tile's id when a 1:1 call floats it, else ""."""
        if not self._floating_self or len(self._tiles) != 2 or self._stage():
            return ""
        local = [pid for pid, t in self._tiles.items() if t.participant.is_local]
        return local[0] if local else ""

    def _area(self) -> QRect:
        return self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def _relayout(self) -> None:
        # Only someone else's screen takes the stage: your own would show you a mirror
        # of what you are already looking at (your tile says "Presenting" instead).
        sharing = [pid for pid, t in self._tiles.items()
                   if t.participant.screen_sharing and not t.participant.is_local]
        if self._spotlight not in sharing:
            self._spotlight = sharing[0] if sharing else ""
        area, order, stage, floating = self._area(), self._order(), self._stage(), self._floating()
        if floating:
            other = next(pid for pid in order if pid != floating)
            rects = {other: area, floating: pip_rect(area, self._corner)}
        else:
            place = spotlight_rects if stage else grid_rects
            rects = dict(zip(order, place(len(order), area), strict=True))
        for pid, rect in rects.items():
            tile = self._tiles[pid]
            tile.set_fit_whole(pid == self._spotlight and pid == stage)
            tile.set_floating(pid == floating)
            tile.setGeometry(rect)
        if floating:
            self._tiles[floating].raise_()
        self._tell_sizes(rects)
        arrangement = ("floating" if floating else "stage" if stage else "grid", stage)
        if arrangement != self._arrangement:
            self._arrangement = arrangement
            self.arrangementChanged.emit()
        self._mark_dominant()

    def _tell_sizes(self, rects: dict[str, QRect]) -> None:
        """Say each remote tile's size when it changed (what the call receives of that
        participant follows it: through the SFU, the camera layer)."""
        ratio = self.devicePixelRatioF()
        for pid, rect in rects.items():
            if self._tiles[pid].participant.is_local:
                continue
            size = (round(rect.width() * ratio), round(rect.height() * ratio))
            if self._sizes.get(pid) != size:
                self._sizes[pid] = size
                self.tileSized.emit(pid, *size)

    def _mark_dominant(self) -> None:
        for pid, tile in self._tiles.items():
            tile.set_dominant(pid == self._dominant and len(self._tiles) > 1)

    def _drag_self(self, participant_id: str, offset: QPoint) -> None:
        tile = self._tiles.get(participant_id)
        if tile is not None and participant_id == self._floating():
            tile.move(tile.pos() + offset)

    def _drop_self(self, participant_id: str) -> None:
        tile = self._tiles.get(participant_id)
        if tile is None or participant_id != self._floating():
            return
        centre = tile.geometry().center()
        self._corner = nearest_corner(self._area(), centre.x(), centre.y())
        self._relayout()

    def move_self_view(self, corner: str) -> None:
        """Snap the floating self view to ``corner`` (e.g. "top-left")."""
        self._corner = corner
        self._relayout()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._relayout()
