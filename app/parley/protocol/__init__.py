"""Every wire fact, defined once and shared by the call server, the SDK and the app (pure, no I/O):

messages and their codec, error and close codes, signed tokens (join grants and
resume tokens), the session-id and display-name rules, server addresses, invite
links and the defaults (port, path).
"""

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
