"""Several Janus nodes behind one parley-server: a call is placed on one, and when that
node is killed (SIGKILL) or hangs (SIGSTOP, long) mid-call the call moves to the other.
Nobody's call notices: no lost, no participant left or joined, and everyone's video
plays again."""

from __future__ import annotations

import signal
import time

import pytest

from parley.server.sfu.janus import HUNG_AFTER, KEEPALIVE
from tests.sdk.recorder import Recorder, only_reconnects
from tests.sdk.test_media_call import Viewer, wait_until
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import ROOM, janus_room_state, others, sfu_call

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("how", [
    signal.SIGKILL, pytest.param(signal.SIGSTOP, marks=pytest.mark.long)], ids=["killed", "hung"])
async def test_a_killed_janus_node_moves_the_call_and_nobody_notices(
        two_node_server: SfuServer, nodes: tuple[Janus, Janus], how: signal.Signals) -> None:
    a, b = nodes
    names = ["Ada", "Bob", "Cy"]
    sessions = await sfu_call(two_node_server, names)
    viewers = [Viewer(s) for s in sessions]
    recorders = [Recorder() for _ in sessions]
    for session, recorder in zip(sessions, recorders, strict=True):
        session.add_session_status_listener(recorder.status_listener())
        session.add_participant_event_listener(recorder.participant_listener())
    sfu = two_node_server.hub.sfu
    try:
        for session, viewer in zip(sessions, viewers, strict=True):
            await viewer.wait_advancing(others(session), timeout=20)
        assert sfu.janus_node(ROOM) == a.http_url  # equal load: the first node
        room = sfu.janus_room(ROOM)
        assert room is not None and await janus_room_state(a, room) == (True, len(names))

        a.process.send_signal(how)  # mid-call: dead, or alive and answering nothing
        killed = time.monotonic()
        await wait_until(lambda: sfu.janus_node(ROOM) == b.http_url,
                         timeout=5 + KEEPALIVE + HUNG_AFTER)
        moved = time.monotonic() - killed
        for viewer in viewers:  # from here on only frames through node b count
            viewer.counters.clear()
        for session, viewer in zip(sessions, viewers, strict=True):
            await viewer.wait_advancing(others(session), timeout=15)
        back = time.monotonic() - killed
        room = sfu.janus_room(ROOM)
        assert room is not None and await janus_room_state(b, room) == (True, len(names))
        print(f"failover: room moved after {moved:.2f} s, everyone's video back after "
              f"{back:.2f} s")
        only_reconnects(recorders)  # nobody lost the call, left or joined
        assert all(len(others(s)) == len(names) - 1 for s in sessions)
    finally:
        a.process.send_signal(signal.SIGCONT)
        for session in sessions:
            await session.leave_session()
