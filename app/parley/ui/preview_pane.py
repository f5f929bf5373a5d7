"""The join screen's self view: camera preview (or a placeholder) and a mic level meter."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

from parley.qt.resources import IconSet
from parley.ui.tile import TILE_BACKGROUND


class PreviewScreen(QWidget):
    """A 16:9 rounded picture of the camera, or a line of text when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._text = "Camera preview"
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

    def image(self) -> QImage | None:
        return self._image

    def text(self) -> str:
        return self._text

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
            painter.setPen(QColor("#c9cdd8"))
            painter.drawText(bounds, Qt.AlignmentFlag.AlignCenter, self._text)
        painter.end()


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
        row = QHBoxLayout()
        row.addWidget(mic)
        row.addWidget(self.meter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture)
        layout.addLayout(row)
        layout.addStretch(1)

    def set_level(self, level: float) -> None:
        self.meter.setValue(round(max(0.0, min(1.0, level)) * 100))

    def level(self) -> int:
        return self.meter.value()
