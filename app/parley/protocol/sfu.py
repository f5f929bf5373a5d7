"""The SFU negotiation, as Parley protocol messages (docs/protocol.md, *SFU*).

When the server's ``welcome`` says ``media: "sfu"``, a client does not negotiate with
the other participants: it publishes once (:class:`SfuPublish`, answered by
:class:`SfuPublished`) and receives everybody through one subscriber connection that
the server offers (:class:`SfuOffer`, answered by :class:`SfuAnswer`, again on every
change of who publishes). The server translates these to and from its SFU's API;
clients never see that API, its ids or its secrets.

A call's mode can change while it runs (``--sfu auto``): :class:`MediaMode` tells every
seat to move (make-before-break: the new path first, the old one closed once the new
one carries everyone), and :class:`SfuLeave` tells the server a client has closed its
SFU connections after a move back to the mesh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from parley.protocol.base import Message

MEDIA_MODES = ("mesh", "sfu")
"""How a call's media flows (``welcome.media``): peer to peer, or through the SFU."""
SFU_ROLES = ("audio", "camera")
"""The roles of a subscriber connection's streams."""
SFU_LAYERS = ("full", "low")
"""A published camera's quality layers: the full picture, and a low one (320x240 at
most) for small tiles and short links. Each is a video stream of its own (aiortc sends
no simulcast); a subscriber receives one layer per participant."""


@dataclass(frozen=True)
class SfuTrack:
    """One m-line of a publisher offer: what it sends (docs/protocol.md, *Layers*)."""

    mid: str
    """The m-line's ``a=mid``."""
    role: str
    """One of :data:`SFU_ROLES`."""
    layer: str = "full"
    """For a camera: one of :data:`SFU_LAYERS`."""


@dataclass(frozen=True)
class SfuStream:
    """One m-line of a subscriber offer: whose media it carries."""

    mid: str
    """The m-line's ``a=mid``."""
    participant_id: str
    """The participant it comes from."""
    role: str
    """One of :data:`SFU_ROLES`."""
    layer: str = "full"
    """For a camera: the layer of it the m-line carries now (one of :data:`SFU_LAYERS`)."""


@dataclass(frozen=True)
class SfuPublish(Message):
    """Client -> server: the offer of this participant's publisher connection (send
    only: audio, then camera, maybe the camera's low layer; every candidate in the SDP,
    no trickle)."""

    TYPE: ClassVar[str] = "sfu_publish"
    sdp: str
    tracks: tuple[SfuTrack, ...] = ()
    """What each m-line sends; empty: the first audio and the first video m-line are
    audio and the camera's one (full) layer."""


@dataclass(frozen=True)
class SfuLayer(Message):
    """Client -> server: receive ``layer`` of ``participant_id``'s camera (the server
    switches the subscriber connection's m-line to it, no renegotiation; one not yet
    received starts on it). Server -> client: the m-line carrying that participant's
    camera carries ``layer`` from now on."""

    TYPE: ClassVar[str] = "sfu_layer"
    participant_id: str
    layer: str
    """One of :data:`SFU_LAYERS`."""


@dataclass(frozen=True)
class SfuPublished(Message):
    """Server -> client: the SFU's answer to :class:`SfuPublish`."""

    TYPE: ClassVar[str] = "sfu_published"
    sdp: str


@dataclass(frozen=True)
class SfuOffer(Message):
    """Server -> client: an offer (the first one, or a renegotiation) for the
    subscriber connection, which receives everybody else."""

    TYPE: ClassVar[str] = "sfu_offer"
    sdp: str
    version: int
    """Counts up per subscriber connection; the answer names it."""
    streams: tuple[SfuStream, ...] = ()
    """Whose media each m-line carries (m-lines not listed carry nothing)."""


@dataclass(frozen=True)
class SfuAnswer(Message):
    """Client -> server: the answer to the :class:`SfuOffer` of ``version``."""

    TYPE: ClassVar[str] = "sfu_answer"
    sdp: str
    version: int


@dataclass(frozen=True)
class MediaMode(Message):
    """Server -> client: the call's media moves to ``mode`` (one of :data:`MEDIA_MODES`).
    The client builds the new path with everyone in the roster, keeps playing the old
    one until the new one carries each participant, then closes the old one. No
    participant joins or leaves by it."""

    TYPE: ClassVar[str] = "media_mode"
    mode: str
    generation: int
    """Counts up per room on every move; a client ignores one older than it has seen
    (and a mode it does not know)."""


@dataclass(frozen=True)
class SfuLeave(Message):
    """Client -> server: this client closed its SFU connections (it moved to the mesh);
    the server frees its SFU side."""

    TYPE: ClassVar[str] = "sfu_leave"
    generation: int = 0
    """The :class:`MediaMode` generation it acts on (the server ignores an older one)."""


@dataclass(frozen=True)
class SfuFeed(Message):
    """Server -> the other clients: the SFU stopped (False) or started again (True)
    receiving a participant's published media (Janus's ``media`` / ``hangup`` /
    ``webrtcup`` events). A client shows that participant reconnecting meanwhile: its
    media really stopped, whatever the state of its server link."""

    TYPE: ClassVar[str] = "sfu_feed"
    participant_id: str
    flowing: bool


@dataclass(frozen=True)
class SfuRestart(Message):
    """Server -> client: both SFU connections are gone (the SFU node the call was on
    died; the call moved to another): close them and publish again (:class:`SfuPublish`);
    a first :class:`SfuOffer` for a new subscriber connection follows."""

    TYPE: ClassVar[str] = "sfu_restart"


SFU_MESSAGES: tuple[type[Message], ...] = (SfuPublish, SfuPublished, SfuOffer, SfuAnswer,
                                           MediaMode, SfuLeave, SfuFeed, SfuRestart,
                                           SfuLayer)
SFU_TO_CLIENT: tuple[type[Message], ...] = (SfuPublished, SfuOffer, MediaMode, SfuFeed,
                                            SfuRestart, SfuLayer)
"""The SFU messages a client acts on (its call media takes them)."""
