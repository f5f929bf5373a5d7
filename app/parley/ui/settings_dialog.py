"""The settings dialog: devices with a test sound, audio processing, theme, notices,
discovery. Everything in it is stored (``AppSettings``); the devices are the join
form's, so the next call uses them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from parley.qt.settings import THEME_CHOICES, AppPreferences
from parley.ui.device_combos import DeviceCombos

if TYPE_CHECKING:
    from parley.qt.sounds import SoundPlayer
    from parley.sdk.devices import AvailableDevices

THEME_NAMES = {"light": "Light", "dark": "Dark", "system": "Follow the system"}


class SettingsDialog(QDialog):
    """Edit the app's settings; ``values()`` and ``devices()`` once accepted."""

    testSoundRequested = Signal(str)  # the speaker chosen ("" = default)

    def __init__(self, prefs: AppPreferences, devices: AvailableDevices | None,
                 chosen: tuple[str, str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.device_combos = DeviceCombos(self)
        self.device_combos.choose(*chosen)
        self.device_combos.set_devices(devices)
        self.camera_combo = self.device_combos.camera
        self.microphone_combo = self.device_combos.microphone
        self.speaker_combo = self.device_combos.speaker
        self.test_button = QPushButton("Play test sound", self)
        self.test_button.setAccessibleName("Play a test sound on the speaker")
        self.test_button.clicked.connect(
            lambda: self.testSoundRequested.emit(str(self.speaker_combo.currentData() or "")))
        self.test_status = QLabel("", self)
        self.test_status.setTextFormat(Qt.TextFormat.PlainText)
        self.test_status.setAccessibleName("Test sound")
        devices_box = QGroupBox("Audio and video", self)
        form = QFormLayout(devices_box)
        form.addRow(self._label("Camera", self.camera_combo), self.camera_combo)
        form.addRow(self._label("Microphone", self.microphone_combo), self.microphone_combo)
        speaker_row = QHBoxLayout()
        speaker_row.addWidget(self.speaker_combo, 1)
        speaker_row.addWidget(self.test_button)
        form.addRow(self._label("Speaker", self.speaker_combo), speaker_row)
        form.addRow("", self.test_status)

        self.echo_check = self._check("Echo cancellation", prefs.echo_cancellation)
        self.noise_check = self._check("Noise suppression", prefs.noise_suppression)
        self.gain_check = self._check("Automatic gain control", prefs.auto_gain_control)
        processing = QGroupBox("Audio processing", self)
        column = QVBoxLayout(processing)
        for check in (self.echo_check, self.noise_check, self.gain_check):
            column.addWidget(check)

        self.theme_combo = self._combo("Theme")
        for key in THEME_CHOICES:
            self.theme_combo.addItem(THEME_NAMES[key], key)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(prefs.theme)))
        self.sounds_check = self._check("Play a sound when someone joins, leaves or raises "
                                        "a hand", prefs.notification_sounds)
        self.discovery_check = self._check("Find calls on this network (and show mine there)",
                                           prefs.discovery)
        general = QGroupBox("General", self)
        general_form = QFormLayout(general)
        general_form.addRow(self._label("Theme", self.theme_combo), self.theme_combo)
        general_form.addRow(self.sounds_check)
        general_form.addRow(self.discovery_check)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save the settings")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            "Close without saving")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for box in (devices_box, processing, general):
            layout.addWidget(box)
        layout.addWidget(buttons)
        self.camera_combo.setFocus()

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        return combo

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(f"&{text}", self)
        label.setBuddy(buddy)
        return label

    def _check(self, text: str, on: bool) -> QCheckBox:
        check = QCheckBox(text, self)
        check.setAccessibleName(text)
        check.setChecked(on)
        return check

    def play_test_sound_on(self, sounds: SoundPlayer) -> None:
        """Play the test sound through ``sounds`` and say how it went (while open)."""

        def test_sound(speaker: str) -> None:
            self.set_test_status("Playing…")
            sounds.speaker = speaker
            sounds.play("test")

        self.testSoundRequested.connect(test_sound)
        sounds.played.connect(self.sound_played)  # gone with the dialog
        sounds.failed.connect(self.sound_failed)

    def set_test_status(self, text: str) -> None:
        self.test_status.setText(text)

    def sound_played(self, sound: str) -> None:
        if sound == "test":
            self.set_test_status("Played. Did you hear three rising notes?")

    def sound_failed(self, sound: str, why: str) -> None:
        if sound == "test":
            self.set_test_status(f"Could not play on this speaker: {why}")

    def values(self) -> AppPreferences:
        """The settings as the dialog shows them."""
        return AppPreferences(
            theme=str(self.theme_combo.currentData()),
            notification_sounds=self.sounds_check.isChecked(),
            discovery=self.discovery_check.isChecked(),
            echo_cancellation=self.echo_check.isChecked(),
            noise_suppression=self.noise_check.isChecked(),
            auto_gain_control=self.gain_check.isChecked())

    def devices(self) -> tuple[str, str, str]:
        """(camera, microphone, speaker) ids chosen ("" = the system default)."""
        return self.device_combos.chosen()
