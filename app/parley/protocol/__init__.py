"""Wire messages and tokens shared by the call server and the SDK (pure, no I/O)."""

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.messages import (
    PROTOCOL_VERSION,
    Message,
    ParticipantInfo,
    decode,
    encode,
)

__all__ = [
    "PROTOCOL_VERSION",
    "ErrorCode",
    "Message",
    "ParticipantInfo",
    "ProtocolError",
    "decode",
    "encode",
]
