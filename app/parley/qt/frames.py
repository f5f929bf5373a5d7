"""Video frames into Qt: frames to QImage, and a per-participant throttle.

A frame's pixels belong to the media layer; ``rgb_to_qimage`` copies them, so
the QImage stays valid after the array is reused. The throttle keeps at most one
frame per participant in flight between the media and the view: while the last
one is still being converted, or converted but not yet painted, newer ones are
dropped before any conversion is paid for. A view that stops painting (hidden,
minimised) must not stall a participant forever, so a converted frame that was
never acknowledged expires after ``stale_after``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtGui import QImage


class RgbFrame(Protocol):
    """What the bridge needs of a media frame (``parley.media.VideoFrame``)."""

    @property
    def track(self) -> str:
        """Which video of the participant: "camera" or "screen"."""

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


def frame_to_qimage(frame: RgbFrame) -> QImage:
    """yuv -> RGB -> a new QImage (about 1.5 ms for 640x480: not for the GUI thread).

    Raises:
        ValueError: The frame's pixels are not an (h, w, 3) uint8 array.
    """
    return rgb_to_qimage(frame.to_rgb())


class FrameThrottle:
    """Admits a participant's next frame only once its previous one was painted."""

    def __init__(
        self, stale_after: float = 0.25, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._converting: set[str] = set()
        self._unpainted: dict[str, float] = {}
        self._stale_after = stale_after
        self._clock = clock
        self.dropped = 0
        """Frames refused so far (their participant's previous one was still in flight)."""

    def admit(self, participant_id: str) -> bool:
        """True if a frame for ``participant_id`` may be converted now."""
        since = self._unpainted.get(participant_id)
        stale = since is not None and self._clock() - since >= self._stale_after
        if participant_id in self._converting or (since is not None and not stale):
            self.dropped += 1
            return False
        self._unpainted.pop(participant_id, None)
        self._converting.add(participant_id)
        return True

    def converted(self, participant_id: str) -> bool:
        """The admitted frame is ready: True if it goes to the view (it is then in
        flight until painted), False if its participant was forgotten meanwhile."""
        if participant_id not in self._converting:
            return False
        self._converting.discard(participant_id)
        self._unpainted[participant_id] = self._clock()
        return True

    def painted(self, participant_id: str) -> None:
        """The view has shown the last frame of ``participant_id`` (or never will)."""
        self._converting.discard(participant_id)
        self._unpainted.pop(participant_id, None)

    def forget(self, participant_id: str) -> None:
        """The participant left; drop its state."""
        self.painted(participant_id)

    def clear(self) -> None:
        self._converting.clear()
        self._unpainted.clear()
