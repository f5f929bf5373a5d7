"""Devices that come and go mid-call, on a private PulseAudio: sinks and sources loaded
and unloaded with ``pactl`` while Ada is in a call with Bob. Each test asserts what Ada
is told (the device error and the call screen's sentence for it), where her streams are,
and that audio keeps flowing. The call runs in a child process (tests/media/
_hotplug_probe.py): PortAudio reads its device list once per process.

The disappearing devices and the plugged-in one run at the same time, each child on
its own PulseAudio (the ``changes`` fixture): they spend their time watching a settle
window, not computing, so together they take about as long as one. The switch, whose
test bounds how fast it is heard, runs alone."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.media.pulse import outcome, private_pulse, run_child, start_child

pytestmark = pytest.mark.slow

SINKS = ("parley_desk", "parley_headset")
SOURCES = {"parley_silence": "module-null-source", "parley_tone": "module-sine-source",
           "parley_backup_tone": "module-sine-source"}


def _alsa(name: str, direction: str) -> str:
    return f"pcm.{name} {{ type asym {direction}.pcm {{ type pulse device {name} }} }}"


def _devices(tmp_path: Path) -> AbstractContextManager[dict[str, str]]:
    """Two speakers (null sinks, the headset the default) and three microphones: a
    silent one, a 440 Hz tone and a 660 Hz tone (the default), each an ALSA device too."""
    tones = {"parley_tone": 440, "parley_backup_tone": 660}
    modules = [*(f"load-module module-null-sink sink_name={n} rate=48000 channels=1"
                 for n in SINKS),
               *(f"load-module {module} source_name={n} rate=48000"
                 + (f" frequency={tones[n]}" if n in tones else " channels=1")
                 for n, module in SOURCES.items()),
               "set-default-sink parley_headset", "set-default-source parley_backup_tone"]
    alsa = [*(_alsa(n, "playback") for n in SINKS), *(_alsa(n, "capture") for n in SOURCES)]
    return private_pulse(tmp_path, modules, alsa)


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    with _devices(tmp_path) as env:
        yield env


CHANGES = {"mic_gone": ("tests.media._hotplug_probe", "mic_gone"),
           "speaker_gone": ("tests.media._hotplug_probe", "speaker_gone"),
           "plugged_in": ("tests.media._hotplug_listing",)}


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each of CHANGES run once, all at once, each on a PulseAudio of its own: its
    report, or the AssertionError of a child that failed (raised by :func:`_report`)."""
    reports: dict[str, Any] = {}
    with ExitStack() as stack:
        children: dict[str, subprocess.Popen[str]] = {}
        for name, (module, *args) in CHANGES.items():
            tmp = tmp_path_factory.mktemp(name)
            env = stack.enter_context(_devices(tmp))
            state = [str(tmp / "state")] if args else []
            children[name] = start_child(env, module, *args, *state)
            stack.callback(_reap, children[name])
        deadline = time.monotonic() + 100
        for name, child in children.items():
            try:
                reports[name] = outcome(child, timeout=max(1.0, deadline - time.monotonic()))
            except AssertionError as failed:
                reports[name] = failed
    return reports


def _reap(child: subprocess.Popen[str]) -> None:
    """A child still running when the block ends (another one timed out) is killed."""
    if child.poll() is None:
        child.kill()
        child.communicate()


def _report(changes: dict[str, Any], name: str) -> Any:
    report = changes[name]
    if isinstance(report, AssertionError):
        raise report
    return report


def _run(pulse: dict[str, str], scenario: str, tmp_path: Path) -> Any:
    return run_child(pulse, "tests.media._hotplug_probe", scenario, str(tmp_path / "state"),
                     timeout=120)


def test_a_microphone_and_a_speaker_switched_mid_call_take_effect_within_1_s(
        pulse: dict[str, str], tmp_path: Path) -> None:
    report = _run(pulse, "switch", tmp_path)
    print(f"switch: use_device returned in {report['switch_call_s'] * 1000:.0f} ms, "
          f"the new microphone heard by the far end after {report['mic_heard_after_s']:.2f} s")
    assert report["joined_errors"] == [] and report["errors"] == []
    assert report["silent_level"] < 0.005  # the silent microphone: Bob heard nothing
    assert report["mic_heard_after_s"] < 1.0, report  # the tone, heard by Bob within 1 s
    assert report["sources"] == ["parley_tone"]  # the silent one is closed
    assert (report["sinks_before"], report["sinks_after"]) == (
        ["parley_headset"], ["parley_desk"])
    # no renegotiation, no interruption Bob could notice
    assert report["bob_saw"] == []
    assert report["leave_s"] < 2.0


def _moved_to_the_default(report: dict[str, Any], kind: str, gone: str) -> None:
    """Either PulseAudio moved the stream itself (nothing for Parley to do or say), or it
    killed it and Parley opened the default: then the user was told, once."""
    assert [k for k, _ in report["errors"]] in ([], [kind])
    if report["errors"]:
        message = report["errors"][0][1]
        assert message.startswith(f"ALSA:{gone} ") and message.endswith(
            ": using the system default")
        assert report["notices"] == [f"{kind}: {message}"]  # the call screen's notice


def test_a_microphone_that_disappears_moves_the_call_to_the_default_one(
        changes: dict[str, Any]) -> None:
    report = _report(changes, "mic_gone")
    print(f"microphone gone: errors {report['errors']}")
    assert report["sources_before"] == ["parley_tone"]
    assert report["sources_after"] == ["parley_backup_tone"]  # and Bob hears it (the probe)
    _moved_to_the_default(report, "microphone", "parley_tone")
    assert report["has_microphone"] and "microphone_missing" not in report["bob_saw"]


def test_a_speaker_that_disappears_moves_the_call_to_the_default_one(
        changes: dict[str, Any]) -> None:
    report = _report(changes, "speaker_gone")
    print(f"speaker gone: errors {report['errors']}, the default sink plays "
          f"{report['default_sink_rms']:.3f} RMS")
    assert report["sinks_before"] == ["parley_desk"]
    assert report["sinks_after"] == ["parley_headset"]
    assert report["default_sink_rms"] > 0.01  # Bob's tone comes out of the default speaker
    _moved_to_the_default(report, "speaker", "parley_desk")


def test_a_speaker_plugged_in_shows_up_in_the_listing_without_a_restart(
        changes: dict[str, Any]) -> None:
    """PortAudio lists an ALSA device once per process; the device service lists afresh.
    A new sink and its ALSA device (as a USB headset brings a new card) are listed by the
    next listing of this same process."""
    report = _report(changes, "plugged_in")
    assert "parley_late" not in report["before"]
    assert "parley_late" in report["after"]
    assert report["in_process_after"] == report["in_process_before"] == report["before"]
