"""The join screen: who you are, then New call or Join (a link), and your devices.

It validates what was typed, then emits ``newCallRequested``, ``joinRequested`` (or
``testCallRequested``); the main window hands that to the controller and calls
``set_busy`` / ``show_error`` as the controller answers. The server and token are
under "Advanced", collapsed; "Calls on this network" lists discovered calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
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
from parley.ui.join_advanced import AdvancedSection
from parley.ui.join_link import LinkedServers
from parley.ui.join_page import JoinPage, add_field
from parley.ui.nearby import NearbyCalls
from parley.ui.preview_pane import DevicePreviewPane
from parley.ui.widgets import (
    MessageLabel,
    busy_bar,
    mark_invalid,
    push_button,
    settings_menu_button,
)

if TYPE_CHECKING:
    from parley.sdk.devices import AvailableDevices

NAME_NEEDED_TEXT = "Enter your name so others know who you are."


class JoinView(QWidget):
    """The form shown before a call and after one ends."""

    joinRequested = Signal(str, object, str, str)  # session id, JoinOptions, server, token
    testCallRequested = Signal(object)  # JoinOptions
    devicesChosen = Signal(object)  # JoinOptions: another camera/mic or on/off: re-preview
    cancelRequested = Signal()  # stop a join that is taking too long
    newCallRequested = Signal(object)  # JoinOptions: host a new call here
    discoveryToggled = Signal(bool)  # find and announce calls on this network: on/off
    settingsRequested = Signal()
    aboutRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("joinView")
        self.page = JoinPage(self)
        self.scroll_area = self.page.scroll_area
        card = self._card = self.page.card
        self.preview: DevicePreviewPane | None = None
        self.linked = LinkedServers()

        logo = QLabel(card)
        logo.setPixmap(app_icon().pixmap(48, 48))
        title = QLabel("Start or join a call", card)
        title.setObjectName("title")
        title.setWordWrap(True)  # a narrow window wraps it rather than cutting it off
        subtitle = QLabel("Start a new call, or paste an invite link to join one.", card)
        subtitle.setObjectName("subtitle")
        subtitle.setWordWrap(True)

        self.menu_button = settings_menu_button(self, self.settingsRequested,
                                                self.aboutRequested)

        self.name_edit = QLineEdit(card)
        self.name_edit.setPlaceholderText("Your name")
        self.name_edit.setMaxLength(MAX_NAME_LENGTH)
        self.session_edit = QLineEdit(card)
        self.session_edit.setPlaceholderText("parley://join/…, or a call's name")
        self.session_edit.textChanged.connect(self._on_session_text)
        self.advanced = AdvancedSection(card)
        self.advanced.discoveryToggled.connect(self.discoveryToggled)
        self.server_edit = self.advanced.server_edit
        self.token_edit = self.advanced.token_edit
        self.discovery_check = self.advanced.discovery_check
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
            ("Invite link", self.session_edit),
            ("Camera", self.camera_combo),
            ("Microphone", self.microphone_combo),
            ("Speaker", self.speaker_combo),
        ):
            add_field(form, label, widget)
        self.nearby = NearbyCalls(card)
        self.nearby.callChosen.connect(self._on_nearby_chosen)
        self.advanced.discoveryToggled.connect(self._on_discovery_toggled)
        checks = QHBoxLayout()
        checks.addWidget(self.mic_off_check)
        checks.addWidget(self.camera_off_check)
        checks.addStretch(1)

        self.message = MessageLabel(card)
        self.progress = busy_bar(card)
        for check in (self.mic_off_check, self.camera_off_check):
            check.setAccessibleName(check.text())
        self.test_button = push_button("Test call", card, "Test call with an echo of yourself",
                                       self._on_test_clicked,
                                       "Join a private call with an echo of yourself")
        self.new_call_button = push_button(
            "New call", card, "Host a new call", self._on_new_call_clicked,
            "Host a call on this computer and get a link to share", primary=True)
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
        buttons.addWidget(self.new_call_button)
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
        fields = QVBoxLayout()
        fields.addLayout(form)
        fields.addLayout(checks)
        fields.addWidget(self.advanced)
        fields.addWidget(self.nearby)
        self.page.body.addLayout(fields, 1)
        inner.addLayout(self.page.body)
        inner.addWidget(self.message)
        inner.addWidget(self.progress)
        inner.addLayout(buttons)
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
            self.preview.picture.set_name(self.name_edit.text())
            self.name_edit.textChanged.connect(self.preview.picture.set_name)
            self.page.add_preview(self.preview)
            self._show_camera_state()
        return self.preview

    def is_stacked(self) -> bool:
        """Whether the preview sits above the form (a narrow window) rather than beside it."""
        return self.page.is_stacked()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.page.reflow()

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
        for widget in (self.join_button, self.new_call_button, self.nearby,
                       self.test_button, self.name_edit, self.session_edit,
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
            invite = self.linked.remember(parse_invite(link))
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
        invite = self.linked.unpack(text)
        if invite is None:
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
        if edit in (self.server_edit, self.token_edit):
            self.advanced.set_open(True)  # the field said to be wrong must be seen
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
        options = replace(options, alternates=self.linked.alternates_for(server))
        self.joinRequested.emit(invite.session_id, options, server, token)

    def set_hosting_available(self, available: bool) -> None:
        """Offer New call (only where the app can host one)."""
        self.new_call_button.setVisible(available)

    def _on_discovery_toggled(self, enabled: bool) -> None:
        if not enabled:
            self.nearby.set_calls([])

    def set_nearby_calls(self, calls: list[object]) -> None:
        """The calls discovered on this network."""
        self.nearby.set_calls(calls if self.discovery_check.isChecked() else [])

    def _on_new_call_clicked(self) -> None:
        if self._busy:
            return
        options = self._options()
        if options is not None:
            self.newCallRequested.emit(options)

    def _on_nearby_chosen(self, call: object) -> None:
        """A discovered call: ask to join it (no token: its host lets you in)."""
        if self._busy:
            return
        options = self._options()
        if options is None:
            return
        session_id = str(getattr(call, "session_id", ""))
        self.session_edit.setText(session_id)
        self.joinRequested.emit(session_id, options, str(getattr(call, "server", "")), "")

    def _on_test_clicked(self) -> None:
        if self._busy:
            return
        options = self._options()
        if options is not None:
            self.testCallRequested.emit(options)
