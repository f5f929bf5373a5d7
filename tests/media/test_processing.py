"""Audio processing without devices: libwebrtc's APM fed 20 ms blocks the way the
microphone and the speaker feed it (tests/media/echo_rig.py's ``through``), on speech
that espeak-ng makes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from parley.media.processing import FRAME, AudioProcessor, ProcessingOptions
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES
from tests.media.echo_rig import FAR_TEXT, NEAR_TEXT, processing_delay_ms, speech, through

OFF = ProcessingOptions(False, False, False)
EC_ONLY = ProcessingOptions(True, False, False)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[npt.NDArray[np.int16], ...]:
    where: Path = tmp_path_factory.mktemp("speech")
    return speech(FAR_TEXT, "en-us", where / "far.s16"), speech(NEAR_TEXT, "en+f3",
                                                                where / "near.s16")


def rms(samples: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))


def echo_of(far: npt.NDArray[np.int16], delay_ms: int, db: float) -> npt.NDArray[np.int16]:
    shift = delay_ms * AUDIO_RATE // 1000
    echo = np.zeros_like(far)
    echo[shift:] = (far[: len(far) - shift] * 10 ** (db / 20)).astype(np.int16)
    return echo


def test_with_every_switch_off_nothing_is_loaded_and_blocks_pass_untouched() -> None:
    processor = AudioProcessor(OFF)
    block = (np.arange(AUDIO_SAMPLES) * 37 % 20000 - 10000).astype(np.int16).tobytes()
    assert not processor.active and processor.error is None
    assert processor.captured(block) is block
    processor.played(np.ones(AUDIO_SAMPLES, np.float32))
    assert (processor.frames_played, processor.frames_captured) == (0, 0)


def test_blocks_are_split_into_exact_10_ms_frames_both_ways() -> None:
    processor = AudioProcessor(EC_ONLY)
    assert processor.active, processor.error
    processor.played(np.zeros(AUDIO_SAMPLES + FRAME // 2, np.float32))  # 25 ms
    assert processor.frames_played == 2  # 5 ms wait for the next block
    processor.played(np.zeros(FRAME // 2, np.float32))
    assert processor.frames_played == 3
    out = processor.captured(np.zeros(AUDIO_SAMPLES, np.int16).tobytes())
    assert len(out) == 2 * AUDIO_SAMPLES and processor.frames_captured == 2
    odd = np.ones(AUDIO_SAMPLES - 10, np.int16).tobytes()
    assert processor.captured(odd) is odd  # not whole frames: passed through, not garbled


def test_the_stream_delay_is_portaudios_input_plus_output_latency() -> None:
    processor = AudioProcessor(EC_ONLY)
    processor.input_latency, processor.output_latency = 0.0213, 0.0401
    assert processor.delay_ms == 61


def test_the_stream_delay_follows_the_latency_the_callbacks_see() -> None:
    processor = AudioProcessor(OFF)  # the bookkeeping needs no native library
    processor.input_latency, processor.output_latency = 0.020, 0.020
    for _ in range(200):  # a device whose output latency stepped up to 60 ms
        processor.output_latency_seen(0.060)
        processor.input_latency_seen(0.020)
    assert processor.delay_ms == 80
    for nonsense in (0.0, -0.01, 3.0):  # what a device without time stamps reports
        processor.output_latency_seen(nonsense)
        processor.input_latency_seen(nonsense)
    assert processor.delay_ms == 80
    processor.output_latency_seen(0.040)  # one reading moves it a little, not all the way
    assert 78 <= processor.delay_ms < 80


def test_the_echo_of_what_was_played_is_removed_and_the_near_voice_kept(
        voices: tuple[npt.NDArray[np.int16], ...]) -> None:
    far, near = voices
    n = len(far) // AUDIO_SAMPLES * AUDIO_SAMPLES
    far = far[:n]
    echo = echo_of(far, 60, -10.0)
    talk = np.zeros(n, np.int16)
    talk[n - len(near[: n // 3]):] = near[: n // 3]  # the near end talks over the last third
    mic = np.clip(echo.astype(np.int32) + talk, -32768, 32767).astype(np.int16)
    half = slice(n // 3, 2 * (n // 3))  # far end alone, after the canceller converged
    last = slice(n - len(near[: n // 3]), n)

    untouched = through(AudioProcessor(OFF), mic, far)
    cancelled = through(AudioProcessor(EC_ONLY), mic, far)
    erle = 20 * np.log10(rms(untouched[half]) / max(rms(cancelled[half]), 1e-3))
    assert rms(untouched[half]) > 500  # there is an echo to cancel
    assert erle >= 25, f"ERLE {erle:.1f} dB"
    # during double talk the near voice comes through at nearly its own level
    kept = 20 * np.log10(rms(cancelled[last]) / rms(talk[last]))
    assert kept > -6, f"near voice during double talk: {kept:.1f} dB"


def test_processing_adds_no_buffering_only_libwebrtcs_own_filter_delay(
        voices: tuple[npt.NDArray[np.int16], ...]) -> None:
    _far, near = voices
    assert processing_delay_ms(near, OFF) == 0
    # AEC3 and the noise suppressor delay by about 4 and 6 ms; a buffered 10 ms frame
    # in Parley's code would show as 10 ms more
    assert processing_delay_ms(near, ProcessingOptions()) < 15
