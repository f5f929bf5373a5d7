"""SessionSettings validate themselves; the builder makes the same objects."""

from __future__ import annotations

import dataclasses

import pytest

from parley.sdk import SessionSettings, SessionSettingsBuilder, SessionType


def test_defaults() -> None:
    s = SessionSettings(display_name="Ada")
    assert (s.idle_timeout_period, s.reconnect_timeout) == (300.0, 30.0)
    assert s.session_type is SessionType.VIDEO
    assert not s.start_audio_muted and not s.start_video_paused


def test_frozen() -> None:
    s = SessionSettings(display_name="Ada")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.display_name = "Bob"  # type: ignore[misc]


@pytest.mark.parametrize(("field", "value"), [
    ("idle_timeout_period", -1), ("idle_timeout_period", 10**9),
    ("idle_timeout_period", float("nan")), ("idle_timeout_period", "300"),
    ("idle_timeout_period", 0.5),
    ("reconnect_timeout", 0), ("reconnect_timeout", -5), ("reconnect_timeout", 10**7),
    ("reconnect_timeout", True),
    ("display_name", ""), ("display_name", "   "), ("display_name", "x" * 65),
    ("display_name", "tab\there"),
    ("start_audio_muted", "yes"), ("session_type", "video"), ("ice_servers", ["stun:x"]),
])
def test_bad_values_name_the_field(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"display_name": "Ada", field: value}
    with pytest.raises(ValueError, match=field):
        SessionSettings(**kwargs)  # type: ignore[arg-type]


def test_zero_disables_the_idle_timeout() -> None:
    assert SessionSettings(display_name="Ada", idle_timeout_period=0).idle_timeout_period == 0


def test_builder() -> None:
    built = (SessionSettingsBuilder("Ada").set_idle_timeout_period(120)
             .set_reconnect_timeout(10).set_start_audio_muted(True)
             .set_session_type(SessionType.AUDIO).build())
    assert built == SessionSettings(display_name="Ada", idle_timeout_period=120,
                                    reconnect_timeout=10, start_audio_muted=True,
                                    session_type=SessionType.AUDIO)
    with pytest.raises(ValueError, match="idle_timeout_period"):
        SessionSettingsBuilder("Ada").set_idle_timeout_period(-3).build()
