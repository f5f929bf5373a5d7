"""The `parley` entry point: arguments, the no-display exit, a real start and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parley.desktop.main import EXIT_NO_DISPLAY, missing_display, parse_args

PARLEY = str(Path(sys.executable).with_name("parley"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               HOME=str(tmp_path))
    env.update(extra)
    return env


@pytest.mark.parametrize("env,platform,missing", [
    ({}, "linux", True),
    ({"DISPLAY": ":0"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux", True),
    ({}, "darwin", False),
    ({}, "win32", False),
])
def test_missing_display(env: dict[str, str], platform: str, missing: bool) -> None:
    assert (missing_display(env, platform) is not None) is missing


def test_arguments() -> None:
    args = parse_args(["--session", "standup", "--name", "Ada", "--server", "ws://h:1/ws",
                       "--token", "t", "--fake-media", "--theme", "dark"])
    assert (args.session, args.name, args.server, args.token) == ("standup", "Ada",
                                                                  "ws://h:1/ws", "t")
    assert args.fake_media and args.theme == "dark" and not args.self_test


def test_without_a_display_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([PARLEY], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == EXIT_NO_DISPLAY
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert "no display" in lines[0] and "--self-test" in lines[0]


def test_a_bad_server_is_refused_before_qt(tmp_path: Path) -> None:
    done = subprocess.run([PARLEY, "--server", "ftp://nowhere"], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--server" in done.stderr


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never logged; got:\n{''.join(seen)}")


@pytest.mark.slow
def test_starts_its_own_server_joins_with_session_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [PARLEY, "--session", "standup", "--name", "Ada", "--join", "--port", "0"],
        env=_env(tmp_path, QT_QPA_PLATFORM="offscreen", QT_LOGGING_RULES="*.debug=false"),
        stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_line(proc, "event=listening", 30)
        _wait_for_line(proc, "-> joined", 30)  # --session joined the built-in server
        proc.send_signal(signal.SIGINT)  # closes the window: leave, then stop the server
        tail = _wait_for_line(proc, "event=stopped", 30)
        assert proc.wait(timeout=30) == 0
        assert any("event=leave" in line for line in tail)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
