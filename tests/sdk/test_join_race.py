"""What happens while a join is still starting its media (the server has welcomed you;
the camera is opening), a window that lasts seconds on a loaded machine:

- the signaling link dies: the join ends as joined, and then lost, and the SDK resumes
  the seat, as it would a link that died a second later. It once ended in JOINED with
  no link at all: nobody was told, and the server dropped the seat;
- somebody else joins: you see them. The server's news in that window was dropped,
  and the welcome's older list taken afterwards, so they were never seen.

To hold the join in that window, Ada's camera is a virtual one reading a FIFO
(``lavfi:movie=...``): opening it blocks until the test writes a picture in. The server
runs in its own process and is frozen with SIGSTOP, so the link goes silent the way a
dead network does."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.sdk import CallSession, ParticipantEventListener, SessionSettings, SessionState
from parley.sdk.participants import Participant
from parley.sdk.settings import Devices
from tests.sdk.recorder import Recorder
from tests.sdk.test_liveness import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path)
    yield srv
    srv.stop()


def _y4m(frames: int = 15, size: int = 16) -> bytes:
    header = f"YUV4MPEG2 W{size} H{size} F15:1 Ip A1:1 C420jpeg\n".encode()
    picture = b"FRAME\n" + bytes([120]) * (size * size * 3 // 2)
    return header + picture * frames


class HeldJoin:
    """Ada's join, held while her camera opens: a FIFO that nobody writes yet."""

    def __init__(self, ada: CallSession, url: str, tmp_path: Path) -> None:
        self.fifo = tmp_path / "camera.y4m"
        os.mkfifo(self.fifo)
        settings = SessionSettings("Ada", devices=Devices(camera=f"lavfi:movie={self.fifo}"),
                                   echo_cancellation=False, noise_suppression=False,
                                   auto_gain_control=False)
        self.join = asyncio.create_task(ada.join_session("race", settings, server=url))
        self.writer = -1

    async def welcomed(self, timeout: float = 20) -> None:
        """Until the camera has opened the FIFO's read end (so the server welcomed Ada):
        before that, a non-blocking open for writing fails with ENXIO."""
        async with asyncio.timeout(timeout):
            while self.writer < 0:
                try:
                    self.writer = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    await asyncio.sleep(0.05)  # polling for the reader: there is no event

    async def release(self) -> None:
        """A picture into the camera: it opens, and the join ends."""
        os.set_blocking(self.writer, True)
        await asyncio.to_thread(os.write, self.writer, _y4m())
        os.close(self.writer)
        self.writer = -1
        await self.join

    def close(self) -> None:
        if self.writer >= 0:
            os.close(self.writer)
            self.writer = -1
        if not self.join.done():
            self.join.cancel()


async def _logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not any(text in record.getMessage() for record in caplog.records):
            await asyncio.sleep(0.05)  # polling the log: the SDK says nothing else here


async def test_a_link_that_dies_while_the_media_starts_is_lost_then_restored(
        server_process: ServerProcess, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="parley.sdk")
    ada, rec = CallSession(), Recorder()
    ada.add_session_status_listener(rec.status_listener())
    held = HeldJoin(ada, server_process.url, tmp_path)
    try:
        await held.welcomed()
        os.kill(server_process.proc.pid, signal.SIGSTOP)
        await _logged(caplog, "event=connection_lost")  # the link's heartbeat gave up
        assert (ada.state, rec.status_names()) == (SessionState.CONNECTING, [])
        os.kill(server_process.proc.pid, signal.SIGCONT)
        await held.release()
        await rec.wait("on_connection_restored", timeout=20)
        assert rec.status_names() == ["on_session_joined", "on_connection_lost",
                                      "on_connection_restored"]
        assert ada.state is SessionState.JOINED
    finally:
        held.close()
        os.kill(server_process.proc.pid, signal.SIGCONT)
        await ada.leave_session()


async def test_someone_who_joins_while_the_media_starts_is_seen(
        server_process: ServerProcess, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="parley.sdk")
    ada, bob = CallSession(), CallSession()
    joined: list[Participant] = []
    ada.add_participant_event_listener(ParticipantEventListener(
        on_participant_joined=joined.append))
    held = HeldJoin(ada, server_process.url, tmp_path)
    try:
        await held.welcomed()
        await bob.join_session("race", SessionSettings("Bob", media=False),
                               server=server_process.url)
        await _logged(caplog, "event=held_until_joined type=participant_joined")
        await held.release()
        assert [p.name for p in joined] == ["Bob"]
        assert sorted(p.name for p in ada.participants) == ["Ada", "Bob"]
    finally:
        held.close()
        await bob.leave_session()
        await ada.leave_session()
