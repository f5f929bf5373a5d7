"""The echo rig: two calls side by side in a private PulseAudio, one with the near end's
audio processing off and one with it on, everything else alike (same speech, same
timing, same echo path), so each figure is a ratio measured in one run.

Per call (suffix ``off`` / ``on``):

    far mouth (null sink) --monitor--> far end's mic        (a speech recording plays)
    far end's speaker: far ear (null sink) --monitor--> recorder   (what the far end hears)
    near end's speaker: near speaker (null sink)
        --monitor, module-loopback (delay ~60 ms), -10 dB--> near room (null sink)
    near mouth (the near end's own speech) -------------------> near room
    near room --monitor--> near end's mic

Speech comes from espeak-ng, resampled to 48 kHz by sox. The code under test runs in a
child process (tests/media/_echo_probe.py), as PortAudio reads its devices once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from parley.media.processing import AudioProcessor, ProcessingOptions
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES
from tests.media.pulse import private_pulse, run_child

CALLS = ("off", "on")
ECHO_DB = -10.0
ECHO_DELAY_MS = 60
LAG_MOST = 2 * AUDIO_RATE
"""The longest mouth-to-ear delay the near voice is looked for at (and recorded past the
programme's end). The rig's delay was 236-1085 ms in six runs on an idle machine of
2026-12-03 (two mouths and two ears through PulseAudio's ALSA plugin, each with its own
buffer); searched up to 1 s, a run over it read the near voice's windows in the wrong
place. Under the utterance's length, so the double talk's repeat is not found instead."""
FAR_TEXT = ("The weather tomorrow will be bright and sunny in the morning, with a chance of "
            "showers later in the afternoon. Please remember to bring the quarterly reports "
            "to the meeting on Thursday, and check that the projector in room four works. ")
NEAR_TEXT = "Hello, can you hear me clearly now? I think the line is much better than before."


def require_speech_tools() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: install the Debian package {tool} "
                        "(make system-deps does)")


def speech(text: str, voice: str, path: Path) -> npt.NDArray[np.int16]:
    """``text`` spoken by espeak-ng's ``voice``, 48 kHz mono s16, written to ``path``."""
    require_speech_tools()
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True,
                   capture_output=True, timeout=60)
    raw = subprocess.run(["sox", str(wav), "-t", "raw", "-r", "48000", "-e", "signed",
                          "-b", "16", "-c", "1", "-"], check=True, capture_output=True,
                         timeout=60).stdout
    samples = np.frombuffer(raw, dtype=np.int16)
    path.write_bytes(samples.tobytes())
    return samples


def _modules() -> list[str]:
    lines = []
    for call in CALLS:
        for sink in ("far_mouth", "far_ear", "near_speaker", "near_room"):
            lines.append(f"load-module module-null-sink sink_name={sink}_{call} rate=48000 "
                         "channels=1")
        lines.append(f"load-module module-loopback source=near_speaker_{call}.monitor "
                     f"sink=near_room_{call} latency_msec={ECHO_DELAY_MS} "
                     "source_dont_move=true sink_dont_move=true")
    return lines


def _alsa() -> list[str]:
    """ALSA devices (PortAudio's names) for each end of each call."""
    lines = []
    for call in CALLS:
        playback = {f"far_mouth_{call}": f"far_mouth_{call}",
                    f"far_ear_{call}": f"far_ear_{call}",
                    f"near_speaker_{call}": f"near_speaker_{call}",
                    f"near_mouth_{call}": f"near_room_{call}"}
        capture = {f"far_mic_{call}": f"far_mouth_{call}.monitor",
                   f"far_ear_rec_{call}": f"far_ear_{call}.monitor",
                   f"near_mic_{call}": f"near_room_{call}.monitor"}
        lines += [f"pcm.{n} {{ type asym playback.pcm {{ type pulse device {d} }} }}"
                  for n, d in playback.items()]
        lines += [f"pcm.{n} {{ type asym capture.pcm {{ type pulse device {d} }} }}"
                  for n, d in capture.items()]
    return lines


def _attenuate_echo(env: dict[str, str]) -> int:
    """Turn every loopback (the echo paths) down by ECHO_DB; returns how many."""
    listed = subprocess.run(["pactl", "-f", "json", "list", "sink-inputs"], env=env,
                            capture_output=True, text=True, check=True, timeout=10)
    loops = [s["index"] for s in json.loads(listed.stdout)
             if "loopback" in str(s.get("driver", "")) + json.dumps(s.get("properties", {}))]
    for index in loops:
        subprocess.run(["pactl", "set-sink-input-volume", str(index), f"{ECHO_DB:g}dB"],
                       env=env, check=True, timeout=10)
    return len(loops)


@contextmanager
def echo_rig(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The private PulseAudio of the rig (both calls), echo paths attenuated."""
    tmp_path.mkdir(exist_ok=True)
    with private_pulse(tmp_path, _modules(), _alsa()) as env:
        loops = _attenuate_echo(env)
        assert loops == len(CALLS), f"expected {len(CALLS)} echo loopbacks, found {loops}"
        yield env


def run_rig(tmp_path: Path, far_seconds: float, near_seconds: float,
            switches: str = "ec,ns,agc") -> dict[str, Any]:
    """Run both calls: far end alone for ``far_seconds``, then the near end alone, then
    both, each ``near_seconds``; ``switches`` are what runs at the "on" call's near end.
    Returns the probe's figures per call."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    far = speech(FAR_TEXT * 3, "en-us", tmp_path / "far.s16")
    near = speech(NEAR_TEXT, "en+f3", tmp_path / "near.s16")
    assert len(far) > 48000 and len(near) > 48000
    with echo_rig(tmp_path / "pulse") as env:
        result: dict[str, Any] = run_child(
            env, "tests.media._echo_probe", str(tmp_path / "far.s16"),
            str(tmp_path / "near.s16"), str(far_seconds), str(near_seconds), switches,
            timeout=60 + 3 * (far_seconds + 2 * near_seconds))
    return result


def lag(later: npt.NDArray[Any], earlier: npt.NDArray[Any], most: int = AUDIO_RATE) -> int:
    """Samples by which ``later`` trails ``earlier`` (the cross-correlation's peak, 0..most)."""
    a, b = later.astype(np.float64), earlier.astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    return int(np.argmax(corr[:most]))


def through(processor: AudioProcessor, captured: npt.NDArray[np.int16],
            played: npt.NDArray[np.int16] | None = None) -> npt.NDArray[np.int16]:
    """``captured`` through the processor in 20 ms blocks, ``played`` (the same length)
    given as the far end's reference block by block, as the devices would."""
    out = []
    for start in range(0, len(captured) - AUDIO_SAMPLES + 1, AUDIO_SAMPLES):
        if played is not None:
            processor.played(played[start : start + AUDIO_SAMPLES].astype(np.float32) / 32768)
        block = captured[start : start + AUDIO_SAMPLES].tobytes()
        out.append(np.frombuffer(processor.captured(block), dtype=np.int16))
    return np.concatenate(out)


def processing_delay_ms(voice: npt.NDArray[np.int16], options: ProcessingOptions) -> float:
    """How much later ``voice`` comes out of the audio processing than it went in."""
    processed = through(AudioProcessor(options), voice)
    return lag(processed, voice[: len(processed)], AUDIO_RATE // 10) * 1000 / AUDIO_RATE
