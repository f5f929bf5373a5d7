"""From the widgets' plain values to the SDK's types: the join form becomes SessionSettings.

(What went wrong travels the other way as a ``parley.qt.problems.Problem``; the UI words it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.qt.options import JoinOptions
from parley.sdk import Devices, SessionSettings


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
        echo_cancellation=options.echo_cancellation,
        noise_suppression=options.noise_suppression,
        auto_gain_control=options.auto_gain_control,
        **overrides,
    )
