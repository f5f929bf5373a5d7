"""DeviceFeed: the cameras, microphones and speakers for the pickers, as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from parley.qt.slots import async_slot
from parley.sdk.devices import WATCH_INTERVAL, AvailableDevices, DeviceService, DeviceWatcher


class DeviceFeed(QObject):
    """Lists devices through the SDK's DeviceService (off the UI thread; it never raises).
    After the first ``refresh`` it keeps re-listing every ``interval`` seconds, so that a
    device plugged in or out shows up in the pickers without a restart; devicesChanged
    then fires only when the list changed."""

    devicesChanged = Signal(object)  # AvailableDevices

    def __init__(self, service: DeviceService | None = None,
                 parent: QObject | None = None, interval: float = WATCH_INTERVAL) -> None:
        super().__init__(parent)
        self._service = service if service is not None else DeviceService()
        self._watcher = DeviceWatcher(self._service, self._changed, interval)
        self._disposed = False

    @property
    def watching(self) -> bool:
        return self._watcher.running

    @async_slot()
    async def refresh(self) -> None:
        """List the devices now; answers devicesChanged (unless disposed meanwhile)."""
        devices = await self._service.list_devices()
        if not self._disposed:
            self.devicesChanged.emit(devices)
            self._watcher.start(devices)

    def _changed(self, devices: AvailableDevices) -> None:
        if not self._disposed:
            self.devicesChanged.emit(devices)

    def dispose(self) -> None:
        if not self._disposed:
            self._disposed = True
            self._watcher.cancel()
