"""Run in a child process by test_devices (PortAudio reads its devices once per
process). Prints JSON: what parley.media.devices lists, and for every listed audio
device, and for the default (None), where opening it lands: the PulseAudio sink or
source its stream appears on (asked of pactl while it is open) and how many samples
a microphone delivered, or the DeviceError it raised; and where a remembered id of a
device that is gone lands."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
from typing import Any

from parley.media import devices
from parley.media.devices import DeviceError
from parley.media.microphone import MicrophoneTrack
from parley.media.playback import Playback


def _pactl(what: str) -> list[dict[str, Any]]:
    done = subprocess.run(["pactl", "-f", "json", "list", "short", what],
                          capture_output=True, text=True, check=True, timeout=10)
    return list(json.loads(done.stdout))


def _streams_on(streams: str, key: str, devices_: str) -> list[str]:
    names = {d["index"]: d["name"] for d in _pactl(devices_)}
    return [names[s[key]] for s in _pactl(streams)]


def _speaker(device: str | None) -> dict[str, Any]:
    try:
        playback = Playback(device)
    except DeviceError as exc:
        return {"error": [exc.kind, exc.message]}
    try:
        return {"on": _streams_on("sink-inputs", "sink", "sinks")}
    finally:
        playback.close()


async def _microphone(device: str | None) -> dict[str, Any]:
    try:
        microphone = MicrophoneTrack(device)
    except DeviceError as exc:
        return {"error": [exc.kind, exc.message]}
    try:
        frame = await asyncio.wait_for(microphone.recv(), 5)
        return {"on": _streams_on("source-outputs", "source", "sources"),
                "samples": frame.samples}
    finally:
        microphone.stop()


async def probe() -> dict[str, Any]:
    listed = {"cameras": devices.list_cameras(), "microphones": devices.list_microphones(),
              "speakers": devices.list_speakers()}
    report: dict[str, Any] = {kind: [dataclasses.asdict(d) for d in found]
                              for kind, found in listed.items()}
    for entry in report["speakers"]:
        entry["opened"] = _speaker(entry["id"])
    for entry in report["microphones"]:
        entry["opened"] = await _microphone(entry["id"])
    report["default_speaker"] = _speaker(None)
    report["default_microphone"] = await _microphone(None)
    # a remembered device that is not there any more: the system default instead
    report["gone_speaker"] = _speaker("ALSA:parley_unplugged")
    report["gone_microphone"] = await _microphone("ALSA:parley_unplugged")
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe())))
