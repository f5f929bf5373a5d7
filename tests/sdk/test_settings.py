"""SessionSettings validate themselves: every field refuses its bad values with a
ValueError that names the field, the rule and the value; the defaults are DESIGN.md's;
the builder makes the same objects."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from parley.protocol.messages import IceServer
from parley.sdk import Devices, SessionSettings, SessionSettingsBuilder, SessionType

FLAGS = ("start_audio_muted", "start_video_paused", "fake_media", "media", "echo")
STUN = IceServer(urls=("stun:stun.example.org:3478",))


def test_the_defaults_are_the_documented_ones() -> None:
    assert dataclasses.asdict(SessionSettings("Ada")) == {
        "display_name": "Ada",
        "session_type": SessionType.VIDEO,
        "idle_timeout_period": 300.0,  # 0 disables it
        "reconnect_timeout": 30.0,
        "start_audio_muted": False,
        "start_video_paused": False,
        "devices": {"camera": None, "microphone": None, "speaker": None},
        "ice_servers": (),
        "fake_media": False,
        "media": True,
        "echo": False,
        "echo_cancellation": True,
        "noise_suppression": True,
        "auto_gain_control": True,
        "hide_host_addresses": None,  # automatic: on for guests (docs/security.md)
    }


def test_hide_host_addresses_is_true_false_or_automatic_and_has_a_builder_method() -> None:
    for value in (True, False, None):
        assert SessionSettings("Ada", hide_host_addresses=value).hide_host_addresses is value
        built = SessionSettingsBuilder("Ada").set_hide_host_addresses(value).build()
        assert built.hide_host_addresses is value
    with pytest.raises(ValueError, match=r"hide_host_addresses must be True, False or None"):
        SessionSettings("Ada", hide_host_addresses="yes")  # type: ignore[arg-type]


def test_settings_are_frozen_and_a_replaced_copy_is_validated_again() -> None:
    settings = SessionSettings("Ada")
    with pytest.raises(dataclasses.FrozenInstanceError, match="display_name"):
        settings.display_name = "Bob"  # type: ignore[misc]
    assert dataclasses.replace(settings, reconnect_timeout=5).reconnect_timeout == 5
    with pytest.raises(ValueError, match="^reconnect_timeout must be between"):
        dataclasses.replace(settings, reconnect_timeout=0)


def _refused(field: str, value: Any, message: str) -> Any:
    return pytest.param(field, value, message, id=f"{field}={value!r}"[:60])


def _name(value: Any) -> Any:
    return _refused("display_name", value,
                    f"display_name must be 1-64 printable characters, got {value!r}")


def _range(field: str, value: Any, low: str, high: str, zero: bool) -> Any:
    extra = " (0 disables it)" if zero else ""
    return _refused(field, value,
                    f"{field} must be between {low} and {high} seconds{extra}, got {value!r}")


def _seconds(field: str, value: Any) -> Any:
    return _refused(field, value, f"{field} must be a number of seconds, got {value!r}")


def _ice(value: Any) -> Any:
    return _refused("ice_servers", value, "ice_servers must be a tuple of IceServer")


REFUSED = [
    *(_name(v) for v in ("", "   ", "x" * 65, "tab\there", "new\nline", None, 42)),
    *(_refused("session_type", v, f"session_type must be a SessionType, got {v!r}")
      for v in ("video", None, 1)),
    *(_range("idle_timeout_period", v, "1", "86400", zero=True)
      for v in (-1, 0.5, 0.999, 86400.5, 10**9)),
    *(_seconds("idle_timeout_period", v)
      for v in (float("nan"), float("inf"), "300", True, None)),
    *(_range("reconnect_timeout", v, "0.5", "3600", zero=False)
      for v in (0, -5, 0.49, 3600.5, 10**7)),
    *(_seconds("reconnect_timeout", v) for v in (float("-inf"), "30", False, None)),
    *(_refused(flag, v, f"{flag} must be True or False")
      for flag in FLAGS for v in ("yes", 1, None)),
    *(_ice(v) for v in ([STUN], ("stun:stun.example.org",), (STUN, "turn:x"), None)),
]


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_a_bad_value_is_refused_with_a_message_naming_field_rule_and_value(
        field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SessionSettings(**{"display_name": "Ada", field: value})


@pytest.mark.parametrize(("field", "value"), [
    ("display_name", "x" * 64), ("display_name", "Zoë 李"),
    ("session_type", SessionType.AUDIO),
    ("idle_timeout_period", 0), ("idle_timeout_period", 1), ("idle_timeout_period", 86400),
    ("idle_timeout_period", 1.5),
    ("reconnect_timeout", 0.5), ("reconnect_timeout", 3600), ("reconnect_timeout", 7),
    *((flag, True) for flag in FLAGS),
    ("ice_servers", (STUN, IceServer(("turn:turn.example.org",), "u", "p"))),
    ("devices", Devices(camera="/dev/video2", microphone="USB Mic", speaker="3")),
])
def test_the_edges_of_every_rule_are_accepted(field: str, value: Any) -> None:
    settings = SessionSettings(**{"display_name": "Ada", field: value})
    assert getattr(settings, field) == value


@pytest.mark.parametrize("devices", ["USB Mic", None])
def test_devices_that_are_not_devices_are_refused(devices: Any) -> None:
    with pytest.raises(ValueError, match=r"^devices must be a Devices, got "):
        SessionSettings("Ada", devices=devices)


@pytest.mark.parametrize("name", [3, "", "  "])
def test_device_names_must_be_names(name: Any) -> None:
    with pytest.raises(ValueError, match=r"^devices.camera must be a device name or None"):
        Devices(camera=name)


def test_a_display_name_is_kept_trimmed_and_nfc() -> None:
    assert SessionSettings(" Ada ").display_name == "Ada"
    assert SessionSettings("Zoe\u0308").display_name == "Zo\u00eb"


def test_the_builder_sets_every_field_it_offers() -> None:
    devices = Devices(camera="/dev/video2", microphone="USB Mic", speaker="3")
    built = (SessionSettingsBuilder()
             .set_display_name("Ada")
             .set_session_type(SessionType.AUDIO)
             .set_idle_timeout_period(120)
             .set_reconnect_timeout(10)
             .set_start_audio_muted(True)
             .set_start_video_paused(True)
             .set_devices(devices)
             .set_ice_servers([STUN])  # type: ignore[arg-type]  # any sequence: kept as a tuple
             .set_fake_media(True)
             .set_audio_processing(echo_cancellation=False, auto_gain_control=False)
             .set_hide_host_addresses(True)
             .build())
    assert dataclasses.asdict(built) == {
        "display_name": "Ada", "session_type": SessionType.AUDIO,
        "idle_timeout_period": 120, "reconnect_timeout": 10,
        "start_audio_muted": True, "start_video_paused": True,
        "devices": {"camera": "/dev/video2", "microphone": "USB Mic", "speaker": "3"},
        "ice_servers": ({"urls": ("stun:stun.example.org:3478",), "username": None,
                         "credential": None},),
        "fake_media": True, "media": True, "echo": False,
        "echo_cancellation": False, "noise_suppression": True, "auto_gain_control": False,
        "hide_host_addresses": True,
    }


def test_the_builder_starts_from_the_defaults_with_a_guest_name() -> None:
    assert SessionSettingsBuilder().build() == SessionSettings("Guest")
    assert SessionSettingsBuilder("Ada").build() == SessionSettings("Ada")


def test_the_builder_validates_on_build_with_the_same_messages() -> None:
    builder = SessionSettingsBuilder("Ada").set_idle_timeout_period(-3)
    with pytest.raises(ValueError, match=re.escape(
            "idle_timeout_period must be between 1 and 86400 seconds (0 disables it), got -3")):
        builder.build()
    with pytest.raises(ValueError, match="^display_name must be 1-64 printable characters"):
        SessionSettingsBuilder("").build()
    with pytest.raises(ValueError, match="^start_video_paused must be True or False$"):
        SessionSettingsBuilder("Ada").set_start_video_paused("no").build()  # type: ignore[arg-type]
