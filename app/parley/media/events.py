"""What the mesh tells its owner: :class:`MeshEvents` and how it calls them safely."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from parley.media.frames import RemoteFrame

logger = logging.getLogger(__name__)


@dataclass
class MeshEvents:
    """Callbacks of a :class:`~parley.media.mesh.MediaMesh`, all optional, all called
    on the event loop's thread. A coroutine function is refused (wrap it in a task);
    an exception in a callback is logged and never reaches the mesh."""

    on_peer_connected: Callable[[str], None] | None = None
    """First media from a participant arrived."""
    on_peer_reconnecting: Callable[[str], None] | None = None
    """Media from a connected participant stopped; the mesh is rebuilding the link."""
    on_peer_restored: Callable[[str], None] | None = None
    """Media from a reconnecting participant flows again."""
    on_media_lost: Callable[[], None] | None = None
    """Media from every peer (at least one) is dead."""
    on_media_restored: Callable[[], None] | None = None
    """The lost condition ended: a peer flows again, or no dead peer is left."""
    on_video_frame: Callable[[str, RemoteFrame], None] | None = None
    """A decoded remote video frame (camera or screen). Must not block."""
    on_local_frame: Callable[[RemoteFrame], None] | None = None
    """A local camera frame, for the self view. Must not block."""
    on_audio_level: Callable[[str, float], None] | None = None
    """Peak RMS (0..1) of a participant's audio over the last ~100 ms."""
    on_device_error: Callable[[str, str], None] | None = None
    """A device failed or is missing: kind (camera, microphone, speaker, screen), message."""

    def __post_init__(self) -> None:
        for f in fields(self):
            callback = getattr(self, f.name)
            if callback is not None and (
                inspect.iscoroutinefunction(callback) or not callable(callback)
            ):
                raise TypeError(
                    f"{f.name} must be a plain function (a coroutine is refused: "
                    "wrap it in a task yourself)"
                )

    def emit(self, name: str, *args: Any) -> None:
        """Call one callback by name; log (never raise) what it raises."""
        callback = getattr(self, name)
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            logger.exception("%s callback raised", name)
