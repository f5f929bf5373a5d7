"""Camera, microphone and speaker choosers: three combo boxes filled from the device
service's list, a remembered choice kept selected while it is there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QWidget

from parley.ui.messages import NO_DEVICE_TEXT
from parley.ui.widgets import select_data

if TYPE_CHECKING:
    from parley.sdk.devices import AvailableDevices

DEFAULT_DEVICE = "System default"


class DeviceCombos:
    """The three combo boxes (``camera``, ``microphone``, ``speaker``); each entry's data
    is the device id, "" for the system default."""

    def __init__(self, parent: QWidget) -> None:
        self.camera = QComboBox(parent)
        self.microphone = QComboBox(parent)
        self.speaker = QComboBox(parent)
        for combo, name in self._named():
            combo.setAccessibleName(name)
            combo.addItem(DEFAULT_DEVICE, "")
        self._remembered: dict[QComboBox, str] = {}

    def _named(self) -> tuple[tuple[QComboBox, str], ...]:
        return ((self.camera, "Camera"), (self.microphone, "Microphone"),
                (self.speaker, "Speaker"))

    def chosen(self) -> tuple[str, str, str]:
        """(camera, microphone, speaker) ids selected ("" = the system default)."""
        camera, microphone, speaker = (str(c.currentData() or "") for c, _ in self._named())
        return camera, microphone, speaker

    def choose(self, camera: str, microphone: str, speaker: str) -> None:
        """Select (and remember) these ids; one not listed yet is selected once it is."""
        for (combo, _), value in zip(self._named(), (camera, microphone, speaker),
                                     strict=True):
            self._remembered[combo] = value
            select_data(combo, value)

    def set_devices(self, devices: AvailableDevices | None) -> None:
        """Offer these devices; a remembered choice stays selected if still present. A
        kind with none says so ("No camera found"), not "System default" as if it worked."""
        if devices is None:
            return
        for (combo, name), found in zip(self._named(), (devices.cameras, devices.microphones,
                                                        devices.speakers), strict=True):
            chosen = str(combo.currentData() or "") or self._remembered.get(combo, "")
            combo.clear()
            combo.addItem(DEFAULT_DEVICE if found else NO_DEVICE_TEXT[name.lower()], "")
            for device in found:
                combo.addItem(device.name, device.id)
            select_data(combo, chosen)
