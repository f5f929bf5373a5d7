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
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from parley.protocol.invites import parse_invite
from parley.protocol.names import MAX_NAME_LENGTH
from parley.protocol.urls import normalize_server_url
from parley.qt.options import JoinOptions
from parley.qt.resources import IconSet, app_icon
from parley.qt.settings import JoinPreferences
from parley.ui.device_combos import DEFAULT_DEVICE as DEFAULT_DEVICE
from parley.ui.device_combos import DeviceCombos
from parley.ui.preview_pane import DevicePreviewPane
from parley.ui.widgets import (
    MessageLabel,
    mark_invalid,
    push_button,
    settings_menu_button,
)

if TYPE_CHECKING:
    from parley.sdk.devices import AvailableDevices

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
        title.setWordWrap(True)  # a narrow window wraps it rather than cutting it off
        subtitle = QLabel("Enter a session name or paste an invite link.", card)
        subtitle.setObjectName("subtitle")
        subtitle.setWordWrap(True)

        self.menu_button = settings_menu_button(self, self.settingsRequested,
                                                self.aboutRequested)

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
        self.devices = DeviceCombos(card)
        self.camera_combo = self.devices.camera
        self.microphone_combo = self.devices.microphone
        self.speaker_combo = self.devices.speaker
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

        self.message = MessageLabel(card)
        self.progress = QProgressBar(card)
        self.progress.setRange(0, 0)  # indeterminate
        self.progress.setTextVisible(False)
        self.progress.hide()
        for check in (self.mic_off_check, self.camera_off_check):
            check.setAccessibleName(check.text())
        self.test_button = push_button("Test call", card, "Test call with an echo of yourself",
                                       self._on_test_clicked,
                                       "Join a private call with an echo of yourself")
        self.join_button = push_button("Join", card, "Join the call", self._on_join_clicked,
                                       primary=True)
        self.join_button.setDefault(True)
        self.join_button.setAutoDefault(True)
        for edit in (self.name_edit, self.session_edit, self.server_edit, self.token_edit):
            edit.returnPressed.connect(self._on_join_clicked)
        self.cancel_button = push_button("Cancel", card, "Stop joining", self.cancelRequested.emit,
                                         "Stop joining")
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
        camera, microphone, speaker = self.devices.chosen()
        return JoinOptions(display_name=self.name_edit.text().strip() or "You",
                           start_audio_muted=self.mic_off_check.isChecked(),
                           start_video_paused=self.camera_off_check.isChecked(),
                           camera=camera, microphone=microphone, speaker=speaker)

    def refresh_preview(self) -> None:
        """Ask for the preview again (after a join that failed or was cancelled)."""
        self._devices_chosen()

    def choose_devices(self, camera: str, microphone: str, speaker: str) -> None:
        """Select these devices (from the settings dialog; "" = the system default)."""
        self.devices.choose(camera, microphone, speaker)
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
        self.devices.choose(prefs.camera, prefs.microphone, prefs.speaker)

    def preferences(self) -> JoinPreferences:
        """The form as it stands, to remember."""
        camera, microphone, speaker = self.devices.chosen()
        return JoinPreferences(
            name=self.name_edit.text().strip(),
            session=self.session_edit.text().strip(),
            server=self.server_edit.text().strip(),
            camera=camera, microphone=microphone, speaker=speaker,
            start_audio_muted=self.mic_off_check.isChecked(),
            start_video_paused=self.camera_off_check.isChecked(),
        )

    def set_devices(self, devices: AvailableDevices) -> None:
        """Offer these devices; a remembered choice stays selected if still present."""
        self.devices.set_devices(devices)

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
        self.message.say(text, "errorLabel")

    def show_notice(self, text: str) -> None:
        self.message.say(text, "noticeLabel")

    def clear_message(self) -> None:
        self.message.clear_text()
        for edit in (self.name_edit, self.session_edit, self.server_edit, self.token_edit):
            mark_invalid(edit, False)

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
        mark_invalid(edit, True)
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
