"""Run in a child process by test_hotplug: a speaker plugged in while this process runs
(a PulseAudio null sink and its ALSA device, as a USB headset brings a new card). Prints
JSON: the speakers the device service's watcher reported before and after, and what
this process's own PortAudio lists after (unchanged: it reads its list once). PulseAudio's
own sinks ("Pulse:...", listed by pactl afresh) are left out: this is about PortAudio's
list."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from parley.media.devices import Device, list_speakers
from parley.media.pulse_devices import PULSE_API
from parley.sdk.devices import AvailableDevices, DeviceService, DeviceWatcher


def _portaudio(devices: Sequence[Device]) -> list[str]:
    return [d.name for d in devices if not d.id.startswith(f"{PULSE_API}:")]


async def main() -> dict[str, list[str]]:
    reported: list[AvailableDevices] = []
    changed = asyncio.Event()

    def on_change(devices: AvailableDevices) -> None:
        reported.append(devices)
        changed.set()

    watcher = DeviceWatcher(DeviceService(), on_change, interval=0.2)
    watcher.start()
    try:
        await asyncio.wait_for(changed.wait(), 20)
        changed.clear()
        before = _portaudio(reported[-1].speakers)
        in_process_before = _portaudio(list_speakers())
        subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=parley_late",
                        "rate=48000", "channels=1"], check=True, capture_output=True)
        with Path(os.environ["ALSA_CONFIG_PATH"]).open("a") as conf:
            conf.write("pcm.parley_late { type asym playback.pcm "
                       "{ type pulse device parley_late } }\n")
        await asyncio.wait_for(changed.wait(), 20)
        after = _portaudio(reported[-1].speakers)
    finally:
        await watcher.stop()
    return {"before": before, "after": after, "in_process_before": in_process_before,
            "in_process_after": _portaudio(list_speakers())}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
