"""DeviceFeed: the cameras, microphones and speakers for the pickers, as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from parley.qt.slots import async_slot
from parley.sdk.devices import DeviceService


class DeviceFeed(QObject):
    """Lists devices through the SDK's DeviceService (off the UI thread; it never raises)."""

    devicesChanged = Signal(object)  # AvailableDevices

    def __init__(self, service: DeviceService | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service if service is not None else DeviceService()
        self._disposed = False

    @async_slot()
    async def refresh(self) -> None:
        """List the devices now; answers devicesChanged (unless disposed meanwhile)."""
        devices = await self._service.list_devices()
        if not self._disposed:
            self.devicesChanged.emit(devices)

    def dispose(self) -> None:
        self._disposed = True
