"""Janus hanging up one participant's publisher mid-call (its connection to Janus
failed: here the server's ``unpublish`` lever makes Janus close it) is repaired by the
server: that seat is told to publish again and does; everyone sees its video again,
the others' media never stops, and nobody's call notices (no lost, nobody left or
joined)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.sdk.recorder import STATUS, Recorder
from tests.sdk.test_media_call import Viewer
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import ROOM, janus_event, janus_http, others, sfu_call
from tests.sfu.test_switch import Frames, pid_of

pytestmark = pytest.mark.slow


async def publishers(janus: Janus, room: int) -> set[int]:
    """The feed ids publishing in a Janus room, asked over Janus's HTTP API."""
    secret = {"apisecret": janus.api_secret}
    async with aiohttp.ClientSession() as http:
        created = await janus_http(http, janus.http_url, {"janus": "create", **secret})
        session_url = f"{janus.http_url}/{created['data']['id']}"  # type: ignore[index]
        attached = await janus_http(http, session_url, {
            "janus": "attach", "plugin": "janus.plugin.videoroom", **secret})
        handle_url = f"{session_url}/{attached['data']['id']}"  # type: ignore[index]
        listed = await janus_event(http, session_url, handle_url,
                                   {"request": "listparticipants", "room": room}, secret)
        await janus_http(http, session_url, {"janus": "destroy", **secret})
    return {int(p["id"]) for p in listed["participants"]  # type: ignore[attr-defined]
            if p.get("publisher")}


async def test_a_publisher_janus_hung_up_publishes_again_and_the_others_play_on(
        sfu_server: SfuServer, janus: Janus) -> None:
    sessions = await sfu_call(sfu_server, ["Ada", "Bob", "Cy"])
    ada, bob, cy = sessions
    viewers = [Viewer(s) for s in sessions]
    frames = [Frames(s) for s in sessions]
    recorders = [Recorder() for _ in sessions]
    sfu = sfu_server.hub.sfu
    try:
        for session, viewer in zip(sessions, viewers, strict=True):
            await viewer.wait_advancing(others(session), timeout=20)
        for session, recorder in zip(sessions, recorders, strict=True):
            session.add_session_status_listener(recorder.status_listener())
            session.add_participant_event_listener(recorder.participant_listener())
        room = sfu.janus_room(ROOM)
        assert room is not None

        before = await publishers(janus, room)
        assert len(before) == 3

        assert sfu.hang_up(ROOM, pid_of(bob))
        hung = time.monotonic()
        async with asyncio.timeout(10):  # Bob's old feed gone, a new one of his published
            while len(now := await publishers(janus, room)) != 3 or now == before:
                await asyncio.sleep(0.1)
        assert len(now & before) == 2
        for viewer in viewers:  # from here on only frames of Bob's new publisher count
            viewer.counters.clear()
        for session, viewer in zip(sessions, viewers, strict=True):
            await viewer.wait_advancing(others(session), timeout=15)
        print(f"hung up: everyone's video back after {time.monotonic() - hung:.2f} s")
        # Ada and Cy never stopped seeing each other
        now = time.monotonic()
        for session, seen, other in ((ada, frames[0], cy), (cy, frames[2], ada)):
            gap = seen.longest_gap(pid_of(other), hung, now)
            print(f"gap between the others: {gap:.2f} s")
            assert gap <= 1.0, (session.local_participant, gap)
        for recorder in recorders:
            fired = recorder.names
            assert not [n for n in fired if n in STATUS], fired
            assert [n for n in fired if n not in (
                "on_participant_reconnecting", "on_participant_restored")] == [], fired
            assert fired.count("on_participant_reconnecting") == \
                fired.count("on_participant_restored"), fired
            print("events:", fired)
    finally:
        for session in sessions:
            await session.leave_session()
