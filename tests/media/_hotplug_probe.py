"""Run in a child process by test_hotplug (PortAudio reads its devices once per
process): a call on a real server on loopback between Ada, on the private PulseAudio's
devices, and Bob, with synthetic media (his tone is what Ada's speaker plays). One
scenario per run (argv[1]), which changes Ada's devices mid-call through ``pactl`` or
the SDK; prints JSON: what Ada was told (device errors, and the sentence the call screen
shows for each), what Bob hears of her, where her streams are in PulseAudio, how long
each change took to be heard.

- ``switch``: Ada's microphone is a silent source; she switches to a tone, then her
  speaker to the other sink.
- ``mic_gone``: the tone Ada talks through is unloaded; the default source (another
  tone) takes over.
- ``speaker_gone``: the sink Ada listens on is unloaded; the default sink takes over.

PulseAudio itself sometimes moves a stream whose device went away to the default one
(its core rescues streams) and sometimes kills it; only then has Parley something to
do, and only then does it say so. Both end on the default device.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parley.qt.problems import Problem, ProblemKind
from parley.sdk import (
    CallSession,
    MediaEventListener,
    ParticipantEventListener,
    SessionSettings,
    SessionType,
)
from parley.sdk.settings import Devices
from parley.server import CallServer, ServerConfig
from parley.ui.messages import problem_text

HEARD = 0.01
"""An RMS level above this is Ada's tone arriving at Bob (her silence reads ~0)."""
OFF = dict(echo_cancellation=False, noise_suppression=False, auto_gain_control=False)


def pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True,
                          timeout=10).stdout


def module_of(name: str) -> str:
    """The index of the module that made the sink or source ``name``."""
    for line in pactl("list", "short", "modules").splitlines():
        index, _, rest = line.partition("\t")
        if f"_name={name}" in rest:
            return index
    raise LookupError(name)


def streams_on(kind: str) -> list[str]:
    """The sinks (kind "sink-inputs") or sources ("source-outputs") streams play on."""
    owners = {"sink-inputs": "sinks", "source-outputs": "sources"}[kind]
    names = {d["index"]: d["name"] for d in json.loads(pactl("-f", "json", "list", "short",
                                                             owners))}
    key = "sink" if kind == "sink-inputs" else "source"
    return sorted(names.get(s[key], "?") for s in json.loads(pactl("-f", "json", "list",
                                                                   "short", kind)))


SETTLE = 5.0
"""Seconds after a device went away to look again: past the microphone's and the
speaker's stall timeouts (2 s each), so that a stream that stopped has been replaced."""


def rms_on(sink: str) -> float:
    """The RMS (0..1) of half a second recorded from ``sink``'s monitor: what it plays."""
    done = subprocess.run(["sh", "-c", f"parec --device={sink}.monitor --raw --format=s16le "
                           "--rate=48000 --channels=1 --latency-msec=20 | head -c 48000"],
                          capture_output=True, timeout=20)
    samples = [int.from_bytes(done.stdout[i:i + 2], "little", signed=True)
               for i in range(0, len(done.stdout) - 1, 2)]
    return (sum(x * x for x in samples) / max(1, len(samples))) ** 0.5 / 32768


