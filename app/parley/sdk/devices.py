"""The device service: which cameras, microphones and speakers a session can be given.

``SessionSettings.devices`` names devices by the ``id`` listed here. Listing asks the
operating system (v4l2, PortAudio, ...) and may take a while, so
:meth:`DeviceService.list_devices` runs it in a worker thread. The media layer's
listing never raises: a machine without a device, or without PortAudio, lists nothing
of that kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from parley.media.devices import Device, list_cameras, list_microphones, list_speakers

__all__ = ["AvailableDevices", "Device", "DeviceService"]

Lister = Callable[[], list[Device]]


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
        cameras, microphones, speakers: How to list each kind (the media layer's listing
            by default; another lister stands in for hardware a test machine lacks).
    """

    def __init__(self, cameras: Lister = list_cameras, microphones: Lister = list_microphones,
                 speakers: Lister = list_speakers) -> None:
        self._listers = (cameras, microphones, speakers)

    def available(self) -> AvailableDevices:
        """Every device now (blocks while the system answers: call it off the loop)."""
        cameras, microphones, speakers = (tuple(lister()) for lister in self._listers)
        return AvailableDevices(cameras, microphones, speakers)

    async def list_devices(self) -> AvailableDevices:
        """Every device now, listed in a worker thread so the loop never waits on it."""
        return await asyncio.to_thread(self.available)
