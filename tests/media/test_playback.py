"""The mixer's pieces: format conversion, per-participant buffers, the output callback."""

from __future__ import annotations

import av
import numpy as np

from parley.media.playback import MAX_BUFFERED, Playback, _Buffer, to_mono
from parley.media.synthetic import audio_frame


def test_to_mono_handles_packed_stereo_and_planar_float() -> None:
    stereo = av.AudioFrame.from_ndarray(
        np.array([[16384, 0] * 960], dtype=np.int16), format="s16", layout="stereo")
    assert np.allclose(to_mono(stereo), 0.25)
    planar = av.AudioFrame.from_ndarray(
        np.stack([np.full(960, 0.5, np.float32), np.full(960, -0.5, np.float32)]),
        format="fltp", layout="stereo")
    assert np.allclose(to_mono(planar), 0.0)


def test_a_buffer_primes_with_40_ms_and_bounds_its_latency() -> None:
    buffer = _Buffer()
    out = np.zeros(960, np.float32)
    buffer.add(np.ones(960, np.float32))
    buffer.take_into(out)
    assert not out.any()  # 20 ms queued: still priming
    buffer.add(np.ones(960, np.float32))
    buffer.take_into(out)
    assert np.all(out == 1.0)
    for _ in range(50):
        buffer.add(np.ones(960, np.float32))
    assert buffer.size - buffer.offset <= MAX_BUFFERED


def test_the_output_callback_mixes_every_participant_and_clips() -> None:
    playback = Playback(null=True)
    playback._stream = object()  # pretend a device is open: push() buffers for the callback
    loud = audio_frame(np.full(960, 24000, np.int16), 0)
    for pid in ("a", "b"):
        for _ in range(2):
            playback.push(pid, loud)
    out = np.zeros((960, 1), np.float32)
    playback._callback(out, 960, None, None)
    assert np.all(out == 1.0)  # 2 x 0.73, clipped
    assert playback.frames == {"a": 2, "b": 2}
    assert set(playback.take_levels()) == {"a", "b"} and playback.take_levels() == {}
    playback._stream = None
