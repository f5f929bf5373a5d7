"""A headless call participant with synthetic media, for benchmarks that need a
second person in another process: ``python -m bench._peer URL ROOM NAME``.
It prints "joined" once in the call and leaves when its stdin closes."""

from __future__ import annotations

import asyncio
import sys

from parley.sdk import CallSession, SessionSettings


async def main(url: str, room: str, name: str) -> None:
    session = CallSession()
    await session.join_session(room, SessionSettings(name, fake_media=True,
                                                     idle_timeout_period=0), server=url)
    print("joined", flush=True)
    await asyncio.to_thread(sys.stdin.read)
    await session.leave_session()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
