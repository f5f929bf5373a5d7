"""During a call, the test sound and the notices are mixed into the call's own output
(the echo canceller's far-end reference), not played on a second stream; without a call
they open a stream of their own. The speakers are clocked stand-ins
(tests/media/clocked_audio.py) behind the product's audio-backend seam."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from parley.media.devices import use_audio_backend
from parley.media.playback import Playback, call_output
from parley.qt.sounds import SoundPlayer
from tests.media.clocked_audio import ClockedAudio


@pytest.fixture
def audio() -> Iterator[ClockedAudio]:
    backend = ClockedAudio(np.zeros(0, np.int16))
    use_audio_backend(backend)
    try:
        yield backend
    finally:
        use_audio_backend(None)


def loud_blocks(audio: ClockedAudio, index: int) -> int:
    return sum(1 for block in audio.outputs[index].blocks if np.abs(block).max() > 0.2)


def test_a_sound_during_a_call_goes_into_the_call_s_mix(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop, audio: ClockedAudio) -> None:
    call = Playback(None, call=True)
    try:
        assert call_output() is call
        sounds = SoundPlayer()
        with qtbot.waitSignal(sounds.played, timeout=10000):
            sounds.play("joined")
        assert len(audio.outputs) == 1  # no second stream was opened
        assert loud_blocks(audio, 0) >= 10  # the 0.3 s of notes went out through the call's
        assert "\x00sound" not in call.frames  # and the sound's queue is gone after it
    finally:
        call.close()
    assert call_output() is None


def test_a_sound_for_another_speaker_or_without_a_call_has_its_own_stream(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop, audio: ClockedAudio) -> None:
    sounds = SoundPlayer()
    with qtbot.waitSignal(sounds.played, timeout=10000):
        sounds.play("hand")
    assert len(audio.outputs) == 1 and loud_blocks(audio, 0) >= 5
    call = Playback(None, call=True)
    try:
        sounds.speaker = "ALSA:another speaker"  # the settings' test of another device
        with qtbot.waitSignal(sounds.played, timeout=10000):
            sounds.play("hand")
        assert len(audio.outputs) == 3 and loud_blocks(audio, 2) >= 5
        assert loud_blocks(audio, 1) == 0
    finally:
        call.close()
