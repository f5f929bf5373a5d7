"""What the mesh tells its owner: :class:`MeshEvents`, called as
:mod:`parley.media.callbacks` says (plain functions, errors logged)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from parley.media.callbacks import Callbacks
from parley.media.frames import VideoFrame

MeshEvent = Literal[
    "on_peer_connected", "on_peer_reconnecting", "on_peer_restored", "on_media_lost",
    "on_media_restored", "on_video_frame", "on_local_frame", "on_audio_level",
    "on_device_error",
]
"""The names of the mesh's events (the fields of :class:`MeshEvents`)."""


@dataclass
class MeshEvents(Callbacks[MeshEvent]):
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
    on_video_frame: Callable[[str, VideoFrame], None] | None = None
    """A decoded remote video frame (camera or screen). Must not block."""
    on_local_frame: Callable[[VideoFrame], None] | None = None
    """A local camera frame, for the self view. Must not block."""
    on_audio_level: Callable[[str, float], None] | None = None
    """Peak RMS (0..1) of a participant's audio over the last ~100 ms."""
    on_device_error: Callable[[str, str], None] | None = None
    """A device failed or is missing: kind (camera, microphone, speaker, screen), message."""
