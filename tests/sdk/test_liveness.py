"""Loss detection from heartbeats against a server in its own process.

Freezing the server with SIGSTOP makes the link go silent without closing any
socket - what a dead network looks like to the client - so these tests measure
the SDK's own detection, not TCP's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from parley.sdk import CallSession, SessionSettings
from tests.sdk.recorder import Recorder


class ServerProcess:
    def __init__(self, state_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "parley.server", "--port", "0", "--state-dir",
             str(state_dir), "--log-level", "warning"],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "listening on" in line, f"server did not start: {line!r}"
        self.url = line.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path)
    yield srv
    srv.stop()


@pytest.fixture
async def call(server_process: ServerProcess) -> AsyncIterator[tuple[CallSession, Recorder]]:
    session = CallSession()
    rec = Recorder()
    session.add_session_status_listener(rec.status_listener())
    await session.join_session("live", SessionSettings("Ada", media=False),
                               server=server_process.url)
    yield session, rec
    await session.leave_session()


async def test_a_frozen_server_is_lost_within_2s_and_restored_within_1_5s(
        server_process: ServerProcess, call: tuple[CallSession, Recorder]) -> None:
    session, rec = call
    pid = session.local_participant.id if session.local_participant else None
    os.kill(server_process.proc.pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    lost_at = await rec.wait("on_connection_lost", timeout=5)
    assert lost_at - frozen_at <= 2.0, f"loss noticed after {lost_at - frozen_at:.2f} s"
    os.kill(server_process.proc.pid, signal.SIGCONT)
    thawed_at = time.monotonic()
    restored_at = await rec.wait("on_connection_restored", timeout=5)
    assert restored_at - thawed_at <= 1.5, f"restored after {restored_at - thawed_at:.2f} s"
    assert session.local_participant is not None and session.local_participant.id == pid
    assert rec.status_names() == ["on_session_joined", "on_connection_lost",
                                  "on_connection_restored"]


def _burn() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [10, pytest.param(30, marks=pytest.mark.long)])
async def test_no_false_loss_with_both_cores_saturated(
        server_process: ServerProcess, seconds: int) -> None:
    """10 s (make test) is five times the 2 s in which a frozen server is lost (above):
    a liveness check that starved would have fired; make faults watches 30 s."""
    ada, bob = CallSession(), CallSession()
    recs = []
    for name, session in (("Ada", ada), ("Bob", bob)):
        rec = Recorder()
        session.add_session_status_listener(rec.status_listener())
        await session.join_session("busy", SessionSettings(name, media=False),
                                   server=server_process.url)
        recs.append(rec)
    burners = [_burn() for _ in range(os.cpu_count() or 2)]
    try:
        # Watch for a loss: the call must stay healthy the whole time.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(r.wait("on_connection_lost", timeout=seconds + 1)
                                 for r in recs)),
                timeout=seconds)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    for rec in recs:
        assert "on_connection_lost" not in rec.names
    await ada.leave_session()
    await bob.leave_session()
