"""parley.media: aiortc peers, capture, playback and devices. No Qt, no server.

The SDK uses :class:`MediaMesh` (one RTCPeerConnection per remote participant)
with a :class:`MediaConfig` and :class:`MeshEvents`.
"""

from parley.media.config import MediaConfig
from parley.media.events import MeshEvents
from parley.media.frames import RemoteFrame
from parley.media.mesh import MediaHealth, MediaMesh
from parley.media.peer import PeerState
from parley.media.stats import PeerStats

__all__ = ["MediaConfig", "MediaHealth", "MediaMesh", "MeshEvents", "PeerState", "PeerStats",
           "RemoteFrame"]
