"""A private PulseAudio for the audio-device tests.

It runs in the test's own runtime directory with the sinks and sources the test
loads, and :func:`private_pulse` yields the environment that points ALSA's pulse
plugin (and so PortAudio and sounddevice) at it. PortAudio reads its device list
once per process, so the code under test runs in a child process started with
that environment (:func:`run_child`).

Needs the Debian packages pulseaudio, pulseaudio-utils, libportaudio2 and
libasound2-plugins (`make system-deps` installs them). Their absence is a failure
with a message, not a skip: CI runs these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIRS = ("/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib/aarch64-linux-gnu/alsa-lib",
               "/usr/lib/alsa-lib", "/usr/lib64/alsa-lib")
INSTALL = "install the Debian packages pulseaudio pulseaudio-utils libportaudio2 " \
          "libasound2-plugins (make system-deps does)"


def require_audio_stack() -> None:
    """Skip off Linux; fail (with what to install) when the audio stack is missing."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the private-PulseAudio tests are Linux-only")
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: {INSTALL}")
    if not any(Path(d, "libasound_module_pcm_pulse.so").exists() for d in PLUGIN_DIRS):
        pytest.fail(f"ALSA's pulse plugin is not installed: {INSTALL}")


@contextmanager
def private_pulse(tmp_path: Path, modules: Sequence[str],
                  alsa: Sequence[str] = ()) -> Iterator[dict[str, str]]:
    """Start PulseAudio running ``modules`` (default.pa lines after its native socket);
    ALSA's default device is PulseAudio's default, plus the ``alsa`` lines. Yields the
    environment for a child process; stops the daemon afterwards."""
    require_audio_stack()
    socket = tmp_path / "native"
    script = tmp_path / "default.pa"
    script.write_text("\n".join([
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1",
        *modules, ""]))
    alsa_conf = tmp_path / "asound.conf"
    alsa_conf.write_text("\n".join([
        "pcm.!default { type pulse }", "ctl.!default { type pulse }", *alsa, ""]))
    runtime = tmp_path / "runtime"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path),
        "PULSE_RUNTIME_PATH": str(runtime), "PULSE_STATE_PATH": str(tmp_path / "state"),
    }
    # --daemonize: the parent returns once the daemon is ready (our sync point)
    started = subprocess.run(
        ["pulseaudio", "-n", "-F", str(script), "--daemonize=yes", "--exit-idle-time=-1",
         "--disable-shm=yes", "--use-pid-file=yes", "--log-target=stderr"],
        env=env, capture_output=True, text=True, timeout=30)
    if started.returncode != 0 or not socket.exists():
        pytest.fail(f"private PulseAudio did not start ({started.returncode}): "
                    f"{started.stderr[-2000:]}")
    pid = int((runtime / "pid").read_text().split()[0])
    try:
        yield {**env, "ALSA_CONFIG_PATH": str(alsa_conf), "PULSE_SERVER": f"unix:{socket}"}
    finally:
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid, 10.0)


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait until the daemon (not our child: it daemonized) has exited, so that its
    runtime directory can be removed; it goes within milliseconds of SIGTERM."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)  # polling a process that is not ours: no event to wait on
    os.kill(pid, signal.SIGKILL)


def start_child(env: dict[str, str], module: str, *args: str,
                pythonpath: Sequence[Path] = ()) -> subprocess.Popen[str]:
    """Start ``python -m module args`` from the checkout with ``env``; see :func:`outcome`."""
    path = os.pathsep.join(str(p) for p in (*pythonpath, REPO))
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=REPO,
                            env={**env, "PYTHONPATH": path}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def outcome(child: subprocess.Popen[str], timeout: float = 60) -> Any:
    """Wait for a child of :func:`start_child`; return the JSON its last line prints (a
    failed child fails the test with its stderr; one past ``timeout`` is killed)."""
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise
    assert child.returncode == 0, err if len(err) < 12000 else f"{err[:6000]}\n...\n{err[-6000:]}"
    return json.loads(out.strip().splitlines()[-1])


def run_child(env: dict[str, str], module: str, *args: str, pythonpath: Sequence[Path] = (),
              timeout: float = 60) -> Any:
    """Run ``python -m module args`` from the checkout with ``env``; return the JSON its
    last line prints (a failed child fails the test with its stderr)."""
    return outcome(start_child(env, module, *args, pythonpath=pythonpath), timeout)


@contextmanager
def null_sink_loop(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio whose default output is a null sink and whose default input
    is that sink's monitor: what is played to "default" is recorded from "default"."""
    with private_pulse(tmp_path, [
            "load-module module-null-sink sink_name=parley_test rate=48000 channels=1",
            "set-default-sink parley_test",
            "set-default-source parley_test.monitor"]) as env:
        yield env
