"""The Parley call SDK: CallSession, SessionSettings and the lifecycle listeners (no Qt)."""

from parley.sdk.errors import EndReason, JoinError, JoinFailure
from parley.sdk.listeners import (
    MediaEventListener,
    ParticipantEventListener,
    SessionStatusListener,
)
from parley.sdk.lobby import JoinRequest
from parley.sdk.participants import Participant
from parley.sdk.session import CallSession
from parley.sdk.settings import Devices, SessionSettings, SessionSettingsBuilder, SessionType
from parley.sdk.state import SessionState

__all__ = [
    "CallSession",
    "Devices",
    "EndReason",
    "JoinError",
    "JoinFailure",
    "JoinRequest",
    "MediaEventListener",
    "Participant",
    "ParticipantEventListener",
    "SessionSettings",
    "SessionSettingsBuilder",
    "SessionState",
    "SessionStatusListener",
    "SessionType",
]
