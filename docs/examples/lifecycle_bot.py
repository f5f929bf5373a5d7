"""A headless bot: joins a Parley call, prints every lifecycle event, and leaves.

    parley-server &                                  # or any Parley call server
    python docs/examples/lifecycle_bot.py --session standup --name Bot --stay 5

It uses only the public SDK (no Qt). With ``--stay 0`` it leaves as soon as it
has joined; otherwise it stays that many seconds (or until the call ends).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from parley.sdk import (
    CallSession,
    JoinError,
    ParticipantEventListener,
    SessionSettings,
    SessionStatusListener,
)


def say(*words: object) -> None:
    print(*words, flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="ws://127.0.0.1:8787", help="call server URL")
    parser.add_argument("--session", default="standup", help="session id to join")
    parser.add_argument("--name", default="Lifecycle bot", help="display name")
    parser.add_argument("--token", default=None, help="join token, if the server needs one")
    parser.add_argument("--stay", type=float, default=3.0, help="seconds to stay in the call")
    parser.add_argument("--idle-timeout", type=float, default=300.0,
                        help="seconds alone in the call before it ends (0 = never)")
    args = parser.parse_args()

    session = CallSession.get_instance()
    ended = asyncio.Event()
    status = SessionStatusListener(
        on_session_joined=lambda: say("session joined"),
        on_session_left=lambda: (say("session left"), ended.set()),
        on_session_timed_out=lambda: (say("session timed out"), ended.set()),
        on_connection_lost=lambda: say("connection lost"),
        on_connection_restored=lambda: say("connection restored"),
        on_connection_closed=lambda: (say(f"connection closed: {session.end_reason}"),
                                      ended.set()),
    )
    people = ParticipantEventListener(
        on_participant_joined=lambda p: say(f"participant joined: {p.name}"),
        on_participant_left=lambda p: say(f"participant left: {p.name}"),
        on_participant_reconnecting=lambda p: say(f"participant reconnecting: {p.name}"),
        on_participant_restored=lambda p: say(f"participant restored: {p.name}"),
    )
    session.add_session_status_listener(status)
    session.add_participant_event_listener(people)
    try:
        await session.join_session(args.session, SessionSettings(
            args.name, media=False, idle_timeout_period=args.idle_timeout),
                                   server=args.server, token=args.token)
    except JoinError as exc:
        say(f"could not join: {exc.message} ({exc.reason.value})")
        return 1
    try:
        await asyncio.wait_for(ended.wait(), timeout=args.stay)
    except TimeoutError:
        pass
    await session.leave_session()
    session.remove_session_status_listener(status)
    session.remove_participant_event_listener(people)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
