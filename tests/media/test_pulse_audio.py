"""Real audio devices: a private PulseAudio with a null sink; what Playback plays into
the sink comes back through the sink's monitor into MicrophoneTrack, via sounddevice,
PortAudio and ALSA's pulse plugin.

Needs the Debian packages pulseaudio, libportaudio2 and libasound2-plugins (`make test`
installs them). Their absence is a failure with a message, not a skip: CI runs this.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PLUGIN_DIRS = ("/usr/lib/x86_64-linux-gnu/alsa-lib", "/usr/lib/aarch64-linux-gnu/alsa-lib",
               "/usr/lib/alsa-lib", "/usr/lib64/alsa-lib")
INSTALL = "install the Debian packages pulseaudio libportaudio2 libasound2-plugins " \
          "(make system-deps does)"


def _require_audio_stack() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the PulseAudio null-sink test is Linux-only")
    if shutil.which("pulseaudio") is None:
        pytest.fail(f"pulseaudio is not installed: {INSTALL}")
    if not any(Path(d, "libasound_module_pcm_pulse.so").exists() for d in PLUGIN_DIRS):
        pytest.fail(f"ALSA's pulse plugin is not installed: {INSTALL}")


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private PulseAudio (own runtime dir, null sink as default sink, its monitor as
    default source) and the environment that points ALSA and libpulse at it."""
    _require_audio_stack()
    socket = tmp_path / "native"
    script = tmp_path / "default.pa"
    script.write_text(
        f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
        "load-module module-null-sink sink_name=parley_test rate=48000 channels=1\n"
        "set-default-sink parley_test\n"
        "set-default-source parley_test.monitor\n")
    alsa = tmp_path / "asound.conf"
    alsa.write_text("pcm.!default { type pulse }\nctl.!default { type pulse }\n")
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
        yield {**env, "ALSA_CONFIG_PATH": str(alsa), "PULSE_SERVER": f"unix:{socket}"}
    finally:
        os.kill(pid, signal.SIGTERM)


def test_a_tone_played_into_the_null_sink_comes_back_from_its_monitor(
        pulse: dict[str, str]) -> None:
    repo = Path(__file__).resolve().parents[2]
    child_env = {**pulse, "PYTHONPATH": str(repo)}
    result = subprocess.run(
        [sys.executable, "-m", "tests.media._pulse_probe", "880"], cwd=repo, env=child_env,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\npulse loop: {measured}")
    assert abs(measured["hz"] - 880) < 10, measured
    assert measured["rms"] > 0.05, measured
