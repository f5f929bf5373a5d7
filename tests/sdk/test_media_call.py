"""Two and three CallSessions with synthetic media through the real server on loopback:
everybody sees (frame counter advancing) and hears (non-silent audio) everybody else."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest

from parley.media.synthetic import read_pattern
from parley.sdk import (
    CallSession,
    MediaEventListener,
    ParticipantEventListener,
    SessionSettings,
)
from parley.server import CallServer
from tests.sdk.recorder import Recorder

pytestmark = pytest.mark.slow


class Viewer:
    """Collects the pattern counters seen per remote participant."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.counters: dict[str, list[int]] = defaultdict(list)
        self.changed = asyncio.Event()
        session.add_video_sink(self.on_frame)

    def on_frame(self, pid: str, frame: Any) -> None:
        local = self.session.local_participant
        if local is not None and pid == local.id:
            return
        pattern = read_pattern(frame.frame)
        if pattern is not None:
            self.counters[pid].append(pattern[0])
            self.changed.set()

    def advancing(self, pid: str, frames: int) -> bool:
        seen = self.counters.get(pid, [])
        return len(seen) >= frames and seen[-1] > seen[0]

    async def wait_advancing(self, pids: list[str], frames: int = 15,
                             timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not all(self.advancing(pid, frames) for pid in pids):
                self.changed.clear()
                await self.changed.wait()


async def wait_until(predicate: Any, timeout: float = 20) -> None:
    """Poll a condition that has no event of its own (audio levels are sampled)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def media_call(server: CallServer, names: list[str]) -> list[CallSession]:
    sessions = []
    for name in names:
        session = CallSession()
        await session.join_session("media", SessionSettings(name, fake_media=True),
                                   server=server.url)
        sessions.append(session)
    return sessions


@pytest.mark.parametrize("size", [2, 3])
async def test_everybody_sees_and_hears_everybody(server: CallServer, size: int) -> None:
    sessions = await media_call(server, ["Ada", "Bob", "Cy"][:size])
    viewers = [Viewer(s) for s in sessions]
    try:
        for session, viewer in zip(sessions, viewers, strict=True):
            others = [p.id for p in session.participants if not p.is_local]
            assert len(others) == size - 1
            await viewer.wait_advancing(others)
            await wait_until(lambda s=session, o=others: all(
                s.audio_level(pid) > 0.02 for pid in o))
    finally:
        for session in sessions:
            await session.leave_session()


async def test_mute_and_pause_reach_the_others_as_participant_events(
        server: CallServer) -> None:
    ada, bob = await media_call(server, ["Ada", "Bob"])
    rec = Recorder()
    ada.add_participant_event_listener(rec.participant_listener())
    own: list[str] = []
    bob.add_media_event_listener(MediaEventListener(
        on_audio_muted=lambda: own.append("muted"), on_video_paused=lambda: own.append("paused"),
        on_screen_share_started=lambda: own.append("share")))
    shared: list[str] = []
    ada.add_participant_event_listener(ParticipantEventListener(
        on_screen_share_started=lambda p: shared.append(p.name)))
    try:
        bob_id = bob.local_participant.id if bob.local_participant else ""
        await wait_until(lambda: ada.audio_level(bob_id) > 0.02)
        bob.mute_audio()
        bob.pause_video()
        await rec.wait("on_audio_muted")
        await rec.wait("on_video_paused")
        # Muted audio is silence on the wire, not a dead link.
        await wait_until(lambda: ada.audio_level(bob_id) < 0.005)
        await bob.start_screen_share()
        await wait_until(lambda: shared == ["Bob"])
        assert own == ["muted", "paused", "share"]
        assert "on_participant_reconnecting" not in rec.names
    finally:
        await ada.leave_session()
        await bob.leave_session()


async def test_media_that_cannot_start_fails_the_join_cleanly(
        server: CallServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.media import MediaMesh
    from parley.sdk import JoinError, JoinFailure, SessionState

    async def broken(self: MediaMesh) -> None:
        raise RuntimeError("no codec")

    monkeypatch.setattr(MediaMesh, "start", broken)
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    with pytest.raises(JoinError, match="audio/video could not start: no codec") as info:
        await session.join_session("media", SessionSettings("Ada", fake_media=True),
                                   server=server.url)
    assert info.value.reason is JoinFailure.SERVER_ERROR
    assert "audio/video could not start: no codec" in info.value.message
    assert rec.events == [] and session.state is SessionState.IDLE
    # The server saw the attempt leave: a new participant finds the room empty.
    other = CallSession()
    await other.join_session("media", SessionSettings("Bob", media=False), server=server.url)
    assert [p.name for p in other.participants] == ["Bob"]
    await other.leave_session()


async def test_a_screen_that_cannot_be_captured_is_a_device_error_not_a_share(
        server: CallServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.media import local
    from parley.media.devices import DeviceError

    async def no_screen(*args: object) -> None:
        raise DeviceError("screen", "no X display to capture")

    monkeypatch.setattr(local, "open_screen", no_screen)
    (ada,) = await media_call(server, ["Ada"])
    seen: list[tuple[str, ...]] = []
    ada.add_media_event_listener(MediaEventListener(
        on_screen_share_started=lambda: seen.append(("started",)),
        on_device_error=lambda kind, message: seen.append((kind, message))))
    try:
        await ada.start_screen_share()
        assert seen == [("screen", "no X display to capture")]
        assert not ada.screen_sharing
        assert ada.local_participant is not None and not ada.local_participant.screen_sharing
    finally:
        await ada.leave_session()
