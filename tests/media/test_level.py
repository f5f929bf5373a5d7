"""The microphone frame's level that DTX decides on (parley.media.level): numpy's, the
same integer as aiortc's RFC 6465 loop on every kind of frame the encoder sees."""

from __future__ import annotations

import av
import numpy as np
import pytest
from aiortc.rtp import compute_audio_level_dbov

from parley.media.level import audio_level_dbov
from parley.media.synthetic import audio_frame, sender_frame


def _frame(samples: np.ndarray, layout: str) -> av.AudioFrame:
    channels = 2 if layout == "stereo" else 1
    frame = av.AudioFrame(format="s16", layout=layout, samples=len(samples) // channels)
    frame.planes[0].update(samples.astype(np.int16).tobytes())
    frame.sample_rate = 48_000
    return frame


@pytest.mark.parametrize("layout", ["mono", "stereo"])
@pytest.mark.parametrize("scale", [0, 1, 3, 30, 300, 3000, 30000])
def test_level_is_aiortcs_from_silence_to_full_scale(layout: str, scale: int) -> None:
    rng = np.random.default_rng(scale)
    channels = 2 if layout == "stereo" else 1
    samples = np.clip(rng.normal(0, scale, 960 * channels), -32768, 32767)
    frame = _frame(samples, layout)
    assert audio_level_dbov(frame) == compute_audio_level_dbov(frame)


def test_level_of_the_extremes_is_aiortcs() -> None:
    for value in (-32768, 32767, 1, -1):
        frame = _frame(np.full(1920, value), "stereo")
        assert audio_level_dbov(frame) == compute_audio_level_dbov(frame)
    assert audio_level_dbov(_frame(np.zeros(960), "mono")) == -127


def test_level_of_what_the_senders_take_is_aiortcs() -> None:
    """The synthetic tone as the senders take it (s16 stereo): a loud frame is loud and a
    quiet one is silence for DTX, as with upstream's function."""
    tone = (np.sin(np.arange(960) / 5) * 8000).astype(np.int16)
    for samples in (tone, tone // 1000, np.zeros(960, dtype=np.int16)):
        frame = sender_frame(audio_frame(samples, 0))
        assert audio_level_dbov(frame) == compute_audio_level_dbov(frame)
    assert audio_level_dbov(sender_frame(audio_frame(tone, 0))) > -20
