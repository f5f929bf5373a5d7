"""The device service: which cameras, microphones and speakers a session can be given.

``SessionSettings.devices`` names devices by the ``id`` listed here. Listing asks the
operating system (v4l2, PortAudio, ...) and may take a while, so
:meth:`DeviceService.list_devices` runs it in a worker thread. The media layer's
listing never raises: a machine without a device, or without PortAudio, lists nothing
of that kind. :class:`DeviceWatcher` re-lists at a modest rate, so that a device
plugged in shows up without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from parley.media.devices import Device, list_audio_now, list_cameras

__all__ = ["AvailableDevices", "Device", "DeviceService", "DeviceWatcher"]

log = logging.getLogger(__name__)

Lister = Callable[[], list[Device]]

WATCH_INTERVAL = 3.0
"""Seconds between two listings of a DeviceWatcher (each costs a child process: ~60 ms
of CPU)."""


@dataclass(frozen=True)
class AvailableDevices:
    """The devices of this machine, by kind, each in the order the system gives."""

    cameras: tuple[Device, ...] = ()
    """Video capture devices."""
    microphones: tuple[Device, ...] = ()
    """Audio inputs."""
    speakers: tuple[Device, ...] = ()
    """Audio outputs."""


class DeviceService:
    """Lists this machine's devices.

    Args:
        cameras, microphones, speakers: How to list each kind (by default the media
            layer's listing, audio as it is now: :func:`~parley.media.devices.list_audio_now`;
            another lister stands in for hardware a test machine lacks).
    """

    def __init__(self, cameras: Lister = list_cameras, microphones: Lister | None = None,
                 speakers: Lister | None = None) -> None:
        self._cameras = cameras
        self._audio = (microphones, speakers)

    @classmethod
    def synthetic(cls) -> DeviceService:
        """The devices of synthetic media (``fake_media``, the app's ``--fake-media``): a
        test pattern and a tone, each the system default (id ""), which are not "no
        camera" / "no microphone"; speakers are the real ones."""
        return cls(cameras=lambda: [Device("camera", "", "Test pattern", default=True)],
                   microphones=lambda: [Device("microphone", "", "Test tone", default=True)])

    def available(self) -> AvailableDevices:
        """Every device now (blocks while the system answers: call it off the loop)."""
        microphones, speakers = self._audio
        if microphones is None or speakers is None:
            fresh = list_audio_now()
            mics = microphones() if microphones is not None else fresh[0]
            outs = speakers() if speakers is not None else fresh[1]
        else:
            mics, outs = microphones(), speakers()
        return AvailableDevices(tuple(self._cameras()), tuple(mics), tuple(outs))

    async def list_devices(self) -> AvailableDevices:
        """Every device now, listed in a worker thread so the loop never waits on it."""
        return await asyncio.to_thread(self.available)


class DeviceWatcher:
    """Re-lists the devices every ``interval`` seconds, off the loop, and calls
    ``on_change`` with the list when it differs from the last one (the first listing
    always counts as a change).

    Args:
        service: What lists the devices.
        on_change: Called on the loop with the new AvailableDevices.
        interval: Seconds between listings.
    """

    def __init__(self, service: DeviceService, on_change: Callable[[AvailableDevices], None],
                 interval: float = WATCH_INTERVAL) -> None:
        self._service = service
        self._on_change = on_change
        self.interval = interval
        self._last: AvailableDevices | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, known: AvailableDevices | None = None) -> None:
        """Start watching (idempotent); ``known``, a list just taken, is no change."""
        if known is not None and self._last is None:
            self._last = known
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(),
                                                                name="device-watcher")

    def cancel(self) -> None:
        """Stop watching at once, without waiting for a listing under way."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        """Stop watching and wait for a listing under way (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while True:
            if self._last is not None:
                await asyncio.sleep(self.interval)
            devices = await self._service.list_devices()
            if devices != self._last:
                self._last = devices
                try:
                    self._on_change(devices)
                except Exception:  # a callback's error is logged, never raised
                    log.exception("device watcher callback failed")
