"""What the mesh tells its owner: :class:`MeshEvents`, called as
:mod:`parley.media.callbacks` says (plain functions, errors logged)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from parley.media.callbacks import Callbacks
from parley.media.frames import VideoFrame

MeshEvent = Literal[
    "on_peer_connected", "on_peer_reconnecting", "on_peer_restored", "on_peer_media",
    "on_peer_reachable", "on_media_lost",
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
    """The first heartbeat of a participant's connection came back."""
    on_peer_reconnecting: Callable[[str], None] | None = None
    """A connected participant's heartbeat stopped (or it started over); the mesh is
    rebuilding the link."""
    on_peer_restored: Callable[[str], None] | None = None
    """A reconnecting participant's heartbeat is back."""
    on_peer_media: Callable[[str, bool], None] | None = None
    """Media from a participant started or resumed (True), or stalled (False) for the
    stall timeout: a quality signal only (a frozen video, no audio); a peer that
    sends nothing stays connected."""
    on_peer_reachable: Callable[[str, bool], None] | None = None
    """No connected path to a participant for ``unreachable_after`` seconds (False:
    a firewall, or no TURN server), or a path connected again after that (True)."""
    on_media_lost: Callable[[], None] | None = None
    """Every peer's heartbeat (at least one) is dead."""
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
