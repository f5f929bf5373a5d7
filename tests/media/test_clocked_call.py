"""The product's audio path end to end at the block level, through the audio-backend seam
(media/devices.use_audio_backend) on clocked streams (tests/media/clocked_audio.py): what
Ada's microphone callback hands over is what Bob's speaker callback plays, and Bob's
playout queue reports its depth and target (the bench, bench/mouth_to_ear.py, times the
same path; this test asserts only that it carries the voice)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from parley.media.devices import use_audio_backend
from parley.media.playout import MAX_MARGIN
from parley.media.synthetic import AUDIO_RATE
from tests.media.clocked_audio import ClockedAudio
from tests.media.conftest import Router

BURST_AT = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)


def voice() -> np.ndarray:
    signal = np.zeros(9 * AUDIO_RATE, np.int16)
    tone = (0.5 * 32767 * np.sin(np.arange(AUDIO_RATE // 10) * 2 * np.pi * 800 / AUDIO_RATE))
    for at in BURST_AT:
        start = int(at * AUDIO_RATE)
        signal[start : start + len(tone)] = tone.astype(np.int16)
    return signal


@pytest.fixture
def audio() -> Iterator[ClockedAudio]:
    backend = ClockedAudio(voice())
    use_audio_backend(backend)
    try:
        yield backend
    finally:
        use_audio_backend(None)


def loud_blocks(audio: ClockedAudio) -> int:
    return sum(1 for block in audio.outputs[1].blocks if np.abs(block).max() > 0.2)


async def test_what_one_microphone_says_the_other_speaker_plays(
        router: Router, audio: ClockedAudio) -> None:
    options = dict(fake_media=False, video=False, echo_cancellation=False,
                   noise_suppression=False, auto_gain_control=False)
    ada, _ada_sees = await router.add("ada", **options)
    bob, bob_sees = await router.add("bob", **options)
    router.connect_all()
    assert [s.kind for s in audio.inputs] == ["input", "input"]  # both opened through the seam
    # three bursts of 100 ms (ten 10 ms blocks each) reach Bob's speaker
    await bob_sees.until(lambda: loud_blocks(audio) >= 30, timeout=20, what="Ada's bursts")
    _queued, target = bob.playback.playout()["ada"]
    assert 0 < target <= (480 + MAX_MARGIN) / AUDIO_RATE
    assert loud_blocks(audio) <= 10 * len(BURST_AT)  # nothing was played twice
    assert "ada" not in ada.playback.playout()  # nobody hears themselves
