"""One participant's video tile: the picture (or an avatar), name, badges, highlight."""

from __future__ import annotations

import html
import zlib

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from parley.protocol.names import VERIFIED_MARK
from parley.qt.options import ParticipantLike
from parley.qt.resources import IconSet
from parley.ui.messages import VIDEO_PAUSED_SLOW_TEXT, media_unreachable_text

AVATAR_COLOURS = ("#5b6ee1", "#d9644a", "#3aa17e", "#b65fc4", "#d4a23a", "#4a9fd9", "#c9507a")
TILE_BACKGROUND = QColor("#2b2d33")
DOMINANT_COLOUR = QColor("#4f7cff")
SHARING_COLOUR = QColor("#2fbf71")
"""The border of your own tile while you share your screen."""
QUALITY_COLOURS = {"good": QColor("#2fbf71"), "fair": QColor("#e8b43a"),
                   "poor": QColor("#e05252")}
_WHITE_ICONS = IconSet("#ffffff")
_RADIUS = 10.0


def initials(name: str) -> str:
    """Up to two letters for an avatar: "Ada Lovelace" -> "AL", "ada" -> "A", "" -> "?"."""
    words = [w for w in name.replace("_", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_colour(key: str) -> QColor:
    """A stable colour per participant (crc32, not hash(): same colour every run)."""
    return QColor(AVATAR_COLOURS[zlib.crc32(key.encode("utf-8")) % len(AVATAR_COLOURS)])


def paint_avatar(painter: QPainter, circle: QRectF, colour_key: str, letters: str,
                 base: QFont) -> None:
    """The initials avatar: a coloured circle with white letters (tiles and the preview)."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(avatar_colour(colour_key))
    painter.drawEllipse(circle)
    font = QFont(base)
    font.setPixelSize(max(10, int(circle.height() * 0.38)))
    font.setWeight(QFont.Weight.DemiBold)
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, letters)


class VideoTile(QWidget):
    """Paints one participant. ``painted`` tells the bridge a frame reached the screen."""

    painted = Signal(str)
    pinRequested = Signal(str)  # double click, Enter/Space, or the menu: (un)pin this one
    dragged = Signal(str, QPoint)  # the floating self view is being dragged by this much
    dropped = Signal(str)  # ... and was let go

    def __init__(self, participant: ParticipantLike, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._participant = participant
        self._image: QImage | None = None
        self._frame_pending = False
        self._dominant = False
        self._fit_whole = False
        self._pinned = False
        self._floating = False
        self._quality: object | None = None  # a parley.qt.quality.NetworkQuality
        self._drag_from: QPoint | None = None
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self._update_accessibility()

    # -- state ---------------------------------------------------------------------------

    @property
    def participant(self) -> ParticipantLike:
        return self._participant

    @property
    def participant_id(self) -> str:
        return self._participant.id

    def set_participant(self, participant: ParticipantLike) -> None:
        self._participant = participant
        self._update_accessibility()
        self.update()

    def set_frame(self, image: QImage) -> None:
        """Show a new video frame (the bridge already copied it)."""
        self._image = image
        self._frame_pending = True
        self.update()

    def set_dominant(self, dominant: bool) -> None:
        if dominant != self._dominant:
            self._dominant = dominant
            self.update()

    def set_fit_whole(self, fit: bool) -> None:
        """Letterbox instead of crop (for a shared screen, where every pixel matters)."""
        if fit != self._fit_whole:
            self._fit_whole = fit
            self.update()

    def set_pinned(self, pinned: bool) -> None:
        if pinned != self._pinned:
            self._pinned = pinned
            self._update_accessibility()
            self.update()

    def set_floating(self, floating: bool) -> None:
        """Float over the other tile (the 1:1 self view): drawn with a shadow, draggable."""
        if floating != self._floating:
            self._floating = floating
            self.setCursor(Qt.CursorShape.OpenHandCursor if floating
                           else Qt.CursorShape.ArrowCursor)

    def set_quality(self, quality: object | None) -> None:
        """Show a NetworkQuality (bars, and its numbers in the tooltip)."""
        self._quality = quality
        self._update_accessibility()
        self.update()

    def is_dominant(self) -> bool:
        return self._dominant

    def is_pinned(self) -> bool:
        return self._pinned

    def is_floating(self) -> bool:
        return self._floating

    def quality(self) -> str:
        """The network grade shown ("good", "fair", "poor"), "" when there is none."""
        grade = getattr(self._quality, "quality", None)
        return str(grade.value) if grade is not None else ""

    def shows_sharing_border(self) -> bool:
        """Your own tile while you share your screen carries a coloured border."""
        return self._participant.is_local and self._participant.screen_sharing

    def display_name(self) -> str:
        name = self._participant.name or "Guest"
        if self._participant.verified:
            name += f" {VERIFIED_MARK}"
        return f"{name} (you)" if self._participant.is_local else name

    def initials(self) -> str:
        return initials(self._participant.name)

    def shows_avatar(self) -> bool:
        """True when the tile shows initials instead of video (also while their video is
        paused for bandwidth: the last frame would look like a frozen call)."""
        p = self._participant
        return (self._image is None or p.video_paused or p.no_camera
                or self._paused_for_bandwidth())

    def _paused_for_bandwidth(self) -> bool:
        p = self._participant
        return p.video_paused_for_bandwidth and not p.is_local and not p.video_paused

    def badges(self) -> list[str]:
        """The badges drawn, in order: "muted", "hand", "reconnecting", "presenting",
        "unreachable" (no media path: the tile says "Can't reach Bob's media"), "slow"
        (their video paused for bandwidth: "Video paused: slow connection")."""
        p = self._participant
        flags = (
            ("muted", p.audio_muted or p.no_microphone),  # no microphone: heard as muted
            ("hand", p.hand_raised),
            ("reconnecting", p.reconnecting),
            ("presenting", p.screen_sharing),
            ("pinned", self._pinned),
            ("unreachable", p.media_unreachable and not p.is_local),
            ("slow", self._paused_for_bandwidth()),
        )
        return [name for name, on in flags if on]

    def notice(self) -> str:
        """The sentence the tile shows about the media ("" for none)."""
        badges = self.badges()
        if "unreachable" in badges:  # no path at all says more than a slow one
            return media_unreachable_text(self._participant.name)
        if "slow" in badges:
            return VIDEO_PAUSED_SLOW_TEXT
        return ""

    def _update_accessibility(self) -> None:
        self.setAccessibleName(self.display_name())
        description = ", ".join(self.badges())
        if self._participant.verified:
            description = ", ".join(filter(None, ("verified", description)))
        self.setAccessibleDescription(description)
        # A tooltip is rich text whenever it looks like markup: escape the name, always.
        tip = html.escape(self.display_name() + (f" ({description})" if description else ""))
        if self.notice():
            tip += "<br>" + html.escape(self.notice())
        describe = getattr(self._quality, "describe", None)
        if describe is not None:
            tip += "<br>" + "<br>".join(html.escape(line) for line in describe().split("\n"))
        self.setToolTip(f"<qt>{tip}</qt>")

    # -- input -----------------------------------------------------------------------------

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.pinRequested.emit(self.participant_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.pinRequested.emit(self.participant_id)
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.menu()
        menu.exec(event.globalPos())

    def menu(self) -> QMenu:
        """The tile's menu: pin to the stage, or unpin."""
        menu = QMenu(self)
        action = menu.addAction("Unpin" if self._pinned else "Pin to stage")
        action.triggered.connect(lambda: self.pinRequested.emit(self.participant_id))
        return menu

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._floating and event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.globalPosition().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag_from is not None:
            now = event.globalPosition().toPoint()
            self.dragged.emit(self.participant_id, now - self._drag_from)
            self._drag_from = now
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag_from is not None:
            self._drag_from = None
            self.dropped.emit(self.participant_id)
        super().mouseReleaseEvent(event)

    # -- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        bounds = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        clip = QPainterPath()
        clip.addRoundedRect(bounds, _RADIUS, _RADIUS)
        painter.fillPath(clip, TILE_BACKGROUND)
        painter.save()
        painter.setClipPath(clip)
        if self.shows_avatar():
            self._paint_avatar(painter, bounds)
        else:
            assert self._image is not None
            self._paint_video(painter, bounds, self._image)
        if self._participant.reconnecting:
            painter.fillRect(bounds, QColor(0, 0, 0, 140))
        painter.restore()
        name_pill = self._paint_labels(painter, bounds)
        self._paint_quality(painter, name_pill)
        if self.shows_sharing_border():
            painter.setPen(QPen(SHARING_COLOUR, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bounds.adjusted(2, 2, -2, -2), _RADIUS, _RADIUS)
        elif self._floating:
            painter.setPen(QPen(QColor(255, 255, 255, 90), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bounds, _RADIUS, _RADIUS)
        if self.hasFocus():
            painter.setPen(QPen(QColor("#ffffff"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bounds.adjusted(4, 4, -4, -4), _RADIUS, _RADIUS)
        if self._dominant:
            painter.setPen(QPen(DOMINANT_COLOUR, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)  # an outline, not a veil
            painter.drawRoundedRect(bounds.adjusted(1.5, 1.5, -1.5, -1.5), _RADIUS, _RADIUS)
        painter.end()
        if self._frame_pending:
            self._frame_pending = False
            self.painted.emit(self._participant.id)

    def _paint_quality(self, painter: QPainter, beside: QRectF) -> None:
        """Signal bars just right of the name (clear of a floating self view's corner)."""
        grade = self.quality()
        if not grade:
            return
        colour = QUALITY_COLOURS[grade]
        lit = {"good": 3, "fair": 2, "poor": 1}[grade]
        bar_w, gap = 4.0, 2.0
        tallest = max(8.0, beside.height() - 10)
        backing = QRectF(beside.right() + 4, beside.top(), 3 * bar_w + 2 * gap + 12,
                         beside.height())
        self._pill(painter, backing, QColor(0, 0, 0, 150))
        right, bottom = backing.right() - 6, backing.bottom() - 5
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(3):
            height = tallest * (i + 1) / 3
            x = right - (3 - i) * bar_w - (2 - i) * gap
            painter.setBrush(colour if i < lit else QColor(255, 255, 255, 70))
            painter.drawRect(QRectF(x, bottom - height, bar_w, height))

    def _paint_video(self, painter: QPainter, bounds: QRectF, image: QImage) -> None:
        scale_w = bounds.width() / max(1, image.width())
        scale_h = bounds.height() / max(1, image.height())
        scale = min(scale_w, scale_h) if self._fit_whole else max(scale_w, scale_h)
        w, h = image.width() * scale, image.height() * scale
        target = QRectF(bounds.center().x() - w / 2, bounds.center().y() - h / 2, w, h)
        painter.drawImage(target, image)

    def _paint_avatar(self, painter: QPainter, bounds: QRectF) -> None:
        diameter = max(24.0, min(bounds.width(), bounds.height()) * 0.38)
        circle = QRectF(0, 0, diameter, diameter)
        circle.moveCenter(bounds.center())
        paint_avatar(painter, circle, self._participant.id or self._participant.name,
                     self.initials(), self.font())

    def _pill(self, painter: QPainter, rect: QRectF, colour: QColor) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)

    def _paint_labels(self, painter: QPainter, bounds: QRectF) -> QRectF:
        font = QFont(self.font())
        font.setPixelSize(max(11, min(14, int(bounds.height() / 14))))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pad, height = 8.0, float(metrics.height() + 8)
        icon_side = int(height - 8)
        p = self._participant
        # Name (and a mic-off icon) bottom left.
        name = metrics.elidedText(self.display_name(), Qt.TextElideMode.ElideRight,
                                  int(bounds.width() * 0.7))
        muted = p.audio_muted or p.no_microphone
        icon_w = icon_side + 4 if muted else 0
        pill = QRectF(bounds.left() + pad, bounds.bottom() - pad - height,
                      metrics.horizontalAdvance(name) + 16 + icon_w, height)
        self._pill(painter, pill, QColor(0, 0, 0, 150))
        if muted:
            icon_rect = QRect(int(pill.left() + 6), int(pill.top() + 4), icon_side, icon_side)
            _WHITE_ICONS("mic-off").paint(painter, icon_rect)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill.adjusted(8 + icon_w, 0, -8, 0),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        # Raised hand top right.
        if p.hand_raised:
            badge = QRectF(bounds.right() - pad - height, bounds.top() + pad, height, height)
            self._pill(painter, badge, QColor("#e8b43a"))
            _WHITE_ICONS("hand").paint(painter, badge.adjusted(4, 4, -4, -4).toRect())
        # Status pills top left.
        top = bounds.top() + pad
        for text, colour, on in (
            ("Reconnecting…", QColor(214, 69, 69, 220), p.reconnecting),
            ("Presenting", QColor(79, 124, 255, 220), p.screen_sharing),
            ("Pinned", QColor(60, 64, 76, 220), self._pinned),
            (self.notice(), QColor(214, 140, 40, 230), bool(self.notice())),
        ):
            if on:
                text = metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                          max(0, int(bounds.width() - 2 * pad - 16)))
                rect = QRectF(bounds.left() + pad, top, metrics.horizontalAdvance(text) + 16,
                              height)
                self._pill(painter, rect, colour)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
                top += height + 4
        return pill
