"""Run in a child process by test_microphone: cancels MicrophoneTrack.recv() many
times just as the device's next block reaches it, and counts the cancellations that
were swallowed (recv returned the block to a task that was cancelled, so a pump
that was being stopped read on). Prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from parley.media.microphone import MicrophoneTrack


async def _caught_up(microphone: MicrophoneTrack) -> None:
    """Read until a block had to be waited for: nothing is queued, the next is ~20 ms off."""
    while True:
        started = time.monotonic()
        await microphone.recv()
        if time.monotonic() - started > 0.005:
            return


async def probe(rounds: int) -> dict[str, float]:
    microphone = MicrophoneTrack("default")
    swallowed = 0
    slowest = 0.0
    try:
        for i in range(rounds):
            await _caught_up(microphone)
            task = asyncio.get_running_loop().create_task(microphone.recv())
            await asyncio.sleep(0)  # recv() now waits for the next block
            time.sleep(0.03)  # the loop is busy while that block arrives
            # then recv() is cancelled 0-3 loop iterations later: in one of them the block
            # has reached recv() but recv() has not resumed yet
            for _ in range(i % 4):
                await asyncio.sleep(0)
            if not task.cancel():
                continue  # recv() had returned already: nothing to swallow
            started = time.monotonic()
            await asyncio.wait({task}, timeout=2)
            slowest = max(slowest, time.monotonic() - started)
            if not task.done():
                return {"hung": 1, "swallowed": swallowed, "rounds": i}
            if not task.cancelled():
                swallowed += 1
    finally:
        microphone.stop()
    return {"hung": 0, "swallowed": swallowed, "rounds": rounds, "slowest_s": slowest}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(int(sys.argv[1])))))
