"""Resume under the SFU: a server that restarts (its Janus rooms destroyed as it stops)
is resumed by every client as a mesh server's is, and each publishes again to the new
Janus room, so video comes back with no participant left or joined."""

from __future__ import annotations

import pytest

from parley.sdk import CallSession, SessionSettings
from parley.server import CallServer, ServerConfig
from tests.sdk.recorder import Recorder
from tests.sdk.test_media_call import Viewer
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus
from tests.sfu.test_sfu_call import janus_room_state

pytestmark = [pytest.mark.slow, pytest.mark.long]  # ~15 s: make faults

ROOM = "sfu-resume"


async def test_a_restarted_server_is_resumed_and_everyone_publishes_again(
        sfu_server: SfuServer, janus: Janus) -> None:
    sessions, recorders = [], []
    for name in ("Ada", "Bob"):
        session, recorder = CallSession(), Recorder()
        session.add_session_status_listener(recorder.status_listener())
        session.add_participant_event_listener(recorder.participant_listener())
        await session.join_session(ROOM, SessionSettings(name, fake_media=True),
                                   server=sfu_server.server.url)
        sessions.append(session)
        recorders.append(recorder)
    ada, bob = sessions
    config = sfu_server.server.config
    replacement: CallServer | None = None
    try:
        for session in sessions:
            others = [p.id for p in session.participants if not p.is_local]
            await Viewer(session).wait_advancing(others, timeout=20)
        old_room = sfu_server.hub.sfu.janus_room(ROOM)
        await sfu_server.server.stop()  # destroys its Janus rooms; seats stay resumable
        for recorder in recorders:
            await recorder.wait("on_connection_lost", timeout=5)
        replacement = CallServer(ServerConfig(**{**config.__dict__,
                                                 "port": sfu_server.server.port}))
        await replacement.start()
        for recorder in recorders:
            await recorder.wait("on_connection_restored", timeout=10)
        viewers = [Viewer(s) for s in sessions]  # frames from now on only
        for session, viewer in zip(sessions, viewers, strict=True):
            others = [p.id for p in session.participants if not p.is_local]
            await viewer.wait_advancing(others, timeout=20)
        assert old_room is not None and await janus_room_state(janus, old_room) == (False, 0)
        for recorder in recorders:
            assert recorder.status_names() == [
                "on_session_joined", "on_connection_lost", "on_connection_restored"]
            assert "on_participant_left" not in recorder.names
    finally:
        for session in (ada, bob):
            await session.leave_session()
        if replacement is not None:
            await replacement.stop()
