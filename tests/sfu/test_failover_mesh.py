"""A call whose Janus node dies goes back to the mesh when it is small enough (``--sfu
auto``: at most mesh_max) or when no node is left, by the live move (``media_mode``):
nobody's call notices (no lost, no participant left or joined), and everyone's video
plays again peer to peer. Janus is real and SIGKILLed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.sdk import CallSession
from tests.sdk.recorder import Recorder, only_reconnects
from tests.sdk.test_media_call import Viewer, wait_until
from tests.sfu.conftest import SfuServer, running_sfu_server
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import ROOM, others, sfu_call

pytestmark = pytest.mark.slow


@pytest.fixture
async def auto_pool(tmp_path: Path, nodes: tuple[Janus, Janus]) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, nodes, sfu="auto", mesh_max=2) as rig:
        yield rig


def recorded(sessions: list[CallSession]) -> list[Recorder]:
    recorders = [Recorder() for _ in sessions]
    for session, recorder in zip(sessions, recorders, strict=True):
        session.add_session_status_listener(recorder.status_listener())
        session.add_participant_event_listener(recorder.participant_listener())
    return recorders


async def killed_and_back_on_the_mesh(rig: SfuServer, node: Janus,
                                      sessions: list[CallSession]) -> list[Recorder]:
    """Kill ``node`` (the call's) mid-call; the call is on the mesh again and everyone
    sees everyone's video advancing (only frames after the kill count)."""
    sfu = rig.hub.sfu
    viewers = [Viewer(s) for s in sessions]
    for session, viewer in zip(sessions, viewers, strict=True):
        await viewer.wait_advancing(others(session), timeout=20)
    assert sfu.modes.of(ROOM) == "sfu" and sfu.janus_node(ROOM) == node.http_url
    recorders = recorded(sessions)
    node.process.kill()  # SIGKILL mid-call
    killed = time.monotonic()
    await wait_until(lambda: sfu.modes.of(ROOM) == "mesh", timeout=5)
    moved = time.monotonic() - killed
    for viewer in viewers:
        viewer.counters.clear()
    for session, viewer in zip(sessions, viewers, strict=True):
        await viewer.wait_advancing(others(session), timeout=15)
    print(f"node killed: on the mesh after {moved:.2f} s, everyone's video back after "
          f"{time.monotonic() - killed:.2f} s")
    assert sfu.janus_node(ROOM) is None  # not moved to another node
    return recorders


async def test_the_only_janus_node_killed_puts_the_call_on_the_mesh(
        sfu_server: SfuServer, janus: Janus) -> None:
    sessions = await sfu_call(sfu_server, ["Ada", "Bob", "Cy"])
    try:
        recorders = await killed_and_back_on_the_mesh(sfu_server, janus, sessions)
        only_reconnects(recorders)
    finally:
        for session in sessions:
            await session.leave_session()


async def test_a_small_call_on_a_killed_node_goes_to_the_mesh_not_to_the_other_node(
        auto_pool: SfuServer, nodes: tuple[Janus, Janus]) -> None:
    sessions = await sfu_call(auto_pool, ["Ada", "Bob", "Cy"])  # the third moves it
    try:
        await wait_until(lambda: auto_pool.hub.sfu.modes.of(ROOM) == "sfu", timeout=5)
        # two left: still on the SFU (back at 1). The mesh of before the move is still
        # retiring when the node dies: the new mesh must not take its late signals
        await sessions.pop().leave_session()
        recorders = await killed_and_back_on_the_mesh(auto_pool, nodes[0], sessions)
        only_reconnects(recorders)
    finally:
        for session in sessions:
            await session.leave_session()


async def test_a_node_that_refuses_to_make_the_room_leaves_the_call_on_the_mesh(
        tmp_path: Path, janus: Janus) -> None:
    # a deployment whose --janus-admin-key is not Janus's: VideoRoom refuses every room.
    # The call goes on peer to peer instead of everyone waiting on a publish that is never
    # answered: the two see each other's video, and nobody noticed a thing
    async with running_sfu_server(tmp_path / "wrong", [janus],
                                  janus_admin_key="not-the-admin-key") as rig:
        sessions = await sfu_call(rig, ["Ada", "Bob"])
        recorders = recorded(sessions)
        try:
            await wait_until(lambda: rig.hub.sfu.modes.of(ROOM) == "mesh", timeout=15)
            assert rig.hub.sfu.janus_room(ROOM) is None
            viewers = [Viewer(s) for s in sessions]
            for session, viewer in zip(sessions, viewers, strict=True):
                await viewer.wait_advancing(others(session), timeout=20)
            only_reconnects(recorders)
        finally:
            for session in sessions:
                await session.leave_session()
