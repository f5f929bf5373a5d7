"""Run in a child process by test_pulse_devices, on a private PulseAudio whose default
sink is a null sink and whose default source is that sink's monitor: a sink loaded with
pactl alone (no ALSA device comes with it) while this process runs. Prints JSON: the
speaker and microphone ids the device watcher reported before and after, and the
loudest sample recorded, while Playback plays a tone to the new sink's id, from the new
sink's monitor and from the default source."""

from __future__ import annotations

import asyncio
import json
import subprocess

import numpy as np

from parley.media.microphone import MicrophoneTrack
from parley.media.playback import Playback
from parley.media.synthetic import AUDIO_SAMPLES, audio_frame
from parley.sdk.devices import AvailableDevices, DeviceService, DeviceWatcher

LATE = "parley_soft"


async def listing() -> dict[str, list[str]]:
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
        before = [d.id for d in reported[-1].speakers + reported[-1].microphones]
        subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={LATE}",
                        "rate=48000", "channels=1",
                        "sink_properties=device.description=Soft"], check=True,
                       capture_output=True)
        await asyncio.wait_for(changed.wait(), 20)
        after = [d.id for d in reported[-1].speakers + reported[-1].microphones]
    finally:
        await watcher.stop()
    return {"before": before, "after": after}


async def played() -> dict[str, int]:
    playback = Playback(f"Pulse:{LATE}")
    on_new = MicrophoneTrack(f"Pulse:{LATE}.monitor")
    on_default = MicrophoneTrack(None)
    tone = (np.sin(np.arange(AUDIO_SAMPLES) * 2 * np.pi * 440 / 48000) * 24000).astype(np.int16)
    peaks = {"new": 0, "default": 0}
    try:
        for index in range(75):  # 1.5 s, paced by the new sink's monitor
            playback.push("a", audio_frame(tone, index * AUDIO_SAMPLES))
            for key, mic in (("new", on_new), ("default", on_default)):
                frame = await asyncio.wait_for(mic.recv(), 5)
                peaks[key] = max(peaks[key], int(np.abs(frame.to_ndarray()).max()))
    finally:
        on_new.stop()
        on_default.stop()
        playback.close()
    return peaks


async def main() -> dict[str, object]:
    return {**await listing(), **await played()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
