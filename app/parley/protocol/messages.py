"""The messages of the Parley wire protocol and their JSON codec.

Every frame is one JSON object ``{"v": 1, "type": "<name>", ...fields}``.
Client and server share the two pure functions :func:`encode` and
:func:`decode`; decoding validates every field's type and the domain rules
(session id syntax, display-name length) and raises only
:class:`~parley.protocol.errors.ProtocolError`.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Union

from parley.protocol.chattext import validate_chat_text
from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.ids import validate_session_id
from parley.protocol.names import validate_display_name
from parley.protocol.presence import ParticipantInfo as ParticipantInfo

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
class Message:
    """Base of every protocol message; ``TYPE`` is the wire name."""

    TYPE: ClassVar[str] = ""


@dataclass(frozen=True)
class Join(Message):
    """Client -> server: join a room, or resume a seat with ``resume_token``."""

    TYPE: ClassVar[str] = "join"
    session_id: str
    display_name: str
    token: str | None = None
    """Join token (HMAC, room-scoped) when the server has a secret."""
    resume_token: str | None = None
    """Resume token from a previous welcome/pong: take back the same identity."""
    audio_muted: bool = False
    video_paused: bool = False


@dataclass(frozen=True)
class Leave(Message):
    """Client -> server: leave the room for good."""

    TYPE: ClassVar[str] = "leave"


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


@dataclass(frozen=True)
class Offer(Message):
    """Relayed SDP offer. Clients set ``to``; the server stamps ``sender``."""

    TYPE: ClassVar[str] = "offer"
    sdp: str
    generation: int = 0
    """Which peer connection of the pair this belongs to (rebuilt ones count up)."""
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
    resumed: bool = False
    room_recreated: bool = False
    """The resume recreated a room this server did not know (it was restarted): the
    others it lacks have not resumed yet, rather than left."""


@dataclass(frozen=True)
class ParticipantJoined(Message):
    TYPE: ClassVar[str] = "participant_joined"
    participant: ParticipantInfo


@dataclass(frozen=True)
class ParticipantLeft(Message):
    TYPE: ClassVar[str] = "participant_left"
    participant_id: str
    reason: str = "left"
    """``left`` (said goodbye) or ``timeout`` (departure grace period ran out)."""


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
    """Server -> client: the server is shutting down; resume elsewhere."""

    TYPE: ClassVar[str] = "going_away"
    reason: str = "shutdown"
    retry_after: float = 0.0


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
        Join, Leave, Ping, Pong, Update, Offer, Answer, Candidate, Welcome,
        ParticipantJoined, ParticipantLeft, ParticipantUpdated,
        ParticipantReconnecting, ParticipantRestored, Error, GoingAway, Chat, ChatMessage,
        ChatHistory,
    )
}


# ---------------------------------------------------------------- codec


def _json_key(f: Any) -> str:
    return str(f.metadata.get("json", f.name))


def _to_json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {_json_key(f): _to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


def to_dict(message: Message) -> dict[str, Any]:
    """The JSON object of a message, envelope included."""
    body = _to_json(message)
    assert isinstance(body, dict)
    return {"v": PROTOCOL_VERSION, "type": message.TYPE, **body}


def encode(message: Message) -> str:
    """Encode a message as one JSON text frame."""
    return json.dumps(to_dict(message), separators=(",", ":"), allow_nan=False)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _bad(path: str, expected: str, value: Any) -> ProtocolError:
    return ProtocolError(
        ErrorCode.INVALID_FIELD, f"{path}: expected {expected}, got {type(value).__name__}"
    )


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _bad(path, "array", value)
        (inner, _ellipsis) = typing.get_args(tp)
        return tuple(_convert(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise _bad(path, "boolean", value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(path, "integer", value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(path, "number", value)
        try:
            number = float(value)  # an int too big for a float raises OverflowError
        except OverflowError:
            raise _bad(path, "finite number", value) from None
        if not math.isfinite(number):
            raise _bad(path, "finite number", value)
        return number
    if tp is str:
        if not isinstance(value, str):
            raise _bad(path, "string", value)
        return value
    if isinstance(tp, type) and is_dataclass(tp):
        if not isinstance(value, dict):
            raise _bad(path, "object", value)
        return _build(tp, value, path)
    raise TypeError(f"unsupported field type {tp!r}")  # a bug in this module


def _build(cls: type, obj: dict[str, Any], path: str) -> Any:
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        key = _json_key(f)
        where = f"{path}.{key}" if path else key
        if key in obj:
            kwargs[f.name] = _convert(hints[f.name], obj[key], where)
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"{where}: missing")
    return cls(**kwargs)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode(frame: str | bytes) -> Message:
    """Decode one frame; raises ProtocolError (and nothing else) when it is not valid."""
    try:
        text = frame.decode("utf-8") if isinstance(frame, bytes | bytearray) else frame
        obj = json.loads(text, parse_constant=_reject_constant)
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
    message: Message = _build(cls, obj, "")
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
