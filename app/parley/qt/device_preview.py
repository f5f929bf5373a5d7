"""The join screen's device check: live camera preview and microphone level.

It opens the chosen camera and microphone through the media layer's
``LocalMedia`` (no call, no network) and re-emits what they deliver as Qt
signals: a small preview image at most ``PREVIEW_FPS`` times a second and a
0..1 microphone level. It must be stopped before joining, so the call can open
the same devices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from parley.media.config import MediaConfig
from parley.media.local import LocalMedia
from parley.qt.frames import rgb_to_qimage
from parley.qt.options import JoinOptions
from parley.qt.problems import Problem, ProblemKind
from parley.qt.slots import async_slot

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 320
PREVIEW_FPS = 15
LEVEL_HZ = 20
_FULL_SCALE = 32768.0


def level_of(samples: Any) -> float:
    """0..1 loudness of int16 samples on a -60..0 dBFS scale (what a meter shows)."""
    data = np.asarray(samples, dtype=np.float64)
    if data.size == 0:
        return 0.0
    rms = math.sqrt(float(np.mean(np.square(data)))) / _FULL_SCALE
    if rms <= 1e-6:
        return 0.0
    return min(1.0, max(0.0, (20 * math.log10(rms) + 60) / 60))


class DevicePreview(QObject):
    """Camera preview and microphone level for the join screen."""

    frameReady = Signal(QImage)
    levelChanged = Signal(float)
    deviceError = Signal(object)  # Problem
    runningChanged = Signal(bool)
    missingChanged = Signal(object)  # frozenset of the kinds ("camera", "microphone") absent

    def __init__(self, *, fake_media: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fake_media = fake_media
        self._media: LocalMedia | None = None
        self._meter: asyncio.Task[None] | None = None
        self._last_frame = 0.0
        self._video = False
        self._generation = 0  # a start superseded by another start or a stop gives up

    @property
    def running(self) -> bool:
        return self._media is not None

    @async_slot(object)
    async def start(self, options: object) -> None:
        """(Re)open the devices named in ``options`` (a JoinOptions)."""
        await self._stop()
        self._generation += 1
        generation = self._generation
        camera = microphone = None
        video = audio = True
        if isinstance(options, JoinOptions):
            camera, microphone = options.camera or None, options.microphone or None
            video, audio = not options.start_video_paused, not options.start_audio_muted
        config = MediaConfig(fake_media=self.fake_media, camera=camera, microphone=microphone,
                             video=video, audio=audio, fps=PREVIEW_FPS)
        media = LocalMedia("preview", config, self._on_device_error, self._on_camera_frame)
        self._media = media
        self._video = video
        try:
            await media.start()
        except Exception as exc:  # a UI boundary: a broken device is a message
            log.exception("preview failed to start")
            self.deviceError.emit(Problem(ProblemKind.DEVICES_UNOPENED, str(exc)))
        if generation != self._generation:  # stopped or restarted meanwhile
            return
        self.missingChanged.emit(media.missing)
        if audio:
            self._meter = asyncio.ensure_future(self._measure(media))
        self.runningChanged.emit(True)

    @async_slot()
    async def stop(self) -> None:
        """Close the devices (idempotent)."""
        self._generation += 1
        await self._stop()

    async def _stop(self) -> None:
        media, self._media = self._media, None
        meter, self._meter = self._meter, None
        if meter is not None:
            meter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await meter
        if media is not None:
            await media.close()
            self.levelChanged.emit(0.0)
            self.runningChanged.emit(False)

    async def _measure(self, media: LocalMedia) -> None:
        track = media.audio.subscribe()
        last = 0.0
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if now - last >= 1 / LEVEL_HZ:
                    last = now
                    self.levelChanged.emit(level_of(frame.to_ndarray()))
        except Exception:  # the track ended (device gone, or stopped)
            log.debug("preview meter stopped", exc_info=True)
        finally:
            track.stop()

    def _on_camera_frame(self, frame: Any) -> None:
        now = time.monotonic()
        media = self._media
        if not self._video or media is None or now - self._last_frame < 1 / PREVIEW_FPS:
            return
        if "camera" in media.missing:  # the black filler of a camera that is not there
            return
        self._last_frame = now
        height = max(2, round(PREVIEW_WIDTH * frame.height / max(1, frame.width) / 2) * 2)
        small = frame.reformat(width=PREVIEW_WIDTH, height=height, format="rgb24")
        self.frameReady.emit(rgb_to_qimage(small.to_ndarray()))

    def _on_device_error(self, kind: str, message: str) -> None:
        # missing first: the problem's sentence then knows a camera that is not there
        media = self._media
        if media is not None:
            self.missingChanged.emit(media.missing)
        self.deviceError.emit(Problem(ProblemKind.DEVICE_FAILED, message, device=kind))
