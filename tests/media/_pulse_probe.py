"""Run in a child process by test_pulse_audio: plays a tone into the default output
through Playback and records the default input through MicrophoneTrack (the test's
PulseAudio routes its null sink's monitor back in). Prints JSON: dominant Hz, RMS."""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np

from parley.media.microphone import MicrophoneTrack
from parley.media.playback import Playback
from parley.media.synthetic import AUDIO_RATE, ToneTrack


async def probe(frequency: float) -> dict[str, float]:
    playback = Playback("default")
    microphone = MicrophoneTrack("default")
    tone = ToneTrack(frequency)

    async def feed() -> None:
        while True:
            playback.push("tone", await tone.recv())

    feeder = asyncio.get_running_loop().create_task(feed())
    try:
        frames = [await asyncio.wait_for(microphone.recv(), 5) for _ in range(100)]
    finally:
        feeder.cancel()
        microphone.stop()
        playback.close()
    samples = np.concatenate([f.to_ndarray().reshape(-1) for f in frames[50:]]) / 32768.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    hz = float(np.fft.rfftfreq(len(samples), 1 / AUDIO_RATE)[int(np.argmax(spectrum))])
    return {"hz": hz, "rms": float(np.sqrt(np.mean(samples**2))),
            "dropped": microphone.dropped}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(float(sys.argv[1])))))
