"""PulseAudio's own sinks and sources are speakers and microphones (media/pulse_devices.py):
one loaded with pactl alone, with no ALSA device (a Bluetooth headset, a network sink),
shows up in the device listing without a restart, and a stream opened on its id plays to
that sink, not to the default. In a child process (PortAudio reads its devices once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.media.pulse_devices import pulse_name
from tests.media.pulse import null_sink_loop, run_child

pytestmark = pytest.mark.slow


def test_pulse_ids() -> None:
    assert pulse_name("Pulse:alsa_output.usb-headset") == "alsa_output.usb-headset"
    assert pulse_name("ALSA:pulse") is None
    assert pulse_name(None) is None


def test_a_pulse_sink_without_an_alsa_device_is_listed_and_played_to(tmp_path: Path) -> None:
    with null_sink_loop(tmp_path) as env:
        report = run_child(env, "tests.media._pulse_devices_probe", timeout=60)
    assert "Pulse:parley_soft" not in report["before"]
    assert "Pulse:parley_test" in report["before"]  # the default sink, by its own name
    assert "Pulse:parley_soft" in report["after"]
    assert "Pulse:parley_soft.monitor" not in report["after"]  # not a microphone to pick
    assert report["new"] > 12000  # the tone (24000) reached the new sink ...
    assert report["default"] < 1000  # ... and not the default one
