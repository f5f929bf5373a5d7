"""The messages of the Parley wire protocol and their JSON codec.

Every frame is one JSON object ``{"v": 1, "type": "<name>", ...fields}``.
Client and server share the two pure functions :func:`encode` and
:func:`decode`; decoding validates every field's type and the domain rules
(session id syntax, display-name length) and raises only
:class:`~parley.protocol.errors.ProtocolError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from parley.protocol.base import Message as Message
from parley.protocol.chattext import validate_chat_text
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.fields import build, reject_constant, to_json
from parley.protocol.ids import validate_session_id
from parley.protocol.names import validate_display_name
from parley.protocol.presence import ParticipantInfo as ParticipantInfo
from parley.protocol.sfu import SFU_MESSAGES

PROTOCOL_VERSION = 1


# ---------------------------------------------------------------- value objects


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server, as in RTCIceServer."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


# ---------------------------------------------------------------- messages


@dataclass(frozen=True)
class Join(Message):
    """Client -> server: join a room, or resume a seat with ``resume_token``."""

    TYPE: ClassVar[str] = "join"
    session_id: str
    display_name: str
    token: str | None = None
    """Join grant (an invite or identity JWT for this room) when the server has a secret."""
    resume_token: str | None = None
    """Resume token from a previous welcome/pong: take back the same identity."""
    audio_muted: bool = False
    video_paused: bool = False


@dataclass(frozen=True)
class Leave(Message):
    """Client -> server: leave the room for good."""

    TYPE: ClassVar[str] = "leave"


@dataclass(frozen=True)
class EndCall(Message):
    """Client -> server: the host ends the call for everyone (others get NOT_HOST)."""

    TYPE: ClassVar[str] = "end_call"


@dataclass(frozen=True)
class Admit(Message):
    """Client -> server: the host lets knock ``id`` in from the lobby."""

    TYPE: ClassVar[str] = "admit"
    id: str


@dataclass(frozen=True)
class Deny(Message):
    """Client -> server: the host turns knock ``id`` away."""

    TYPE: ClassVar[str] = "deny"
    id: str


@dataclass(frozen=True)
class Ping(Message):
    """Heartbeat; ``t`` is the sender's clock, echoed in the pong."""

    TYPE: ClassVar[str] = "ping"
    t: float = 0.0


@dataclass(frozen=True)
class Pong(Message):
    """Heartbeat answer; the server's pongs carry a fresh resume token."""

    TYPE: ClassVar[str] = "pong"
    t: float = 0.0
    resume_token: str | None = None


@dataclass(frozen=True)
class Update(Message):
    """Client -> server: change own presence flags (None = unchanged)."""

    TYPE: ClassVar[str] = "update"
    audio_muted: bool | None = None
    video_paused: bool | None = None
    hand_raised: bool | None = None
    screen_sharing: bool | None = None
    no_camera: bool | None = None
    no_microphone: bool | None = None


TRACK_ROLES = ("audio", "camera", "screen")
"""The roles an offer's m-line may be declared with (docs/protocol.md, *Track roles*)."""


@dataclass(frozen=True)
class TrackRole:
    """What one m-line of an offer carries, in both directions."""

    mid: str
    """The m-line's ``a=mid``."""
    role: str
    """One of :data:`TRACK_ROLES`; an m-line declared with any other role is rejected
    by the answerer (not the frame: roles may be added later)."""


@dataclass(frozen=True)
class Offer(Message):
    """Relayed SDP offer. Clients set ``to``; the server stamps ``sender``."""

    TYPE: ClassVar[str] = "offer"
    sdp: str
    generation: int = 0
    """Which peer connection of the pair this belongs to (counts up from 0 per pair)."""
    tracks: tuple[TrackRole, ...] = ()
    """The declared role of the offer's m-lines (by mid); undeclared ones follow the
    defaults of docs/protocol.md."""
    to: str | None = None
    sender: str | None = field(default=None, metadata={"json": "from"})


@dataclass(frozen=True)
class Answer(Message):
    """Relayed SDP answer. Clients set ``to``; the server stamps ``sender``."""

    TYPE: ClassVar[str] = "answer"
    sdp: str
    generation: int = 0
    to: str | None = None
    sender: str | None = field(default=None, metadata={"json": "from"})


@dataclass(frozen=True)
class Candidate(Message):
    """Relayed ICE candidate (``candidate`` empty = end of candidates)."""

    TYPE: ClassVar[str] = "candidate"
    candidate: str
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None
    generation: int = 0
    to: str | None = None
    sender: str | None = field(default=None, metadata={"json": "from"})


