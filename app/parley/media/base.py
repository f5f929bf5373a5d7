"""What every path of the call's media shares: :class:`MediaSources` (the local sources
and the one :class:`~parley.media.speaker.Speaker`) and :class:`CallMediaBase`, the
lifecycle of the mesh (:class:`~parley.media.mesh.MediaMesh`) and of the SFU path
(:class:`~parley.media.sfu.SfuMedia`): start, close, owned tasks, device switching and
the tick that keeps the speaker and reports audio levels.

A path either owns its sources (made by itself, closed with it) or is lent the sources
of the call (a live switch between mesh and SFU keeps the same camera, microphone and
speaker: the owner of the sources closes them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import av

from parley.media.config import MediaConfig
from parley.media.devices import load_audio_backend
from parley.media.events import MeshEvents
from parley.media.frames import VideoFrame
from parley.media.local import LocalMedia
from parley.media.playback import Playback
from parley.media.speaker import Speaker
from parley.media.tasks import OwnedTasks

TICK = 0.1
"""Seconds between ticks (liveness checks, audio levels, the speaker's upkeep)."""


class MediaSources:
    """The call's own sources and its speaker, opened once whichever path carries them.

    Args:
        local_id: this participant's id (the synthetic pattern's hue).
        config: what to capture and play.
        on_device_error: a device failed or is missing: (kind, message).
        on_camera_frame: a local camera frame, for the self view.
    """

    def __init__(self, local_id: str, config: MediaConfig,
                 on_device_error: Callable[[str, str], None],
                 on_camera_frame: Callable[[av.VideoFrame], None] | None = None) -> None:
        self.local = LocalMedia(local_id, config, on_device_error, on_camera_frame)
        self.speaker = Speaker(config, on_device_error)
        self._opening: asyncio.Task[None] | None = None
        self._closed = False

    async def open(self) -> None:
        """Open the microphone, the camera and the speaker; once (later calls wait for
        the first)."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self._opening)

    async def _open(self) -> None:
        config = self.local.config
        microphone = config.audio and not config.fake_media
        speaker = config.speaker != "null" and not (config.fake_media and config.speaker is None)
        if not config.echo and (microphone or speaker):
            await load_audio_backend()  # before the first device opens, not on the loop
        await self.local.start()
        if not self._closed:
            self.speaker.open(self.local.processor)

    async def close(self) -> None:
        """Stop every source and the speaker. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self.local.close()
        self.speaker.close()

    async def use_device(self, kind: str, device: str | None) -> None:
        """Switch the camera, microphone or speaker (no renegotiation: the track's source
        or the mixer's output changes); one that cannot be opened is a device error and
        the current one stays."""
        if kind == "microphone":
            await self.local.use_microphone(device)
        elif kind == "camera":
            await self.local.use_camera(device)
        elif kind == "speaker":
            self.speaker.choose(device)
        else:
            raise ValueError(f"no such device kind: {kind!r}")


class CallMediaBase:
    """The lifecycle the mesh and the SFU path share. A subclass adds its connections
    through three hooks: :meth:`_started`, :meth:`_close_connections`, :meth:`_each_tick`,
    and says whose audio levels it reports (:meth:`_hears`).

    Args:
        local_id: this participant's id.
        config: what to capture and how (its ICE servers too).
        events: the callbacks.
        sources: the call's sources, lent (closed by their owner); None: its own.
    """

    TICK_NAME = "media-tick"

    def __init__(self, local_id: str, config: MediaConfig, events: MeshEvents,
                 sources: MediaSources | None = None) -> None:
        self.local_id = local_id
        self.config = config
        self.events = events
        self._tasks = OwnedTasks()
        self._owns_sources = sources is None
        self.sources = sources if sources is not None else MediaSources(
            local_id, config, self._device_error, self._local_frame)
        self._local = self.sources.local
        self._ticker: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False
        self.delivers: Callable[[str, str], bool] = lambda pid, kind: True
        """Whether this path plays ``pid``'s media of ``kind`` (``audio`` into the mixer,
        ``video`` frames, ``level``): during a live move only one path does per
        participant."""
        self.reports_levels: Callable[[], bool] = lambda: True
        """Whether this path reads the mixer's levels and reports them (with lent sources,
        only one path may: reading them resets them)."""

    @property
    def playback(self) -> Playback:
        """The mixer (a null sink until the speaker opens)."""
        return self.sources.speaker.playback

    async def start(self) -> None:
        """Open the local sources and the speaker (a missing device is reported through
        on_device_error and the call goes on without it), then the connections."""
        if self._started or self._closed:
            return
        self._started = True
        await self.sources.open()
        if self._closed:
            return
        self._ticker = asyncio.get_running_loop().create_task(self._tick(),
                                                              name=self.TICK_NAME)
        self._started_hook()

    async def close(self) -> None:
        """Close every connection, stop every track (if its own) and task. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
        await self._close_connections()
        if self._owns_sources:
            await self.sources.close()
        await self._tasks.drain()
        if self._ticker is not None:
            await asyncio.gather(self._ticker, return_exceptions=True)

    @property
    def closed(self) -> bool:
        return self._closed

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run a coroutine as a task this media owns (drained on close)."""
        return self._tasks.spawn(coro, name)

    async def use_device(self, kind: str, device: str | None) -> None:
        """Switch the camera, microphone or speaker mid-call, without renegotiation."""
        await self.sources.use_device(kind, device)
        if kind == "speaker":
            self.config = replace(self.config, speaker=device)

    def set_audio_muted(self, muted: bool) -> None:
        """Muted audio sends silence (packets keep flowing)."""
        self._local.set_audio_muted(muted)

    def set_video_paused(self, paused: bool) -> None:
        """Paused video sends small black frames at a low rate."""
        self._local.set_video_paused(paused)

    @property
    def missing_devices(self) -> frozenset[str]:
        """The camera / microphone the call wants and has none of now."""
        return frozenset(self._local.missing)

    def retire(self) -> None:
        """This path is being replaced: it plays nobody from now on, but what it sends
        may still be played by the others for a moment (close() ends it)."""

    # ------------------------------------------------------------ hooks

    def _started_hook(self) -> None:
        """The sources are open: start the connections."""

    async def _close_connections(self) -> None:
        """Close the connections (before the sources, if owned, and the tasks)."""

    def _each_tick(self, count: int, now: float) -> None:
        """Liveness checks and the like, every :data:`TICK`."""

    def _hears(self, pid: str) -> bool:
        """Whether ``pid``'s audio levels are reported (a participant still here)."""
        return True

    # ------------------------------------------------------------ shared internals

    def _local_frame(self, frame: av.VideoFrame) -> None:
        if self.events.on_local_frame is not None:
            self.events.emit("on_local_frame",
                             VideoFrame.of(self.local_id, "camera", frame, time.time()))

    def _device_error(self, kind: str, message: str) -> None:
        self.events.emit("on_device_error", kind, message)

    async def _tick(self) -> None:
        count = 0
        while True:
            await asyncio.sleep(TICK)
            count += 1
            self._each_tick(count, time.monotonic())
            self.sources.speaker.upkeep(self.spawn)
            if self.events.on_audio_level is not None and self.reports_levels():
                for pid, level in self.playback.take_levels().items():
                    # lent sources: the owner says whose levels are reported (the mixer
                    # is shared; one path reports for everyone)
                    if self.delivers(pid, "level") if not self._owns_sources \
                            else self._hears(pid):
                        self.events.emit("on_audio_level", pid, level)
