"""The parley-server command line: help, refusals, token minting, a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parley.protocol.grants import GrantKind, verify_grant
from parley.protocol.invites import parse_invite
from parley.protocol.messages import GoingAway
from parley.server import CallServer, ServerConfig
from parley.server.cli import main
from tests.server.conftest import Connect

SECRET = "a-cli-test-secret-of-32-bytes-or-more"
TURN_SECRET = "a-cli-test-turn-secret-of-32-bytes"


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--secret", "--departure-timeout", "--max-participants",
                   "--max-rooms", "--heartbeat-interval", "--heartbeat-timeout", "--ice-server",
                   "--stun-url", "--turn-url", "--turn-secret", "--turn-ttl",
                   "--allow-weak-secret", "--allow-long-tokens",
                   "--state-dir", "--allow-open-rooms", "--log-level", "token", "invite"):
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
    assert main(["token", "--session", "room"]) == 2
    assert "secret" in capsys.readouterr().err


async def test_token_subcommand_mints_a_token_the_server_accepts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, connect: Connect) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    assert main(["token", "--session", "standup", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    async with CallServer(ServerConfig(port=0, secret=SECRET.encode(),
                                       state_dir=tmp_path)) as srv:
        client = await connect(srv)
        welcome = await client.join("standup", "Ada", token=token)
        assert welcome.participant_id
        await client.ws.close()


def _minted(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1  # one line, for scripts
    return out.strip()


def test_token_mints_an_invite_or_an_identity(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    key = SECRET.encode()
    now = time.time()
    invite = verify_grant(key, _minted(capsys, "token", "--session", "standup", "--uses", "3"),
                          "standup")
    assert (invite.kind, invite.uses, invite.user_id) == (GrantKind.INVITE, 3, None)
    assert now + 3600 - 5 <= invite.expires_at <= time.time() + 3601  # default --ttl 3600
    host = verify_grant(key, _minted(capsys, "token", "--session", "standup", "--identity",
                                     "ada@example.org", "--name", "Ada L.", "--host",
                                     "--ttl", "120"), "standup")
    assert (host.kind, host.user_id, host.name, host.host) == \
        (GrantKind.IDENTITY, "ada@example.org", "Ada L.", True)
    plain = verify_grant(key, _minted(capsys, "token", "--session", "standup", "--identity",
                                      "bob"), "standup")
    assert (plain.name, plain.host) == ("bob", False)  # the name defaults to the user id


@pytest.mark.parametrize(("argv", "message"), [
    (["--name", "Ada"], "--identity"),
    (["--host"], "--identity"),
    (["--identity", "ada", "--uses", "2"], "--uses"),
    (["--uses", "0"], "uses"),
    (["--ttl", "0"], "positive"),
    (["--ttl", str(31 * 86400)], "--allow-long-tokens"),
], ids=["name-without-identity", "host-without-identity", "uses-with-identity", "zero-uses",
        "zero-ttl", "over-30-days"])
def test_token_refuses_what_makes_no_grant(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           argv: list[str], message: str) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    assert main(["token", "--session", "standup", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("parley-server: error:") and message in err and "\n" not in err


def test_long_tokens_and_weak_secrets_need_their_flags(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    token = _minted(capsys, "token", "--session", "s", "--ttl", str(31 * 86400),
                    "--allow-long-tokens")
    assert verify_grant(SECRET.encode(), token, "s", max_lifetime=None).session_id == "s"
    monkeypatch.setenv("PARLEY_SECRET", "short")
    for command in (["token", "--session", "s"],
                    ["invite", "--session", "s", "--server", "10.0.0.2"],
                    ["--port", "0"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "at least 32" in err and "--allow-weak-secret" in err
    assert verify_grant(b"short", _minted(capsys, "token", "--session", "s",
                                          "--allow-weak-secret"), "s").kind is GrantKind.INVITE


async def test_invite_prints_a_complete_link_that_gets_in(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, connect: Connect) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    link = _minted(capsys, "invite", "--session", "standup", "--server", "192.168.1.20:8787",
                   "--uses", "1")
    assert link.startswith("parley://join/standup?server=ws%3A%2F%2F192.168.1.20%3A8787%2Fws"
                           "&token=")
    invite = parse_invite(link)
    assert (invite.session_id, invite.server) == ("standup", "ws://192.168.1.20:8787/ws")
    assert invite.token is not None
    grant = verify_grant(SECRET.encode(), invite.token, "standup")
    assert grant.uses == 1 and grant.guest
    assert abs(grant.expires_at - (time.time() + 86400)) < 5  # invites last a day by default
    async with CallServer(ServerConfig(port=0, secret=SECRET.encode(),
                                       state_dir=tmp_path)) as srv:
        welcome = await (await connect(srv)).join("standup", "Guest", token=invite.token)
        assert welcome.participants[0].guest


def test_invite_needs_a_server_and_a_valid_one(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_SECRET", SECRET)
    with pytest.raises(SystemExit) as exit_info:
        main(["invite", "--session", "standup"])
    assert exit_info.value.code == 2 and "--server" in capsys.readouterr().err
    assert main(["invite", "--session", "standup", "--server", "ftp://x"]) == 2
    assert "The server must look like ws://host:port/ws" in capsys.readouterr().err


async def test_server_process_serves_and_shuts_down_on_sigterm(tmp_path: Path,
                                                               connect: Connect) -> None:
    env = {**os.environ, "PARLEY_SECRET": SECRET, "PARLEY_TURN_SECRET": TURN_SECRET}
    token = subprocess.run(
        [sys.executable, "-m", "parley.server", "token", "--session", "r"],
        env=env, check=True, capture_output=True, text=True).stdout.strip()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "parley.server", "--port", "0", "--state-dir", str(tmp_path),
        "--heartbeat-timeout", "5", "--stun-url", "stun:127.0.0.1:3478",
        "--turn-url", "turn:127.0.0.1:3478?transport=udp",
        "--turn-url", "turn:127.0.0.1:3478?transport=tcp", "--turn-ttl", "300", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert line.startswith("Parley server listening on ws://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        client = await connect(url)
        welcome = await client.join("r", "U", token=token)
        stun, turn = welcome.ice_servers
        assert stun.urls == ("stun:127.0.0.1:3478",) and stun.username is None
        assert turn.urls == ("turn:127.0.0.1:3478?transport=udp",
                             "turn:127.0.0.1:3478?transport=tcp")
        assert turn.username is not None and turn.username.endswith(":" + client.pid)
        assert int(turn.username.split(":")[0]) - time.time() == pytest.approx(300, abs=5)
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
    assert "event=join" in logs
    assert not any(part in logs for part in token.split(".")[1:])  # claims, signature
