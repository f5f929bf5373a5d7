"""parley.media: aiortc peers, capture, playback and devices. No Qt, no server.

The SDK uses :class:`MediaMesh` (one RTCPeerConnection per remote participant)
with a :class:`MediaConfig` and :class:`MeshEvents`. Choices worth knowing:

- Every connection carries three m-lines, max-bundled on one transport: audio,
  camera, screen. Mute sends silence, pause sends 160x120 black frames at 5 fps,
  screen sharing feeds the third sender: nothing is ever renegotiated for them.
- The lower participant id offers. Each connection of a pair has a generation
  (seeded from the clock); signals of another generation are ignored.
- Liveness is inbound media per peer: silent for ``liveness_timeout`` (or the
  connection failed or closed) means reconnecting, and a FRESH connection is
  negotiated (aiortc cannot restart ICE). An unanswered offer is repeated after
  ``liveness_timeout``, an answered one that never flows after 3x that (>= 5 s).
- ``on_media_lost`` fires when no peer flows and at least one is reconnecting;
  ``on_media_restored`` when that ends (a peer flows again, or the dead peers
  were removed).

The names below are imported lazily, so that the SDK can use this package's
aiortc-free helpers (:mod:`parley.media.callbacks`, :mod:`parley.media.tasks`)
without loading aiortc and PyAV for a session that sends no media.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parley.media.config import MediaConfig
    from parley.media.events import MeshEvents
    from parley.media.frames import VideoFrame
    from parley.media.mesh import MediaHealth, MediaMesh
    from parley.media.peer import PeerState
    from parley.media.stats import PeerStats

_HOMES = {
    "MediaConfig": "parley.media.config",
    "MediaHealth": "parley.media.mesh",
    "MediaMesh": "parley.media.mesh",
    "MeshEvents": "parley.media.events",
    "PeerState": "parley.media.peer",
    "PeerStats": "parley.media.stats",
    "VideoFrame": "parley.media.frames",
}

__all__ = ["MediaConfig", "MediaHealth", "MediaMesh", "MeshEvents", "PeerState", "PeerStats",
           "VideoFrame"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'parley.media' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
