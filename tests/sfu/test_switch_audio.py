"""The live move to the SFU in an audio-only call (fast: no video to encode): with
mesh_max 2 the third joining moves the call; everyone hears everyone through Janus and
the move fires no lifecycle or participant event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.sdk import CallSession, SessionSettings
from parley.sdk.settings import SessionType
from parley.server import ServerConfig
from tests.sdk.recorder import Recorder
from tests.sdk.test_media_call import wait_until
from tests.sfu.conftest import SfuServer, running_sfu_server
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import janus_room_state

pytestmark = pytest.mark.slow

ROOM = "sfu-switch-audio"


@pytest.fixture
async def auto_server(tmp_path: Path, janus: Janus) -> AsyncIterator[SfuServer]:
    async with running_sfu_server(tmp_path, [janus], sfu="auto", mesh_max=2) as rig:
        yield rig


def hears_everyone(session: CallSession) -> bool:
    return all(session.audio_level(p.id) > 0.02 for p in session.participants
               if not p.is_local)


async def test_the_third_joining_an_audio_call_moves_it_to_the_sfu_silently(
        auto_server: SfuServer, janus: Janus) -> None:
    sessions: list[CallSession] = []
    recorders: list[Recorder] = []
    try:
        for name in ("Ada", "Bob", "Cy"):
            if name == "Cy":
                await wait_until(lambda: all(hears_everyone(s) for s in sessions), timeout=10)
                assert auto_server.hub.sfu.modes.of(ROOM) == "mesh"
                before = [len(r.events) for r in recorders]
            session, recorder = CallSession(), Recorder()
            session.add_session_status_listener(recorder.status_listener())
            session.add_participant_event_listener(recorder.participant_listener())
            await session.join_session(ROOM, SessionSettings(
                name, fake_media=True, session_type=SessionType.AUDIO),
                server=auto_server.server.url)
            sessions.append(session)
            recorders.append(recorder)
        assert auto_server.hub.sfu.modes.of(ROOM) == "sfu"
        sfu = auto_server.hub.sfu
        async with asyncio.timeout(15):  # the Janus room is made and everyone published
            while (room := sfu.janus_room(ROOM)) is None \
                    or await janus_room_state(janus, room) != (True, 3):
                await asyncio.sleep(0.1)
        # Cy is on the SFU only: hearing Cy is hearing through Janus
        await wait_until(lambda: all(hears_everyone(s) for s in sessions), timeout=15)
        for recorder, seen in zip(recorders[:2], before, strict=True):
            new = recorder.names[seen:]
            assert [n for n in new if n != "on_media_flowing"] == ["on_participant_joined"], new
        assert recorders[2].status_names() == ["on_session_joined"]
    finally:
        for session in sessions:
            await session.leave_session()


async def test_a_restarted_server_moves_the_resumed_call_as_its_seats_come_back(
        auto_server: SfuServer, janus: Janus) -> None:
    """Three on the SFU; the server restarts; as the seats resume one by one the room is
    a mesh again, until the third's return moves it to the SFU (a new Janus room): every
    client follows the room's mode from its welcome or from media_mode."""
    sessions: list[CallSession] = []
    recorders: list[Recorder] = []
    replacement = None
    try:
        for name in ("Ada", "Bob", "Cy"):
            session, recorder = CallSession(), Recorder()
            session.add_session_status_listener(recorder.status_listener())
            session.add_participant_event_listener(recorder.participant_listener())
            await session.join_session(ROOM, SessionSettings(
                name, fake_media=True, session_type=SessionType.AUDIO),
                server=auto_server.server.url)
            sessions.append(session)
            recorders.append(recorder)
        await wait_until(lambda: all(hears_everyone(s) for s in sessions), timeout=15)
        old_room = auto_server.hub.sfu.janus_room(ROOM)
        config = auto_server.server.config
        await auto_server.server.stop()
        for recorder in recorders:
            await recorder.wait("on_connection_lost", timeout=5)
        rig = SfuServer(ServerConfig(**{**config.__dict__, "port": auto_server.server.port}))
        replacement = rig.server
        await replacement.start()
        for recorder in recorders:
            await recorder.wait("on_connection_restored", timeout=10)
        sfu = rig.hub.sfu
        assert sfu.modes.of(ROOM) == "sfu"  # all three back: above mesh_max again
        async with asyncio.timeout(15):
            while (room := sfu.janus_room(ROOM)) is None \
                    or await janus_room_state(janus, room) != (True, 3):
                await asyncio.sleep(0.1)
        assert room != old_room
        for session in sessions:  # the levels of before the restart have faded by now
            for p in session.participants:
                if not p.is_local:
                    await wait_until(lambda s=session, pid=p.id: s.audio_level(pid) > 0.02,
                                     timeout=15)
        for recorder in recorders:
            assert recorder.status_names() == [
                "on_session_joined", "on_connection_lost", "on_connection_restored"]
            assert "on_participant_left" not in recorder.names
    finally:
        for session in sessions:
            await session.leave_session()
        if replacement is not None:
            await replacement.stop()
