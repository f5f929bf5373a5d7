"""Run in a child process by test_test_sound (PulseAudio's null sink is the default output,
its monitor the default input): the settings dialog's "Play test sound" button, clicked,
and what the monitor recorded meanwhile. Prints JSON: the loudest recorded level and
whether the player said "played"."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from parley.media.microphone import MicrophoneTrack
from parley.qt.settings import AppPreferences
from parley.qt.sounds import SoundPlayer
from parley.ui.settings_dialog import SettingsDialog


async def probe() -> dict[str, object]:
    sounds = SoundPlayer()
    dialog = SettingsDialog(AppPreferences(), None, ("", "", ""))
    done: list[str] = []
    sounds.played.connect(done.append)
    sounds.failed.connect(lambda s, why: done.append(f"failed: {why}"))
    dialog.testSoundRequested.connect(lambda speaker: sounds.play("test"))
    dialog.show()
    monitor = MicrophoneTrack("default")
    peak = 0
    try:
        for _ in range(10):  # the streams settle
            await asyncio.wait_for(monitor.recv(), 5)
        QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        for _ in range(100):  # 2 s of the monitor: the sound is 1.2 s
            frame = await asyncio.wait_for(monitor.recv(), 5)
            peak = max(peak, int(np.abs(frame.to_ndarray().astype(np.int32)).max()))
            if done:
                break
    finally:
        monitor.stop()
    return {"peak": peak, "outcome": done[0] if done else ""}


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication(sys.argv[:1])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(probe())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
