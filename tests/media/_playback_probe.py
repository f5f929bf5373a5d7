"""Run in a child process by test_playback: Playback plays into the default output (the
test's PulseAudio null sink) while MicrophoneTrack records the sink's monitor; each
recorded 20 ms block paces (and stamps) what is pushed next, so the whole run is on
the device's clock, not on sleeps. Prints JSON: the steady level of one and of two loud
participants, and how many samples were heard after a single 20 ms frame, after a
second one, and after a burst of one second's frames pushed at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import av
import numpy as np
import numpy.typing as npt

from parley.media.microphone import MicrophoneTrack
from parley.media.playback import Playback
from parley.media.synthetic import AUDIO_SAMPLES, audio_frame

LOUD = 24000  # 0.73 of full scale: one is played as is, two sum past full scale
HEARD = 1000  # a recorded sample above this is audio, not the null sink's silence


async def probe() -> dict[str, float]:
    playback = Playback("default")
    microphone = MicrophoneTrack("default")
    samples = np.full(AUDIO_SAMPLES, LOUD, np.int16)
    clock = 0  # blocks recorded: what is pushed is stamped on the device's clock, as a
    # call's decoded frames are (a pause in talking is a jump in media time)

    def loud() -> av.AudioFrame:
        return audio_frame(samples, clock * AUDIO_SAMPLES)

    async def record(blocks: int, feeding: Sequence[str] = ()) -> npt.NDArray[np.int16]:
        nonlocal clock
        recorded = []
        for _ in range(blocks):
            for pid in feeding:
                playback.push(pid, loud())
            frame = await asyncio.wait_for(microphone.recv(), 5)
            recorded.append(frame.to_ndarray().reshape(-1))
            clock += 1
        return np.concatenate(recorded)

    def heard(samples: npt.NDArray[np.int16]) -> int:
        return int(np.count_nonzero(np.abs(samples.astype(np.int32)) > HEARD))

    try:
        await record(10)  # the streams settle
        alone = await record(50, ["a"])
        mixed = await record(50, ["a", "b"])
        await record(25)  # what was queued drains
        playback.push("c", loud())
        after_one = await record(25)
        playback.push("c", loud())
        after_two = await record(25)
        burst = []
        for _ in range(50):  # a second's frames at once: a burst of late ones, made
            burst.append(loud())  # first, so that pushing them takes as little as it can
            clock += 1
        for frame in burst:
            playback.push("d", frame)
        after_burst = await record(75)
    finally:
        microphone.stop()
        playback.close()
    return {"alone": float(np.median(alone[-25 * AUDIO_SAMPLES:])),
            "mixed": float(np.median(mixed[-25 * AUDIO_SAMPLES:])),
            "heard_after_one": heard(after_one), "heard_after_two": heard(after_two),
            "heard_after_burst": heard(after_burst)}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe())))
