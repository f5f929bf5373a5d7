"""Run in a fresh child by test_devices (sounddevice must not be imported yet): load the
audio back end the way a call's media does before opening a device, while a ticker task
counts how often the loop ran meanwhile. Prints JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from parley.media import devices


async def main() -> None:
    ticks = 0
    running = True

    async def ticker() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    before, start = ticks, time.monotonic()
    await devices.load_audio_backend()
    took, during = time.monotonic() - start, ticks - before
    running = False
    await task
    print(json.dumps({"loaded": "sounddevice" in sys.modules,
                      "seconds": took, "ticks_during": during}))


if __name__ == "__main__":
    assert "sounddevice" not in sys.modules
    asyncio.run(main())
