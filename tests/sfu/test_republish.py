"""Janus hanging up one participant's publisher mid-call (its connection to Janus
failed: here the server's ``unpublish`` lever makes Janus close it) is repaired by the
server: that seat is told to publish again and does; everyone sees its video again,
the others' media never stops, and nobody's call notices (no lost, nobody left or
joined)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.sdk.recorder import Recorder, only_reconnects
from tests.sdk.test_media_call import Viewer
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import ROOM, others, publishers, sfu_call
from tests.sfu.test_switch import Frames, pid_of

pytestmark = pytest.mark.slow


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

        before = await publishers(janus, room) or set()
        assert len(before) == 3

        assert sfu.hang_up(ROOM, pid_of(bob))
        hung = time.monotonic()
        async with asyncio.timeout(10):  # Bob's old feed gone, a new one of his published
            while len(now := await publishers(janus, room) or set()) != 3 or now == before:
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
        only_reconnects(recorders)  # nobody lost the call, left or joined
    finally:
        for session in sessions:
            await session.leave_session()
