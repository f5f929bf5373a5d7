"""The join screen's self view: camera preview (or your initials and a line of text) and a
mic level meter (or "No microphone found")."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from parley.qt.resources import IconSet
from parley.ui.messages import NO_CAMERA_TEXT, NO_MICROPHONE_TEXT, problem_text
from parley.ui.tile import TILE_BACKGROUND, initials, paint_avatar

if TYPE_CHECKING:
    from parley.qt.device_preview import DevicePreview
    from parley.qt.problems import Problem


class PreviewScreen(QWidget):
    """A 16:9 rounded picture of the camera; without one, your initials above a line of
    text ("Camera is off", "No camera found")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._text = "Camera preview"
        self._name = ""
        self.setMinimumSize(QSize(288, 162))
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return width * 9 // 16

    def set_image(self, image: QImage | None) -> None:
        """Show ``image`` mirrored, as people expect to see themselves."""
        self._image = image.flipped(Qt.Orientation.Horizontal) if image is not None else None
        self.update()

    def set_text(self, text: str) -> None:
        """What to show without a picture ("Camera is off", ...)."""
        self._text = text
        self.update()

    def set_name(self, name: str) -> None:
        """Whose initials the avatar shows without a picture."""
        self._name = name
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def text(self) -> str:
        return self._text

    def initials(self) -> str:
        return initials(self._name)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        bounds = QRectF(self.rect())
        clip = QPainterPath()
        clip.addRoundedRect(bounds, 10, 10)
        painter.fillPath(clip, TILE_BACKGROUND)
        painter.setClipPath(clip)
        image = self._image
        if image is not None and not image.isNull():
            scale = max(bounds.width() / image.width(), bounds.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            target = QRectF(bounds.center().x() - w / 2, bounds.center().y() - h / 2, w, h)
            painter.drawImage(target, image)
        else:
            self._paint_avatar(painter, bounds)
        painter.end()

    def _paint_avatar(self, painter: QPainter, bounds: QRectF) -> None:
        diameter = max(24.0, bounds.height() * 0.38)
        circle = QRectF(0, 0, diameter, diameter)
        circle.moveCenter(bounds.center())
        circle.translate(0, -diameter * 0.2)
        paint_avatar(painter, circle, self._name, self.initials(), self.font())
        painter.setFont(self.font())
        painter.setPen(QColor("#c9cdd8"))
        below = QRectF(bounds.left(), circle.bottom() + 8, bounds.width(),
                       bounds.bottom() - circle.bottom() - 8)
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         self._text)


class DevicePreviewPane(QWidget):
    """Preview screen above a microphone level meter."""

    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = PreviewScreen(self)
        mic = QLabel(self)
        mic.setPixmap(icons("mic").pixmap(18, 18))
        self.meter = QProgressBar(self)
        self.meter.setObjectName("micLevel")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Microphone level")
        self.mic_notice = QLabel(NO_MICROPHONE_TEXT, self)
        self.mic_notice.setObjectName("noMicrophone")
        self.mic_notice.hide()
        row = QHBoxLayout()
        row.addWidget(mic)
        row.addWidget(self.meter, 1)
        row.addWidget(self.mic_notice, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture)
        layout.addLayout(row)
        layout.addStretch(1)
        self._missing: frozenset[str] = frozenset()

    def follow(self, preview: DevicePreview) -> None:
        """Show what ``preview`` delivers: frames, the level, problems, missing devices."""
        preview.frameReady.connect(self.picture.set_image)
        preview.levelChanged.connect(self.set_level)
        preview.deviceError.connect(self.show_problem)
        preview.missingChanged.connect(self.show_missing)

    def set_level(self, level: float) -> None:
        self.meter.setValue(round(max(0.0, min(1.0, level)) * 100))

    def level(self) -> int:
        return self.meter.value()

    def show_problem(self, problem: Problem) -> None:
        """A device problem of the preview; a missing camera says so plainly instead."""
        if "camera" not in self._missing:
            self.picture.set_text(problem_text(problem))

    def show_missing(self, kinds: Collection[str]) -> None:
        """Say which devices there are none of: "No camera found" beside your initials,
        "No microphone found" instead of the meter."""
        self._missing = frozenset(kinds)
        if "camera" in self._missing:
            self.picture.set_image(None)
            self.picture.set_text(NO_CAMERA_TEXT)
        no_mic = "microphone" in self._missing
        self.meter.setVisible(not no_mic)
        self.mic_notice.setVisible(no_mic)

    def missing(self) -> frozenset[str]:
        """The device kinds the pane says there are none of."""
        return self._missing
