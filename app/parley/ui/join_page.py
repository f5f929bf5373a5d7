"""The join screen's frame: a scrolling page with the card centred on it, whose body puts
the camera preview beside the form, or above it in a narrow window (the form is never cut
off: below its size it scrolls)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

NARROW = 880
"""Below this width the preview goes above the form instead of beside it."""


class JoinPage:
    """Lays out ``owner`` (the join screen) as a scroll area holding the card.

    Args:
        owner: The widget this page fills.
    """

    def __init__(self, owner: QWidget) -> None:
        self._owner = owner
        self.scroll_area = QScrollArea(owner)
        self.scroll_area.setObjectName("joinScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget(self.scroll_area)
        page.setObjectName("joinPage")
        self.card = QFrame(page)
        self.card.setObjectName("joinCard")
        self.card.setMaximumWidth(480)
        self.card.setMinimumWidth(340)
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        """The card's middle: the form, and the preview once there is one."""
        self.body.setSpacing(24)
        self._has_preview = False
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.scroll_area.setWidget(page)
        whole = QVBoxLayout(owner)
        whole.setContentsMargins(0, 0, 0, 0)
        whole.addWidget(self.scroll_area)

    def add_preview(self, preview: QWidget) -> None:
        """Put the preview first in the body; the card grows for it."""
        self.body.insertWidget(0, preview, 1)
        self._has_preview = True
        self.card.setMaximumWidth(900)
        self.reflow()

    def is_stacked(self) -> bool:
        """Whether the preview sits above the form (a narrow window) rather than beside it."""
        return self.body.direction() is QBoxLayout.Direction.TopToBottom

    def reflow(self) -> None:
        """Follow the owner's width (call it from its resizeEvent)."""
        narrow = self._owner.width() < NARROW
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if narrow
                               else QBoxLayout.Direction.LeftToRight)
        if self._has_preview:
            self.card.setMinimumWidth(340 if narrow else 760)


def add_field(form: QFormLayout, label: str, widget: QWidget) -> None:
    """A row of the form: a caption that is the field's buddy and accessible name."""
    caption = QLabel(label, widget.parentWidget())
    caption.setObjectName("fieldLabel")
    caption.setBuddy(widget)
    widget.setAccessibleName(label)
    form.addRow(caption, widget)
