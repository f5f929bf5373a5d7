"""Look for hosted calls on the LAN (run inside a network namespace):

    python -m tests.faults.lan_find

Prints ``{"ev": "found", "session", "host_name", "server"}`` for each call announced,
and exits on ``exit`` (or the end of stdin).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from parley.desktop.discovery import CallBrowser, DiscoveredCall


async def main() -> int:
    told: set[str] = set()

    def found(calls: tuple[DiscoveredCall, ...]) -> None:
        for call in calls:
            if call.instance not in told:
                told.add(call.instance)
                print(json.dumps({"ev": "found", "t": time.monotonic(),
                                  "session": call.session_id, "host_name": call.host_name,
                                  "server": call.server}), flush=True)

    browser = CallBrowser(found)
    await browser.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "exit":
                return 0
    finally:
        await browser.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
