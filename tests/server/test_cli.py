"""The parley-server command line: help, refusals, token minting, a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from parley.protocol.messages import GoingAway
from parley.server import CallServer, ServerConfig
from parley.server.cli import main
from tests.server.conftest import Connect


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--secret", "--departure-timeout", "--max-participants",
                   "--max-rooms", "--heartbeat-interval", "--heartbeat-timeout", "--ice-server",
                   "--state-dir", "--allow-open-rooms", "--log-level", "token"):
        assert option in out


def test_token_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "--help"])
    assert exit_info.value.code == 0
    assert "--session" in capsys.readouterr().out


def test_refuses_open_rooms_on_a_public_host(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_SECRET", raising=False)
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--allow-open-rooms" in err and err.startswith("parley-server:")


def test_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    import socket

    monkeypatch.setattr("parley.server.cli.configure_logging", lambda level: None)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("parley-server: error: cannot listen") and "\n" not in err


def test_token_needs_a_secret(capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_SECRET", raising=False)
    assert main(["token", "--session", "room", "--user", "ada"]) == 2
    assert "secret" in capsys.readouterr().err


async def test_token_subcommand_mints_a_token_the_server_accepts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, connect: Connect) -> None:
    monkeypatch.setenv("PARLEY_SECRET", "from-env")
    assert main(["token", "--session", "standup", "--user", "ada", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    async with CallServer(ServerConfig(port=0, secret=b"from-env", state_dir=tmp_path)) as srv:
        client = await connect(srv)
        welcome = await client.join("standup", "Ada", token=token)
        assert welcome.participant_id
        await client.ws.close()


async def test_server_process_serves_and_shuts_down_on_sigterm(tmp_path: Path,
                                                               connect: Connect) -> None:
    env = {**os.environ, "PARLEY_SECRET": "s3cret"}
    token = subprocess.run(
        [sys.executable, "-m", "parley.server", "token", "--session", "r", "--user", "u"],
        env=env, check=True, capture_output=True, text=True).stdout.strip()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "parley.server", "--port", "0", "--state-dir", str(tmp_path),
        "--heartbeat-timeout", "5", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert line.startswith("Parley server listening on ws://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        client = await connect(url)
        await client.join("r", "U", token=token)
        proc.send_signal(signal.SIGTERM)
        assert isinstance(await client.next(), GoingAway)
        assert await client.closed() == 1001
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.stderr is not None
    logs = (await proc.stderr.read()).decode()
    assert "event=join" in logs and token.split(".")[0] not in logs
