"""The mixer: format conversion, and what it plays into a real PulseAudio sink (one
and two participants, clipping, a calm participant's start after one block, and the
200 ms bound per participant, less a stale backlog at the start)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from parley.media.playback import MAX_BUFFERED, to_mono
from parley.media.synthetic import AUDIO_SAMPLES
from tests.media.pulse import null_sink_loop, run_child


def test_to_mono_handles_packed_stereo_and_planar_float() -> None:
    stereo = av.AudioFrame.from_ndarray(
        np.array([[16384, 0] * 960], dtype=np.int16), format="s16", layout="stereo")
    assert np.allclose(to_mono(stereo), 0.25)
    planar = av.AudioFrame.from_ndarray(
        np.stack([np.full(960, 0.5, np.float32), np.full(960, -0.5, np.float32)]),
        format="fltp", layout="stereo")
    assert np.allclose(to_mono(planar), 0.0)


def test_to_mono_of_what_opus_decodes_is_the_exact_mean_of_both_channels() -> None:
    """Decoded Opus (s16, interleaved stereo) takes a fast path: the same float32 values
    as the mean of the two channels, whatever the samples, and nothing of the padding."""
    rng = np.random.default_rng(7)
    samples = rng.integers(-32768, 32768, size=(960, 2), dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
    expected = (samples[:, 0].astype(np.float32) + samples[:, 1]) * np.float32(0.5 / 32768)
    mono = to_mono(frame)
    assert mono.dtype == np.float32 and mono.shape == (960,)
    assert np.array_equal(mono, expected)
    planar = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="s16p",
                                        layout="stereo")
    assert np.array_equal(to_mono(planar), expected)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """What Playback played into a real (null) PulseAudio sink, recorded from its monitor
    (tests/media/_playback_probe.py; one run for the tests below)."""
    with null_sink_loop(tmp_path_factory.mktemp("pulse")) as env:
        result: dict[str, float] = run_child(env, "tests.media._playback_probe")
    print(f"\nplayed: {result}")
    return result


def test_one_participant_is_played_as_it_came(played: dict[str, float]) -> None:
    assert played["alone"] == pytest.approx(24000, abs=2)


def test_the_output_mixes_every_participant_and_clips(played: dict[str, float]) -> None:
    assert played["mixed"] == 32767  # 2 x 0.73 of full scale, clipped


def test_a_calm_participant_starts_once_one_block_is_queued(played: dict[str, float]) -> None:
    # no jitter measured yet: a lone frame is played, not held for a second one (the
    # recording through 10 ms device blocks may lose a few samples on a loaded machine)
    assert 0 < played["heard_after_one"] <= AUDIO_SAMPLES
    assert 0 < played["heard_after_two"] <= AUDIO_SAMPLES


def test_a_burst_is_cut_to_its_newest_part(played: dict[str, float]) -> None:
    # of one second pushed at once: at most the newest 200 ms is kept, and a queue that
    # starts with a backlog plays only the prime and one frame of it (the rest is stale).
    # The device's thread may play a 10 ms block or two while the burst is still being
    # pushed (CI heard 10560 samples, 200 ms and 20 ms, on a loaded machine): no more.
    assert AUDIO_SAMPLES < played["heard_after_burst"] <= MAX_BUFFERED + AUDIO_SAMPLES
