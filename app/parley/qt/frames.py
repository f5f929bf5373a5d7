"""Video frames into Qt: RGB arrays to QImage, and a per-participant throttle.

A frame's pixels belong to the media layer; ``rgb_to_qimage`` copies them, so
the QImage stays valid after the array is reused. The throttle keeps at most one
frame per participant in flight between the controller and the view: while the
last one has not been painted, newer ones are dropped before any conversion is
paid for. A view that stops painting (hidden, minimised) must not stall a
participant forever, so an unacknowledged frame expires after ``stale_after``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtGui import QImage


class RgbFrame(Protocol):
    """What the bridge needs of a media frame (``parley.media.VideoFrame``)."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def to_rgb(self) -> Any:
        """A (height, width, 3) uint8 array."""


def rgb_to_qimage(rgb: Any) -> QImage:
    """Copy an (h, w, 3) uint8 array into a new RGB888 QImage.

    Raises:
        ValueError: The array is not (h, w, 3) uint8.
    """
    shape = getattr(rgb, "shape", None)
    if shape is None or len(shape) != 3 or shape[2] != 3 or str(rgb.dtype) != "uint8":
        raise ValueError(f"expected an (h, w, 3) uint8 array, got {shape!r}")
    height, width = int(shape[0]), int(shape[1])
    if not rgb.flags["C_CONTIGUOUS"]:
        rgb = rgb.copy(order="C")
    view = QImage(rgb.data, width, height, int(rgb.strides[0]), QImage.Format.Format_RGB888)
    return view.copy()  # detach from the array's memory


class FrameThrottle:
    """Admits a participant's next frame only once its previous one was painted."""

    def __init__(
        self, stale_after: float = 0.25, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._in_flight: dict[str, float] = {}
        self._stale_after = stale_after
        self._clock = clock
        self.dropped = 0

    def admit(self, participant_id: str) -> bool:
        """True if a frame for ``participant_id`` may go to the view now."""
        now = self._clock()
        since = self._in_flight.get(participant_id)
        if since is not None and now - since < self._stale_after:
            self.dropped += 1
            return False
        self._in_flight[participant_id] = now
        return True

    def painted(self, participant_id: str) -> None:
        """The view has shown the last frame of ``participant_id``."""
        self._in_flight.pop(participant_id, None)

    def forget(self, participant_id: str) -> None:
        """The participant left; drop its state."""
        self._in_flight.pop(participant_id, None)

    def clear(self) -> None:
        self._in_flight.clear()
