"""The live move between mesh and SFU (``--sfu auto``): real CallSessions, a real server
and a real Janus. With mesh_max 3, the 4th joining moves the call to the SFU and two
leaving move it back (long); with mesh_max 2, the 3rd joining moves it (fast). Nobody's
video stops for more than 1 s (issue 17), and no lifecycle or participant event fires
for the moves."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from parley.sdk import CallSession, SessionSettings
from tests.sdk.recorder import Recorder
from tests.sdk.test_media_call import Viewer, wait_until
from tests.sfu.conftest import SfuServer, running_sfu_server
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import janus_room_state

pytestmark = pytest.mark.slow

ROOM = "sfu-switch"
GAP = 1.0
"""The longest a participant's video may stop during a move (issue 17: video from
everyone back within 1 s)."""


@pytest.fixture
async def auto_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, [janus], sfu="auto", mesh_max=3) as rig:
        yield rig


@pytest.fixture
async def auto_server2(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, [janus], sfu="auto", mesh_max=2) as rig:
        yield rig


class Frames:
    """When each remote participant's frames arrived at one session."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.times: dict[str, list[float]] = defaultdict(list)
        session.add_video_sink(self.on_frame)

    def on_frame(self, pid: str, frame: Any) -> None:
        local = self.session.local_participant
        if local is None or pid != local.id:
            self.times[pid].append(time.monotonic())

    def longest_gap(self, pid: str, since: float, until: float) -> float:
        seen = [since] + [t for t in self.times[pid] if since < t < until] + [until]
        return max(b - a for a, b in zip(seen, seen[1:], strict=False))


def pid_of(session: CallSession) -> str:
    assert session.local_participant is not None
    return session.local_participant.id


def others(session: CallSession) -> list[str]:
    return [p.id for p in session.participants if not p.is_local]


async def join(rig: SfuServer, name: str, recorders: dict[str, Recorder]) -> CallSession:
    session = CallSession()
    recorder = recorders[name] = Recorder()
    session.add_session_status_listener(recorder.status_listener())
    session.add_participant_event_listener(recorder.participant_listener())
    await session.join_session(ROOM, SessionSettings(name, fake_media=True), server=rig.server.url)
    return session


async def mesh_of(rig: SfuServer, janus: Janus, names: list[str],
                  recorders: dict[str, Recorder]) -> list[CallSession]:
    """``names`` in a mesh of ``mesh_max`` participants, each seeing the others; the
    Janus room is ready for the move (made ahead: its seats joined, nobody publishing)."""
    sessions = [await join(rig, name, recorders) for name in names]
    for session in sessions:
        await Viewer(session).wait_advancing(others(session), timeout=20)
    sfu = rig.hub.sfu
    assert sfu.modes.of(ROOM) == "mesh"
    await wait_until(lambda: sfu.janus_room(ROOM) is not None, timeout=10)
    room = sfu.janus_room(ROOM)
    assert room is not None and await janus_room_state(janus, room) == (True, 0)
    return sessions


async def moved_with_no_gap(sessions: list[CallSession], newcomer: str, frames: list[Frames],
                            moved_at: float, direction: str) -> None:
    """Everyone sees everyone's video advancing; the old pairs' longest stop since the
    move is within :data:`GAP`."""
    for session in sessions:
        await Viewer(session).wait_advancing(others(session), timeout=20)
    settled = time.monotonic()
    for session, seen in zip(sessions, frames, strict=False):
        for pid in others(session):
            if pid != newcomer:
                gap = seen.longest_gap(pid, moved_at, settled)
                print(f"gap {direction}: {gap:.2f} s")
                assert gap <= GAP, (direction, session.local_participant, pid, gap)


async def test_the_third_joining_moves_a_video_call_to_the_sfu_with_no_gap(
        auto_server2: SfuServer, janus: Janus) -> None:
    recorders: dict[str, Recorder] = {}
    sessions: list[CallSession] = []
    try:
        sessions += await mesh_of(auto_server2, janus, ["Ada", "Bob"], recorders)
        frames = [Frames(s) for s in sessions]
        before = {name: len(r.events) for name, r in recorders.items()}
        moved_at = time.monotonic()
        sessions.append(await join(auto_server2, "Cy", recorders))
        assert auto_server2.hub.sfu.modes.of(ROOM) == "sfu"
        await moved_with_no_gap(sessions, pid_of(sessions[2]), frames, moved_at, "to the SFU")
        for name in ("Ada", "Bob"):  # only Cy's arrival (and its media) is an event
            new = recorders[name].names[before[name]:]
            assert [n for n in new if n != "on_media_flowing"] == ["on_participant_joined"], \
                (name, new)
        assert recorders["Cy"].status_names() == ["on_session_joined"]
    finally:
        for session in sessions:
            await session.leave_session()


@pytest.mark.long
async def test_the_fourth_joining_moves_the_call_to_the_sfu_and_leaving_moves_it_back(
        auto_server: SfuServer, janus: Janus) -> None:
    recorders: dict[str, Recorder] = {}
    sessions: list[CallSession] = []
    try:
        sessions += await mesh_of(auto_server, janus, ["Ada", "Bob", "Cy"], recorders)
        sfu = auto_server.hub.sfu
        frames = [Frames(s) for s in sessions]
        before = {name: len(r.events) for name, r in recorders.items()}

        moved_at = time.monotonic()
        sessions.append(await join(auto_server, "Dee", recorders))
        assert sfu.modes.of(ROOM) == "sfu"
        dee = sessions[3]
        # every old pair kept its video through the move
        await moved_with_no_gap(sessions, pid_of(dee), frames, moved_at, "to the SFU")
        # the move itself said nothing: only Dee's arrival is an event for the others
        for name in ("Ada", "Bob", "Cy"):
            new = recorders[name].names[before[name]:]
            assert [n for n in new if n != "on_media_flowing"] == ["on_participant_joined"], \
                (name, new)
            assert new.count("on_media_flowing") <= 1, (name, new)  # Dee's media starting
        assert recorders["Dee"].status_names() == ["on_session_joined"]

        # two leave: the last two go back to peer to peer, and the Janus room goes
        before = {name: len(r.events) for name, r in recorders.items()}
        for leaver in sessions[2:]:
            await leaver.leave_session()
        assert sfu.modes.of(ROOM) == "mesh"
        back_at = time.monotonic()
        ada, bob = sessions[:2]
        async with asyncio.timeout(15):  # both closed their SFU side (sfu_leave)
            while sfu.janus_room(ROOM) is not None:
                await asyncio.sleep(0.1)
        # their video never stopped, the old SFU path's closing included
        await moved_with_no_gap([ada, bob], "", frames, back_at, "back to the mesh")
        for name in ("Ada", "Bob"):
            new = recorders[name].names[before[name]:]
            assert new == ["on_participant_left"] * 2, new
            assert "on_connection_lost" not in new
    finally:
        for session in sessions:
            await session.leave_session()
