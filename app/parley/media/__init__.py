"""parley.media: aiortc peers, capture, playback and devices. No Qt, no server.

The SDK uses :class:`MediaMesh` (one RTCPeerConnection per remote participant)
with a :class:`MediaConfig` and :class:`MeshEvents`. Choices worth knowing:

- Parley's own offers carry three m-lines and a data channel, max-bundled on one
  transport: audio, camera, screen, each with a declared role (``Offer.tracks``),
  then the heartbeat channel. Mute sends silence, pause sends 160x120 black frames
  at 5 fps, screen sharing feeds the screen sender: nothing is renegotiated for them.
- Any compliant peer's offer is answered by mid and kind, never position
  (:mod:`parley.media.negotiation`): m-lines in any order, missing kinds,
  recvonly/sendonly, extra m-lines rejected; renegotiations on the same connection.
- Perfect negotiation, polite by id (:mod:`parley.media.peer`): the lower id offers
  first; generations count up from 0 per pair; stale ones are dropped.
- Liveness is the data-channel heartbeat per peer (:mod:`parley.media.heartbeat`):
  no pong for ``liveness_timeout`` (or a failed connection) means reconnecting, and
  a FRESH connection is negotiated (aiortc cannot restart ICE). Media flow is only a
  quality signal (``on_peer_media``): a peer that sends nothing stays connected.
- ``on_media_lost`` fires when no peer is connected and at least one is
  reconnecting; ``on_media_restored`` when that ends (a peer connects again, or the
  dead peers were removed).

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
