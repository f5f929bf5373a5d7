"""The example bot in docs/ runs and prints the lifecycle it lives through."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from parley.sdk import CallSession, SessionSettings
from parley.server import CallServer
from tests.sdk.recorder import Recorder

BOT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "lifecycle_bot.py"


async def run_bot(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(BOT), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_the_bot_joins_sees_a_participant_and_times_out_alone(server: CallServer) -> None:
    host = CallSession()
    rec = Recorder()
    host.add_participant_event_listener(rec.participant_listener())
    await host.join_session("demo", SessionSettings("Host", media=False), server=server.url)
    bot = await run_bot("--server", server.url, "--session", "demo", "--name", "Bot",
                        "--stay", "30", "--idle-timeout", "1")
    await rec.wait("on_participant_joined", timeout=20)
    await host.leave_session()  # alone, the bot times out after a second
    out, err = await asyncio.wait_for(bot.communicate(), timeout=60)
    lines = out.decode().splitlines()
    assert bot.returncode == 0, err.decode()
    assert lines[:3] == ["session joined", "participant joined: Host", "participant left: Host"]
    assert lines[-1] == "session timed out"


async def test_the_bot_reports_an_unreachable_server(unused_tcp_port: int) -> None:
    bot = await run_bot("--server", f"127.0.0.1:{unused_tcp_port}", "--stay", "0")
    out, _ = await asyncio.wait_for(bot.communicate(), timeout=30)
    assert bot.returncode == 1
    assert out.decode().startswith("could not join: cannot reach the call server")
