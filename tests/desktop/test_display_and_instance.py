"""The running app as a process: its display dies under it, a second start hands its link
over, --version, and the log file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from parley.sdk import CallSession, ParticipantEventListener, SessionSettings
from parley.server import CallServer, ServerConfig
from tests.desktop.test_main import PARLEY, _env, _wait_for_line
from tests.xvfb import private_display


async def _until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.05)


async def test_when_the_x_server_dies_the_app_leaves_the_call_and_says_so(
        tmp_path: Path) -> None:
    # A long departure grace: a leave within it is the app's goodbye, not the server's guess.
    config = ServerConfig(port=0, state_dir=tmp_path / "server", departure_timeout=30.0)
    async with CallServer(config) as server:
        bob = CallSession()
        left: list[str] = []
        bob.add_participant_event_listener(ParticipantEventListener(
            on_participant_left=lambda p: left.append(p.name)))
        await bob.join_session("standup", SessionSettings("Bob", media=False),
                               server=server.url)
        stack = contextlib.ExitStack()
        display = stack.enter_context(private_display("1024x768"))
        app = subprocess.Popen(
            [PARLEY, "--server", server.url, "--session", "standup", "--name", "Ada", "--join",
             "--fake-media"],
            env=_env(tmp_path, DISPLAY=display, QT_QPA_PLATFORM="xcb"),
            stderr=subprocess.PIPE, text=True)
        try:
            log = tmp_path / "state" / "parley" / "parley.log"  # (stderr has ALSA's noise)
            await _until(lambda: log.exists() and "-> joined" in log.read_text(), 30,
                         "Ada never joined")
            assert any(p.name == "Ada" for p in bob.participants)
            stack.close()  # the X server goes away under the running app
            await _until(lambda: app.poll() is not None, 15, "the app did not exit")
            assert app.stderr is not None
            err = app.stderr.read()
            # Either way the user is told, once, in words, and there is no traceback.
            assert "parley: the display went away (The X11 connection broke" in err, err
            assert "Traceback" not in err
            if app.returncode == 1 and "XIO:  fatal IO error" in err:
                # About one run in ten an Xlib call meets the broken connection before
                # Qt's event loop does, and libX11 exits the process itself (its default
                # I/O-error exit; returning from it instead crashes Qt: tried). The call
                # is then not left: the others see Ada reconnecting, and the server's
                # departure grace ends her seat (docs/desktop-app.md).
                assert left == []
                return
            assert app.returncode == 3, err
            await _until(lambda: left == ["Ada"], 10, "Ada did not leave the call")
            assert "parley: left the call and quit." in err
        finally:
            stack.close()
            if app.poll() is None:
                app.kill()
                app.wait()
            await bob.leave_session()


def test_a_second_start_hands_its_link_to_the_running_one(tmp_path: Path) -> None:
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen", QT_LOGGING_RULES="*.debug=false")
    first = subprocess.Popen([PARLEY, "--port", "0"], env=env, stderr=subprocess.PIPE,
                             text=True)
    try:
        _wait_for_line(first, "event=listening", 30)
        second = subprocess.run([PARLEY, "--session", "parley://join/standup2"], env=env,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 0
        assert "Parley is already running; it has the invite now." in second.stderr
        _wait_for_line(first, "event=handed_over session=parley://join/standup2", 10)
        log = Path(env["XDG_STATE_HOME"]) / "parley" / "parley.log"
        assert "event=listening" in log.read_text()  # the log file, in the state directory
        other = dict(env, XDG_CONFIG_HOME=str(tmp_path / "other-profile"))
        alone = subprocess.Popen([PARLEY, "--port", "0"], env=other, stderr=subprocess.PIPE,
                                 text=True)  # another profile: an instance of its own
        try:
            _wait_for_line(alone, "event=listening", 30)
        finally:
            alone.terminate()
            alone.wait(30)
    finally:
        first.terminate()
        assert first.wait(30) == 0


def test_version(tmp_path: Path) -> None:
    done = subprocess.run([PARLEY, "--version"], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.strip() == "parley 0.1.0"


@pytest.mark.parametrize("platform,env,expected", [
    ("linux", {"HOME": "/home/ada"}, "/home/ada/.local/state/parley"),
    ("linux", {"HOME": "/home/ada", "XDG_STATE_HOME": "/st"}, "/st/parley"),
    ("darwin", {"HOME": "/Users/ada"}, "/Users/ada/Library/Logs/Parley"),
    ("win32", {"HOME": "C:/u", "LOCALAPPDATA": "C:/u/AppData/Local"},
     "C:/u/AppData/Local/Parley/Logs"),
])
def test_the_log_directory_per_platform(platform: str, env: dict[str, str],
                                        expected: str) -> None:
    from parley.desktop.logfile import log_dir

    assert log_dir(env, platform) == Path(expected)


def test_the_log_file_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from parley.desktop import logfile

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    root = logging.getLogger()
    before = list(root.handlers)
    path = logfile.setup_logging()
    try:
        assert path == tmp_path / "parley" / "parley.log"
        for i in range(100):
            logging.getLogger("parley.test").warning("line %d of the rotation test", i)
        assert path.exists() and path.with_name("parley.log.1").exists()
        assert not path.with_name("parley.log.4").exists()  # three kept
        assert os.path.getsize(path) <= 2000
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


