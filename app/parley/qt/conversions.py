"""Between the SDK's types and the widgets' plain values: settings in, messages out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.qt.options import JoinOptions
from parley.sdk import Devices, JoinError, JoinFailure, SessionSettings


def join_failure_text(error: JoinError, server: str) -> str:
    """A message for the join screen that says what went wrong and what to do."""
    reason = error.reason
    if reason is JoinFailure.UNREACHABLE:
        return f"Can't reach the call server at {server}. Check the address and your network."
    if reason is JoinFailure.TOKEN_REJECTED:
        return "The call server refused the invite's token. Ask for a new invite link."
    if reason is JoinFailure.ROOM_FULL:
        return "This call is full. Try again later or ask the host for another call."
    if reason is JoinFailure.INVALID_SESSION_ID:
        return "That session id isn't valid: use 1-64 letters, digits, '.', '_' or '-'."
    if reason is JoinFailure.ALREADY_JOINED:
        return "You're already in a call."
    if reason is JoinFailure.INVALID_SETTINGS:
        return f"The call server refused your settings: {error.message}"
    return f"The call server could not let you in: {error.message}"


def session_settings(options: object, overrides: Mapping[str, Any]) -> SessionSettings:
    """SessionSettings from the join form's JoinOptions (or SessionSettings as they are).

    Raises:
        TypeError: ``options`` is neither.
        ValueError: A setting is invalid (the message names it).
    """
    if isinstance(options, SessionSettings):
        return options
    if not isinstance(options, JoinOptions):
        raise TypeError(f"expected JoinOptions or SessionSettings, got {options!r}")
    return SessionSettings(
        display_name=options.display_name,
        start_audio_muted=options.start_audio_muted,
        start_video_paused=options.start_video_paused,
        devices=Devices(camera=options.camera or None, microphone=options.microphone or None,
                        speaker=options.speaker or None),
        **overrides,
    )
