"""Parley: a desktop calling app over a Qt-free call SDK.

The SDK names are re-exported lazily so that ``import parley.server`` does not
pull in aiortc and PyAV.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_SDK_NAMES = {
    "CallSession",
    "SessionSettings",
    "SessionSettingsBuilder",
    "SessionStatusListener",
    "ParticipantEventListener",
    "MediaEventListener",
    "SessionState",
    "EndReason",
    "JoinError",
    "SessionType",
}


def __getattr__(name: str) -> Any:
    if name in _SDK_NAMES:
        from parley import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'parley' has no attribute {name!r}")
