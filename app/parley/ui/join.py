"""The join screen: who you are, which call, which server, which devices.

It validates what was typed, then emits ``joinRequested`` (or
``testCallRequested``); the main window hands that to the controller and calls
``set_busy`` / ``show_error`` as the controller answers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from parley.protocol.invites import parse_invite
from parley.protocol.names import MAX_NAME_LENGTH
from parley.protocol.urls import normalize_server_url
from parley.qt.options import JoinOptions
from parley.qt.resources import IconSet, app_icon
from parley.qt.settings import JoinPreferences
from parley.ui.preview_pane import DevicePreviewPane

if TYPE_CHECKING:
    from parley.sdk.devices import AvailableDevices

DEFAULT_DEVICE = "System default"
NAME_NEEDED_TEXT = "Enter your name so others know who you are."
NARROW = 880
"""Below this width the preview goes above the form instead of beside it."""


class JoinView(QWidget):
    """The form shown before a call and after one ends."""

    joinRequested = Signal(str, object, str, str)  # session id, JoinOptions, server, token
    testCallRequested = Signal(object)  # JoinOptions
    devicesChosen = Signal(object)  # JoinOptions: another camera/mic or on/off: re-preview
    cancelRequested = Signal()  # stop a join that is taking too long
    settingsRequested = Signal()
    aboutRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("joinView")
        # The form scrolls when the window is too small for it (it never gets cut off).
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("joinScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget(self.scroll_area)
        page.setObjectName("joinPage")
        card = QFrame(page)
        card.setObjectName("joinCard")
        card.setMaximumWidth(480)
        card.setMinimumWidth(340)
        self._card = card
        self.preview: DevicePreviewPane | None = None

        logo = QLabel(card)
        logo.setPixmap(app_icon().pixmap(48, 48))
        title = QLabel("Join a call", card)
        title.setObjectName("title")
        subtitle = QLabel("Enter a session name or paste an invite link.", card)
        subtitle.setObjectName("subtitle")
        subtitle.setWordWrap(True)

        self.menu_button = QToolButton(card)
        self.menu_button.setText("Settings")
        self.menu_button.setAccessibleName("Settings and about")
        self.menu_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.menu_button)
        menu.addAction("Settings…").triggered.connect(self.settingsRequested)
        menu.addAction("About Parley").triggered.connect(self.aboutRequested)
        self.menu_button.setMenu(menu)

        self.name_edit = QLineEdit(card)
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.session_edit = QLineEdit(card)
        self.session_edit.setPlaceholderText("e.g. standup, or parley://join/…")
        self.session_edit.textChanged.connect(self._on_session_text)
        self.server_edit = QLineEdit(card)
        self.server_edit.setPlaceholderText("Built-in (this computer)")
        self.token_edit = QLineEdit(card)
        self.token_edit.setPlaceholderText("Only if your invite has one")
        self.camera_combo = QComboBox(card)
        self.microphone_combo = QComboBox(card)
        self.speaker_combo = QComboBox(card)
        for combo in (self.camera_combo, self.microphone_combo, self.speaker_combo):
            combo.addItem(DEFAULT_DEVICE, "")
        self.mic_off_check = QCheckBox("Start with mic off", card)
        self.camera_off_check = QCheckBox("Start with camera off", card)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(10)
        for label, widget in (
            ("Your name", self.name_edit),
            ("Session", self.session_edit),
            ("Server", self.server_edit),
            ("Invite token", self.token_edit),
            ("Camera", self.camera_combo),
            ("Microphone", self.microphone_combo),
            ("Speaker", self.speaker_combo),
        ):
            caption = QLabel(label, card)
            caption.setObjectName("fieldLabel")
            caption.setBuddy(widget)
            widget.setAccessibleName(label)
            form.addRow(caption, widget)
        checks = QHBoxLayout()
        checks.addWidget(self.mic_off_check)
        checks.addWidget(self.camera_off_check)
        checks.addStretch(1)

        self.message = QLabel("", card)
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.hide()
        self.progress = QProgressBar(card)
        self.progress.setRange(0, 0)  # indeterminate
        self.progress.setTextVisible(False)
        self.progress.hide()
        for check in (self.mic_off_check, self.camera_off_check):
            check.setAccessibleName(check.text())
        self.test_button = QPushButton("Test call", card)
        self.test_button.setAccessibleName("Test call with an echo of yourself")
        self.test_button.setToolTip("Join a private call with an echo of yourself")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.join_button = QPushButton("Join", card)
        self.join_button.setObjectName("primaryButton")
        self.join_button.setDefault(True)
        self.join_button.setAutoDefault(True)
        self.join_button.setAccessibleName("Join the call")
        self.join_button.clicked.connect(self._on_join_clicked)
        for edit in (self.name_edit, self.session_edit, self.server_edit, self.token_edit):
            edit.returnPressed.connect(self._on_join_clicked)
        self.cancel_button = QPushButton("Cancel", card)
        self.cancel_button.setToolTip("Stop joining")
        self.cancel_button.setAccessibleName("Stop joining")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.join_button)

        heading = QHBoxLayout()
        heading.addWidget(logo)
        heading.addWidget(title, 1)
        heading.addWidget(self.menu_button, 0, Qt.AlignmentFlag.AlignTop)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addLayout(heading)
        inner.addWidget(subtitle)
        self._body = QHBoxLayout()
        self._body.setSpacing(24)
        fields = QVBoxLayout()
        fields.addLayout(form)
        fields.addLayout(checks)
        self._body.addLayout(fields, 1)
        inner.addLayout(self._body)
        inner.addWidget(self.message)
        inner.addWidget(self.progress)
        inner.addLayout(buttons)
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.scroll_area.setWidget(page)
        whole = QVBoxLayout(self)
        whole.setContentsMargins(0, 0, 0, 0)
        whole.addWidget(self.scroll_area)
        self._busy = False
        self._to_focus: QLineEdit | None = None
        self._remembered: dict[QComboBox, str] = {}
        for combo in (self.camera_combo, self.microphone_combo, self.speaker_combo):
            combo.activated.connect(self._devices_chosen)
        for check in (self.mic_off_check, self.camera_off_check):
            check.toggled.connect(self._devices_chosen)

    def enable_preview(self, icons: IconSet) -> DevicePreviewPane:
        """Show a camera preview and mic meter beside the form (the card grows)."""
        if self.preview is None:
            self.preview = DevicePreviewPane(icons, self._card)
            self._body.insertWidget(0, self.preview, 1)
            self._card.setMaximumWidth(900)
            self._reflow()
            self._show_camera_state()
        return self.preview

    def is_stacked(self) -> bool:
        """Whether the preview sits above the form (a narrow window) rather than beside it."""
        return self._body.direction() is QBoxLayout.Direction.TopToBottom

    def _reflow(self) -> None:
        narrow = self.width() < NARROW
        self._body.setDirection(QBoxLayout.Direction.TopToBottom if narrow
                                else QBoxLayout.Direction.LeftToRight)
        if self.preview is not None:
            self._card.setMinimumWidth(340 if narrow else 760)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._reflow()

    def device_options(self) -> JoinOptions:
        """The chosen devices and on/off switches (the name may still be empty)."""
        return JoinOptions(
            display_name=self.name_edit.text().strip() or "You",
            start_audio_muted=self.mic_off_check.isChecked(),
            start_video_paused=self.camera_off_check.isChecked(),
            camera=str(self.camera_combo.currentData() or ""),
            microphone=str(self.microphone_combo.currentData() or ""),
            speaker=str(self.speaker_combo.currentData() or ""),
        )

    def refresh_preview(self) -> None:
        """Ask for the preview again (after a join that failed or was cancelled)."""
        self._devices_chosen()

    def choose_devices(self, camera: str, microphone: str, speaker: str) -> None:
        """Select these devices (from the settings dialog; "" = the system default)."""
        for combo, value in ((self.camera_combo, camera), (self.microphone_combo, microphone),
                             (self.speaker_combo, speaker)):
            self._remembered[combo] = value
            _select(combo, value)
        self._devices_chosen()

    def _devices_chosen(self, *_: object) -> None:
        self._show_camera_state()
        self.devicesChosen.emit(self.device_options())

    def _show_camera_state(self) -> None:
        if self.preview is not None:
            off = self.camera_off_check.isChecked()
            self.preview.picture.set_text("Camera is off" if off else "Starting camera…")
            if off:
                self.preview.picture.set_image(None)

    # -- preferences and devices ----------------------------------------------------------

    def load(self, prefs: JoinPreferences) -> None:
        """Fill the form with remembered values."""
        self.name_edit.setText(prefs.name)
        self.session_edit.setText(prefs.session)
        self.server_edit.setText(prefs.server)
        self.mic_off_check.setChecked(prefs.start_audio_muted)
        self.camera_off_check.setChecked(prefs.start_video_paused)
        self._remembered = {self.camera_combo: prefs.camera,
                            self.microphone_combo: prefs.microphone,
                            self.speaker_combo: prefs.speaker}
        for combo, name in self._remembered.items():
            _select(combo, name)

    def preferences(self) -> JoinPreferences:
        """The form as it stands, to remember."""
        return JoinPreferences(
            name=self.name_edit.text().strip(),
            session=self.session_edit.text().strip(),
            server=self.server_edit.text().strip(),
            camera=str(self.camera_combo.currentData() or ""),
            microphone=str(self.microphone_combo.currentData() or ""),
            speaker=str(self.speaker_combo.currentData() or ""),
            start_audio_muted=self.mic_off_check.isChecked(),
            start_video_paused=self.camera_off_check.isChecked(),
        )

    def set_devices(self, devices: AvailableDevices) -> None:
        """Offer these devices; a remembered choice stays selected if still present."""
        for combo, found in ((self.camera_combo, devices.cameras),
                             (self.microphone_combo, devices.microphones),
                             (self.speaker_combo, devices.speakers)):
            chosen = str(combo.currentData() or "") or self._remembered.get(combo, "")
            combo.clear()
            combo.addItem(DEFAULT_DEVICE, "")
            for device in found:
                combo.addItem(device.name, device.id)
            _select(combo, chosen)

    # -- state shown ----------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While joining: the button says so, the form is locked, progress shows."""
        self._busy = busy
        self.join_button.setText("Joining…" if busy else "Join")
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        for widget in (self.join_button, self.test_button, self.name_edit, self.session_edit,
                       self.server_edit, self.token_edit, self.camera_combo,
                       self.microphone_combo, self.speaker_combo, self.mic_off_check,
                       self.camera_off_check):
            widget.setEnabled(not busy)
        if busy:
            self.clear_message()
            self._to_focus = None
        elif self._to_focus is not None:
            self._to_focus.setFocus()

    def is_busy(self) -> bool:
        return self._busy

    def show_error(self, text: str) -> None:
        self._show_message(text, "errorLabel")

    def show_notice(self, text: str) -> None:
        self._show_message(text, "noticeLabel")

    def clear_message(self) -> None:
        self.message.hide()
        self.message.setText("")
        for edit in (self.name_edit, self.session_edit, self.server_edit, self.token_edit):
            _mark(edit, False)

    def show_token_needed(self, text: str) -> None:
        """The server wants a token none was given for: say so at the token field."""
        self._invalid(self.token_edit, text)

    def fill_from_link(self, link: str, server: str = "", token: str = "",
                       name: str = "") -> bool:
        """Fill the form from an invite link or session id (``parley --session``, a link
        handed over by another start); True when it could be read. The server field shows
        the server the call will use (the link's, else ``server``; empty = built-in).
        Nothing is joined: without a name the form asks for one."""
        self.clear_message()
        try:
            invite = parse_invite(link)
        except ValueError as exc:
            self.session_edit.setText(link)
            self._invalid(self.session_edit, str(exc))
            return False
        self.session_edit.setText(invite.session_id)
        self.server_edit.setText(invite.server or server)
        self.token_edit.setText(invite.token or token)
        if name:
            self.name_edit.setText(name)
        if not self.name_edit.text().strip():
            self._invalid(self.name_edit, NAME_NEEDED_TEXT)
        else:
            self.join_button.setFocus()
        return True

    def message_text(self) -> str:
        """The message shown ("" when none)."""
        return self.message.text() if self.message.isVisibleTo(self) else ""

    def _show_message(self, text: str, style: str) -> None:
        self.message.setObjectName(style)
        self.message.setText(text)
        self.message.show()
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    # -- input ----------------------------------------------------------------------------

    def _on_session_text(self, text: str) -> None:
        """A pasted invite link is unpacked into session, server and token."""
        if "://" not in text:
            return
        try:
            invite = parse_invite(text)
        except ValueError:
            return  # still typing, or not a link: validation on Join says why
        if invite.server:
            self.server_edit.setText(invite.server)
        if invite.token:
            self.token_edit.setText(invite.token)
        self.session_edit.setText(invite.session_id)

    def _options(self) -> JoinOptions | None:
        self.clear_message()
        name = self.name_edit.text().strip()
        if not name:
            self._invalid(self.name_edit, NAME_NEEDED_TEXT)
            return None
        return replace(self.device_options(), display_name=name)

    def _invalid(self, edit: QLineEdit, text: str) -> None:
        _mark(edit, True)
        self.show_error(text)
        self._to_focus = edit
        edit.setFocus()  # (locked while busy: set_busy(False) gives it the focus then)

    def _on_join_clicked(self) -> None:
        if self._busy:
            return
        options = self._options()
        if options is None:
            return
        try:
            invite = parse_invite(self.session_edit.text())
        except ValueError as exc:
            self._invalid(self.session_edit, str(exc))
            return
        try:
            server = normalize_server_url(invite.server or self.server_edit.text())
        except ValueError as exc:
            self._invalid(self.server_edit, str(exc))
            return
        token = invite.token or self.token_edit.text().strip()
        self.joinRequested.emit(invite.session_id, options, server, token)

    def _on_test_clicked(self) -> None:
        if self._busy:
            return
        options = self._options()
        if options is not None:
            self.testCallRequested.emit(options)


def _select(combo: QComboBox, data: str) -> None:
    index = combo.findData(data)
    combo.setCurrentIndex(index if index >= 0 else 0)


def _mark(edit: QLineEdit, invalid: bool) -> None:
    if bool(edit.property("invalid")) != invalid:
        edit.setProperty("invalid", invalid)
        edit.style().unpolish(edit)
        edit.style().polish(edit)
