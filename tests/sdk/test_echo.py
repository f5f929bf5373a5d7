"""The Test call's echo participant sends back what it receives."""

from __future__ import annotations

import asyncio

import pytest

from parley.media.synthetic import read_pattern
from parley.sdk import CallSession, SessionSettings, SessionState, SessionStatusListener
from parley.sdk.echo import ECHO_NAME, start_echo
from parley.server import CallServer

pytestmark = pytest.mark.slow


async def test_you_see_and_hear_yourself_through_the_echo(server: CallServer) -> None:
    me = CallSession()
    await me.join_session("test-abc", SessionSettings("Ada", fake_media=True),
                          server=server.url)
    mine: list[int] = []
    echoed: list[int] = []

    def on_frame(pid: str, frame: object) -> None:
        pattern = read_pattern(frame.frame)  # type: ignore[attr-defined]
        if pattern is None:
            return
        own = me.local_participant
        (mine if own is not None and pid == own.id else echoed).append(pattern[0])

    me.add_video_sink(on_frame)
    echo = await start_echo(me)
    ended = asyncio.Event()
    echo.add_session_status_listener(SessionStatusListener(on_session_timed_out=ended.set))
    try:
        assert [p.name for p in me.participants if not p.is_local] == [ECHO_NAME]
        echo_id = next(p.id for p in me.participants if not p.is_local)
        async with asyncio.timeout(30):
            # The echo's video is my own test pattern: its counters are ones I sent.
            while len(echoed) < 15 or not set(echoed[-5:]) <= set(mine):
                await asyncio.sleep(0.05)
            while me.audio_level(echo_id) <= 0.02:  # my tone, back from the echo
                await asyncio.sleep(0.05)
    finally:
        await me.leave_session()
    await asyncio.wait_for(ended.wait(), timeout=10)  # alone, the echo leaves by itself
    assert echo.state is SessionState.ENDED
