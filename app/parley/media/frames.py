"""A decoded video frame of one participant handed to the application: :class:`VideoFrame`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import av
import numpy as np
import numpy.typing as npt

TrackKind = Literal["camera", "screen"]


@dataclass(frozen=True)
class VideoFrame:
    """One video frame of a participant: decoded from a remote peer, or the local
    camera's for the self view."""

    participant_id: str
    track: TrackKind
    """Which video of the participant: ``camera`` or ``screen``."""
    width: int
    height: int
    frame: Any
    """The ``av.VideoFrame`` as decoded (usually yuv420p); convert only when needed."""
    received_at: float
    """``time.time()`` when the frame came out of the decoder (or the capture)."""

    @classmethod
    def of(cls, participant_id: str, track: TrackKind, frame: av.VideoFrame,
           received_at: float) -> VideoFrame:
        return cls(participant_id, track, frame.width, frame.height, frame, received_at)

    def to_rgb(self) -> npt.NDArray[np.uint8]:
        """The picture as a (height, width, 3) uint8 RGB array (converts on each call)."""
        array: npt.NDArray[np.uint8] = self.frame.to_ndarray(format="rgb24")
        return array
