"""The participants panel: everybody in the call with their mic, hand and link state."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from parley.protocol.names import VERIFIED_MARK
from parley.qt.options import ParticipantLike
from parley.qt.resources import IconSet


def describe(participant: ParticipantLike) -> str:
    """One line: name, "(you)", and what is notable about them."""
    name = participant.name or "Guest"
    if participant.verified:
        name += f" {VERIFIED_MARK}"
    if participant.is_local:
        name += " (you)"
    notes = [
        text
        for text, on in (
            ("hand raised", participant.hand_raised),
            ("presenting", participant.screen_sharing),
            ("muted", participant.audio_muted),
            ("camera off", participant.video_paused),
            ("reconnecting", participant.reconnecting),
        )
        if on
    ]
    return f"{name} — {', '.join(notes)}" if notes else name


class ParticipantsPanel(QListWidget):
    """A read-only list; hand raisers first, then in the order given."""

    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("participantsPanel")
        self.setAccessibleName("Participants")
        self._icons = icons
        self.setFixedWidth(260)
        self.setIconSize(QSize(18, 18))
        self.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def set_participants(self, participants: Iterable[ParticipantLike]) -> None:
        ordered = sorted(participants, key=lambda p: not p.hand_raised)
        self.clear()
        for participant in ordered:
            item = QListWidgetItem(describe(participant))
            icon = "hand" if participant.hand_raised else (
                "mic-off" if participant.audio_muted else "mic")
            item.setIcon(self._icons(icon))
            item.setData(Qt.ItemDataRole.UserRole, participant.id)
            self.addItem(item)

    def lines(self) -> list[str]:
        """The text of every row, top to bottom."""
        return [self.item(i).text() for i in range(self.count())]
