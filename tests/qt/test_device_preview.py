"""The join screen's device check against the real media layer (synthetic sources)."""

import asyncio

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from parley.qt.device_preview import PREVIEW_WIDTH, DevicePreview, level_of
from parley.qt.options import JoinOptions
from tests.qt.support import run


def test_level_scale() -> None:
    assert level_of(np.zeros(960, dtype=np.int16)) == 0.0
    assert level_of(np.full(960, 32767, dtype=np.int16)) == pytest.approx(1.0, abs=1e-4)
    quiet = level_of((np.sin(np.arange(960) / 5) * 33).astype(np.int16))  # about -60 dBFS
    loud = level_of((np.sin(np.arange(960) / 5) * 16000).astype(np.int16))
    assert 0.0 <= quiet < 0.1 < 0.8 < loud <= 1.0
    assert level_of(np.array([], dtype=np.int16)) == 0.0


def test_preview_shows_the_camera_and_the_mic_level(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    preview = DevicePreview(fake_media=True)
    with qtbot.waitSignal(preview.frameReady, timeout=10000) as frame:
        preview.start(JoinOptions("Ada"))
    assert frame.args[0].width() == PREVIEW_WIDTH and frame.args[0].height() == 240
    with qtbot.waitSignal(preview.levelChanged, timeout=5000,
                          check_params_cb=lambda level: level > 0.5):
        pass  # the synthetic tone is loud
    assert preview.running
    with qtbot.waitSignal(preview.runningChanged, timeout=5000) as stopped:
        run(qtbot, preview.stop())
    assert stopped.args == [False] and not preview.running


def test_camera_off_sends_no_pictures(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    preview = DevicePreview(fake_media=True)
    with qtbot.assertNotEmitted(preview.frameReady, wait=500):
        with qtbot.waitSignal(preview.runningChanged, timeout=10000):
            preview.start(JoinOptions("Ada", start_video_paused=True, start_audio_muted=True))
    run(qtbot, preview.stop())


def _pumps(name: str) -> list[asyncio.Task[object]]:
    """Live media pumps of that name (a SwitchableTrack's task is named after it)."""
    return [t for t in asyncio.all_tasks() if t.get_name() == name and not t.done()]


def test_restarting_closes_the_previous_devices(
        qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    preview = DevicePreview(fake_media=True)
    run(qtbot, preview.start(JoinOptions("Ada")))
    assert len(_pumps("parley-camera")) == 1
    states: list[bool] = []
    preview.runningChanged.connect(states.append)
    run(qtbot, preview.start(JoinOptions("Ada", start_audio_muted=True)))
    assert states == [False, True]  # the first devices closed before the second opened
    assert len(_pumps("parley-camera")) == 1  # the old camera pump is gone
    run(qtbot, preview.stop())
    assert _pumps("parley-camera") == [] and not preview.running