async def until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Wait for ``check`` (levels are sampled: polled); the seconds it took."""
    start = time.monotonic()
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)
    del what
    return time.monotonic() - start


async def main(scenario: str, state: Path) -> dict[str, Any]:
    server = CallServer(ServerConfig(host="127.0.0.1", port=0, state_dir=state))
    await server.start()
    ada, bob = CallSession(), CallSession()
    errors: list[tuple[str, str]] = []
    ada.add_media_event_listener(MediaEventListener(
        on_device_error=lambda kind, message: errors.append((kind, message))))
    bob_saw: list[str] = []
    bob.add_participant_event_listener(ParticipantEventListener(
        on_participant_reconnecting=lambda p: bob_saw.append("reconnecting"),
        on_media_stalled=lambda p: bob_saw.append("stalled"),
        on_microphone_missing=lambda p: bob_saw.append("microphone_missing")))
    devices = {"switch": Devices(microphone="ALSA:parley_silence", speaker="ALSA:parley_headset"),
               "mic_gone": Devices(microphone="ALSA:parley_tone", speaker="null"),
               "speaker_gone": Devices(microphone="ALSA:parley_silence",
                                       speaker="ALSA:parley_desk")}[scenario]
    # an audio call: the devices under test are audio ones, and a video encoder would
    # only take the CPU the audio streams' stall timers are measured against
    await bob.join_session("hotplug", SessionSettings("Bob", fake_media=True,
                                                       session_type=SessionType.AUDIO, **OFF),
                           server=server.url)
    await ada.join_session("hotplug", SessionSettings("Ada", devices=devices,
                                                       session_type=SessionType.AUDIO, **OFF),
                           server=server.url)
    # Ada's join returns with Bob in her list; Bob learns of her a message later
    await until(lambda: any(not p.is_local for p in bob.participants), 20, "Ada at Bob")
    (aid,) = [p.id for p in bob.participants if not p.is_local]
    (bid,) = [p.id for p in ada.participants if not p.is_local]
    report: dict[str, Any] = {"joined_errors": list(errors)}
    await until(lambda: ada.audio_level(bid) > HEARD, 20, "Bob's tone at Ada")
    if scenario == "switch":
        await asyncio.sleep(1.0)  # a second of her silent microphone, measured below
        report["silent_level"] = bob.audio_level(aid)
        started = time.monotonic()
        await ada.use_device("microphone", "ALSA:parley_tone")
        report["switch_call_s"] = time.monotonic() - started
        await until(lambda: bob.audio_level(aid) > HEARD, 10, "Ada's new microphone")
        report["mic_heard_after_s"] = time.monotonic() - started
        report["sources"] = streams_on("source-outputs")
        report["sinks_before"] = streams_on("sink-inputs")
        await ada.use_device("speaker", "ALSA:parley_desk")
        report["sinks_after"] = streams_on("sink-inputs")
    elif scenario == "mic_gone":
        report["sources_before"] = streams_on("source-outputs")
        errors.clear()
        pactl("unload-module", module_of("parley_tone"))
        gone = time.monotonic()
        await asyncio.sleep(SETTLE)  # a window to watch, not a synchronisation
        report["errors_after_s"] = [time.monotonic() - gone] if errors else []
        report["sources_after"] = streams_on("source-outputs")
        await until(lambda: bob.audio_level(aid) > HEARD, 10, "the default microphone")
    elif scenario == "speaker_gone":
        report["sinks_before"] = streams_on("sink-inputs")
        pactl("unload-module", module_of("parley_desk"))
        gone = time.monotonic()
        await asyncio.sleep(SETTLE)  # a window to watch, not a synchronisation
        report["sinks_after"] = streams_on("sink-inputs")
        report["default_sink_rms"] = await asyncio.to_thread(rms_on, "parley_headset")
    # audio keeps flowing after the change: Bob's tone reaches Ada's speaker, and Ada's
    # tone (where she has one) reaches Bob
    await until(lambda: ada.audio_level(bid) > HEARD, 10, "Bob heard at Ada")
    if scenario != "speaker_gone":
        await until(lambda: bob.audio_level(aid) > HEARD, 10, "Ada heard at Bob")
    report["errors"] = errors
    report["notices"] = [problem_text(Problem(ProblemKind.DEVICE_FAILED, message, device=kind))
                         for kind, message in errors]
    report["has_microphone"] = ada.has_microphone
    report["bob_saw"] = bob_saw
    started = time.monotonic()
    await ada.leave_session()
    report["leave_s"] = time.monotonic() - started  # Ada's, on her real devices
    await bob.leave_session()
    await server.stop()
    return report


if __name__ == "__main__":
    faulthandler.dump_traceback_later(100, exit=True)
    print(json.dumps(asyncio.run(main(sys.argv[1], Path(sys.argv[2])))))