@dataclass(frozen=True)
class Welcome(Message):
    """Server -> client: the join (or resume) succeeded."""

    TYPE: ClassVar[str] = "welcome"
    session_id: str
    participant_id: str
    participants: tuple[ParticipantInfo, ...]
    """Everybody in the room, this participant included."""
    resume_token: str
    heartbeat_interval: float
    heartbeat_timeout: float
    departure_timeout: float
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers for this participant; TURN ones carry ephemeral credentials
    minted for it (coturn's REST scheme; docs/protocol.md)."""
    resumed: bool = False
    room_recreated: bool = False
    """The resume recreated a room this server did not know (it was restarted): the
    others it lacks have not resumed yet, rather than left."""
    media: str = "mesh"
    """``mesh`` (negotiate with each peer) or ``sfu`` (publish and subscribe through the
    server's SFU: docs/protocol.md, *SFU*)."""


@dataclass(frozen=True)
class ParticipantJoined(Message):
    TYPE: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo


@dataclass(frozen=True)
class ParticipantLeft(Message):
    TYPE: ClassVar[str] = "participant_left"
    participant_id: str
    reason: str = "left"
    """``left`` (said goodbye), ``timeout`` (departure grace period ran out) or
    ``replaced`` (a new join with the same identity took its place)."""


@dataclass(frozen=True)
class ParticipantUpdated(Message):
    TYPE: ClassVar[str] = "participant_updated"
    participant: ParticipantInfo


@dataclass(frozen=True)
class ParticipantReconnecting(Message):
    TYPE: ClassVar[str] = "participant_reconnecting"
    participant_id: str


@dataclass(frozen=True)
class ParticipantRestored(Message):
    TYPE: ClassVar[str] = "participant_restored"
    participant_id: str


@dataclass(frozen=True)
class Error(Message):
    """Server -> client: a request was refused; ``ref`` names its type."""

    TYPE: ClassVar[str] = "error"
    code: str
    message: str
    ref: str | None = None


@dataclass(frozen=True)
class GoingAway(Message):
    """Server -> client: the server is shutting down (to restart): resume after
    ``retry_after``. Not an ending; the host ending the call is :class:`RoomClosed`."""

    TYPE: ClassVar[str] = "going_away"
    reason: str = "shutdown"
    retry_after: float = 0.0


@dataclass(frozen=True)
class RoomClosed(Message):
    """Server -> client: the call is over for everyone; do not resume.

    The socket is then closed with 4011 (1000 for the host who ended it)."""

    TYPE: ClassVar[str] = "room_closed"
    reason: str = "ended_by_host"
    by: str | None = None
    """The participant id of the host who ended it."""


@dataclass(frozen=True)
class LobbyWaiting(Message):
    """Server -> client: the join waits in the lobby for a host (``welcome`` or an
    error follows on this connection); keep pinging meanwhile."""

    TYPE: ClassVar[str] = "lobby_waiting"
    session_id: str
    timeout: float
    """Seconds the lobby keeps you before it gives up (``lobby_timeout``)."""
    heartbeat_interval: float
    """Seconds between your pings while you wait."""
    hosts_present: bool = False
    """A host is in the call now (else you wait for one to arrive)."""


@dataclass(frozen=True)
class Knock(Message):
    """Server -> host: someone waits in the lobby (``id`` to admit or deny)."""

    TYPE: ClassVar[str] = "knock"
    id: str
    name: str
    """The display name the joiner gave (unverified: show it as a guest)."""


@dataclass(frozen=True)
class KnockEnded(Message):
    """Server -> host: a knock is no longer waiting."""

    TYPE: ClassVar[str] = "knock_ended"
    id: str
    outcome: str
    """``admitted``, ``denied``, ``timeout`` (the lobby gave up), ``gone`` (the joiner
    hung up) or ``closed`` (the host ended the call)."""


@dataclass(frozen=True)
class Chat(Message):
    """Client -> server: a chat message to everyone in the room (plain text)."""

    TYPE: ClassVar[str] = "chat"
    text: str


@dataclass(frozen=True)
class ChatMessage(Message):
    """Server -> every client of the room, the sender too: one chat message."""

    TYPE: ClassVar[str] = "chat_message"
    seq: int
    """Its place in the room's chat, from 1 (a recreated room starts again)."""
    name: str
    """The sender's display name when it was sent (the sender may have left since)."""
    text: str
    sent_at: float
    """When the server relayed it, in Unix seconds."""
    sender: str = field(default="", metadata={"json": "from"})


@dataclass(frozen=True)
class ChatHistory(Message):
    """Server -> client, right after a welcome: the call's chat so far, oldest first."""

    TYPE: ClassVar[str] = "chat_history"
    messages: tuple[ChatMessage, ...] = ()


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        Join, Leave, EndCall, Ping, Pong, Update, Offer, Answer, Candidate, Welcome,
        ParticipantJoined, ParticipantLeft, ParticipantUpdated,
        ParticipantReconnecting, ParticipantRestored, Error, GoingAway, RoomClosed,
        Admit, Deny, LobbyWaiting, Knock, KnockEnded, Chat, ChatMessage, ChatHistory,
    )
} | {cls.TYPE: cls for cls in SFU_MESSAGES}


# ---------------------------------------------------------------- codec


def to_dict(message: Message) -> dict[str, Any]:
    """The JSON object of a message, envelope included."""
    body = to_json(message)
    assert isinstance(body, dict)
    return {"v": PROTOCOL_VERSION, "type": message.TYPE, **body}


def encode(message: Message) -> str:
    """Encode a message as one JSON text frame."""
    return json.dumps(to_dict(message), separators=(",", ":"), allow_nan=False)


def decode(frame: str | bytes) -> Message:
    """Decode one frame; raises ProtocolError (and nothing else) when it is not valid."""
    try:
        text = frame.decode("utf-8") if isinstance(frame, bytes | bytearray) else frame
        obj = json.loads(text, parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.MALFORMED, f"not a JSON text: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.MALFORMED, "a frame must be a JSON object")
    version = obj.get("v")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {version!r} is not supported (this side speaks {PROTOCOL_VERSION})",
        )
    kind = obj.get("type")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}")
    message: Message = build(cls, obj, "")
    _check_domain(message)
    return message


def _check_domain(message: Message) -> None:
    if isinstance(message, Join):
        validate_session_id(message.session_id)
        validate_display_name(message.display_name)
    elif isinstance(message, Chat | ChatMessage):
        validate_chat_text(message.text)
    elif isinstance(message, ChatHistory):
        for entry in message.messages:
            validate_chat_text(entry.text)
    if isinstance(message, Offer | Answer | Candidate) and message.generation < 0:
        raise ProtocolError(ErrorCode.INVALID_FIELD, "generation: must be >= 0")
