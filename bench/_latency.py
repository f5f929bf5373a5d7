"""What bench/mouth_to_ear.py says and how it finds each burst again; and what PortAudio
reports as a device's latency on the test rig's PulseAudio null sinks.

    python -m bench._latency devices     # (in a private PulseAudio) prints the latencies
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tests.media.clocked_audio import ClockedStream

from parley.media.microphone import DEVICE_BLOCK as MIC_BLOCK
from parley.media.playback import DEVICE_BLOCK as SPEAKER_BLOCK
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES

PERIOD = 1.0
"""Seconds between bursts: longer than any latency measured, so that a burst heard is
never taken for the next one's."""
BURST = 0.04
FIRST = 1.0
"""The first burst's time: the call is set up by then."""
FLOOR = 0.003
"""The noise floor's amplitude (-55 dBFS RMS: above DTX's silence, far below a burst)."""
THRESHOLD = 0.3
"""A played sample above this share of the loudest played is a burst (the bursts are
at 0.5, the floor at 0.003; gain control may change the bursts' level)."""
WARM_UP = 3.0
"""Seconds of each run after which the call counts as settled (for the steady figure)."""


def talker(seconds: float) -> tuple[npt.NDArray[np.int16], list[int]]:
    """The talker's microphone signal (s16) and the sample each burst starts at."""
    rng = np.random.default_rng(14)
    signal = rng.uniform(-FLOOR, FLOOR, int(seconds * AUDIO_RATE)).astype(np.float32)
    starts = [int(t * AUDIO_RATE) for t in np.arange(FIRST, seconds - 2 * PERIOD, PERIOD)]
    length = int(BURST * AUDIO_RATE)
    tone = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(length) / AUDIO_RATE)
    for start in starts:
        # start the sine at its peak so the very first sample is over the threshold
        signal[start : start + length] = np.roll(tone, -AUDIO_RATE // 4000)
    return (signal * 32767).astype(np.int16), starts


def burst_latencies(microphone: ClockedStream, speaker: ClockedStream,
                    starts: list[int]) -> list[tuple[float, float, float]]:
    """(seconds into the run, seconds from the burst's first sample spoken to its first
    sample heard, the share of the burst's length heard without a gap) of each burst
    heard. A speaker that ran dry in the middle of a burst plays it with a hole."""
    samples, times = speaker.played()
    peak = float(np.percentile(np.abs(samples), 99.9)) if len(samples) else 0.0
    level = np.abs(samples)
    loud = np.flatnonzero(level > max(THRESHOLD * peak, 10 * FLOOR))
    length = int(BURST * AUDIO_RATE)
    latencies = []
    for start in starts:
        spoken = microphone.spoken_at(start)
        if spoken is None:
            continue
        after = loud[np.searchsorted(times[loud], spoken):] if len(loud) else loud
        if len(after) and times[after[0]] - spoken < PERIOD:
            first = int(after[0])
            # the sine's samples near zero are not holes: a hole is a 1 ms run of quiet
            burst = level[first : first + length + AUDIO_RATE // 100] > 0.02 * peak
            quiet = np.convolve(~burst, np.ones(AUDIO_RATE // 1000), "valid") \
                >= AUDIO_RATE // 1000
            intact = 1.0 - float(np.count_nonzero(quiet[:length])) / length
            latencies.append((start / AUDIO_RATE, float(times[first] - spoken), intact))
    return latencies


def _device_latencies() -> dict[str, Any]:
    """Open the default input and output as Parley does, at each latency setting, and
    read what PortAudio reports (milliseconds)."""
    import sounddevice as sd

    found: dict[str, Any] = {}
    for name, setting, blocks in (("parley", "low", (MIC_BLOCK, SPEAKER_BLOCK)),
                                  ("10ms_blocks", "low", (AUDIO_SAMPLES // 2,) * 2),
                                  ("20ms_blocks", "low", (AUDIO_SAMPLES,) * 2),
                                  ("20ms_blocks_latency_10ms", 0.01, (AUDIO_SAMPLES,) * 2)):
        streams = [sd.RawInputStream(samplerate=AUDIO_RATE, channels=1, dtype="int16",
                                     blocksize=blocks[0], latency=setting),
                   sd.OutputStream(samplerate=AUDIO_RATE, channels=1, dtype="float32",
                                   blocksize=blocks[1], latency=setting)]
        input_s, output_s = (float(stream.latency) for stream in streams)
        for stream in streams:
            stream.close()
        found[name] = {"input": round(1000 * input_s, 1), "output": round(1000 * output_s, 1)}
    return found


def pulse_device_latencies() -> dict[str, Any]:
    """_device_latencies() in a child process on a private PulseAudio (null sinks through
    ALSA's pulse plugin, as the rig's audio tests use); {"error": why} when that fails."""
    from tests.media.pulse import null_sink_loop, run_child

    try:
        with tempfile.TemporaryDirectory(prefix="parley-m2e-") as scratch, \
                null_sink_loop(Path(scratch)) as env:
            result: dict[str, Any] = run_child(env, "bench._latency", "devices")
            return result
    except BaseException as exc:  # pytest's fail/skip outcomes are BaseExceptions
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    if sys.argv[1:] == ["devices"]:
        print(json.dumps(_device_latencies()))
