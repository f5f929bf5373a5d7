"""A headless host for LAN tests, run inside a network namespace:

    python -m tests.faults.lan_host --dir DIR --name Ada [--announce] [--media]

Does what New call does (tests the Qt-free desktop.hosting): starts the LAN server on
every interface with a host secret kept in DIR, mints the host's grant and a 24 h invite
naming this namespace's LAN address, and joins the call as its host. Optionally
announces it on mDNS. Admits whoever knocks. Prints one JSON object per line:

- ``hosted`` (invite, session) once in the call;
- ``knock`` (name) for each join request, admitted at once;
- ``video`` (pid) for the first frame from each remote participant;
- ``left`` when told ``exit`` on stdin (or at its end), after leaving.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from parley.desktop.discovery import Announcer
from parley.desktop.hosting import LanHost
from parley.sdk import CallSession, ParticipantEventListener, SessionSettings


def say(ev: str, **fields: Any) -> None:
    print(json.dumps({"ev": ev, "t": time.monotonic(), **fields}), flush=True)


async def main(args: argparse.Namespace) -> int:
    lan = LanHost(secret_dir=args.dir / "config", state_dir=args.dir / "state")
    announcer = Announcer()
    session = CallSession()
    seen: set[str] = set()

    def knocked(request: Any) -> None:
        say("knock", name=request.name)
        session.admit(request.id)

    def frame(pid: str, _frame: Any) -> None:
        local = session.local_participant
        if local is not None and pid != local.id and pid not in seen:
            seen.add(pid)
            say("video", pid=pid)

    session.add_participant_event_listener(ParticipantEventListener(on_join_request=knocked))
    session.add_video_sink(frame)
    try:
        hosted = await lan.new_call(args.name)
        await session.join_session(
            hosted.session_id,
            SessionSettings(display_name=args.name, media=args.media, fake_media=True),
            server=hosted.server, token=hosted.token)
        if args.announce:
            await announcer.start(hosted.session_id, args.name, hosted.port, hosted.addresses)
        say("hosted", invite=hosted.invite, session=hosted.session_id, line=hosted.invite_line)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "exit":
                break
        await session.leave_session()
        say("left")
        return 0
    finally:
        await announcer.close()
        await lan.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--name", default="Ada")
    p.add_argument("--announce", action="store_true")
    p.add_argument("--media", action="store_true")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
