"""The call's control bar: mic, camera, screen share, hand, participants, chat, view, leave.

Buttons never keep a state of their own: a click asks the controller, and
``set_state`` (driven by the controller's ``localStateChanged``) says what is true.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from parley.qt.resources import IconSet

BUTTON_SIZE = QSize(44, 44)
ICON_SIZE = QSize(22, 22)


@dataclass(frozen=True)
class ControlSpec:
    """One button: its icons (normal, checked), tooltips (normal, checked), shortcut."""

    key: str
    icon: str
    checked_icon: str
    tip: str
    checked_tip: str
    shortcut: str
    positive: bool  # "checked" is a good thing (sharing, hand up), not a warning (muted)


SPECS = (
    ControlSpec("mic", "mic", "mic-off", "Mute microphone", "Unmute microphone", "Ctrl+D", False),
    ControlSpec("camera", "camera", "camera-off", "Turn camera off", "Turn camera on", "Ctrl+E",
                False),
    ControlSpec("share", "screen-share", "screen-share", "Share your screen", "Stop sharing",
                "Ctrl+Shift+E", True),
    ControlSpec("hand", "hand", "hand", "Raise your hand", "Lower your hand", "Ctrl+Shift+H",
                True),
    ControlSpec("participants", "people", "people", "Show participants", "Hide participants",
                "Ctrl+P", True),
    ControlSpec("chat", "chat", "chat", "Show chat", "Hide chat", "Ctrl+Shift+M", True),
)
LEAVE_SHORTCUT = "Ctrl+Shift+L"
VIEW_SHORTCUT = "Ctrl+Shift+V"
VIEWS = (("grid", "Grid"), ("speaker", "Speaker view"))


class ControlBar(QFrame):
    """Round buttons along the bottom of the call; each click is one signal."""

    micClicked = Signal()
    cameraClicked = Signal()
    shareClicked = Signal()
    handClicked = Signal()
    participantsClicked = Signal()
    chatClicked = Signal()
    leaveClicked = Signal()
    viewChosen = Signal(str)  # "grid" or "speaker"
    floatingSelfToggled = Signal(bool)

    def __init__(self, icons: IconSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlBar")
        self._icons = icons
        self._buttons: dict[str, QToolButton] = {}
        self._specs = {spec.key: spec for spec in SPECS}
        self._state: dict[str, bool] = {spec.key: False for spec in SPECS}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(12)
        layout.addStretch(1)
        signals = {
            "mic": self.micClicked,
            "camera": self.cameraClicked,
            "share": self.shareClicked,
            "hand": self.handClicked,
            "participants": self.participantsClicked,
            "chat": self.chatClicked,
        }
        self._unread = 0
        for spec in SPECS:
            button = self._make_button("controlButton", spec.shortcut)
            button.setCheckable(True)
            button.setProperty("positive", spec.positive)
            button.clicked.connect(signals[spec.key])
            button.clicked.connect(lambda _=False, key=spec.key: self._restore(key))
            self._buttons[spec.key] = button
            layout.addWidget(button)
            self._render(spec.key, False)
        self.badge = QLabel("", self._buttons["chat"])
        self.badge.setObjectName("unreadBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setGeometry(26, 0, 18, 18)
        self.badge.hide()
        layout.addWidget(self._make_view_button())
        layout.addSpacing(24)
        leave = self._make_button("leaveButton", LEAVE_SHORTCUT)
        leave.setIcon(IconSet("#ffffff")("leave"))
        leave.setToolTip(f"Leave the call ({LEAVE_SHORTCUT})")
        leave.setAccessibleName("Leave the call")
        leave.clicked.connect(self.leaveClicked)
        self._buttons["leave"] = leave
        layout.addWidget(leave)
        layout.addStretch(1)

    def _make_button(self, name: str, shortcut: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setFixedSize(BUTTON_SIZE)
        button.setIconSize(ICON_SIZE)
        button.setShortcut(QKeySequence(shortcut))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _make_view_button(self) -> QToolButton:
        button = self._make_button("controlButton", VIEW_SHORTCUT)
        button.setIcon(self._icons("layout"))
        button.setToolTip(f"Change the layout ({VIEW_SHORTCUT})")
        button.setAccessibleName("Layout")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        group = QActionGroup(menu)
        self.view_actions: dict[str, QAction] = {}
        for key, text in VIEWS:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(key == "grid")
            group.addAction(action)
            action.triggered.connect(lambda _=False, key=key: self.viewChosen.emit(key))
            self.view_actions[key] = action
        menu.addSeparator()
        self.floating_action = menu.addAction("Floating self view in 1:1 calls")
        self.floating_action.setCheckable(True)
        self.floating_action.setChecked(True)
        self.floating_action.toggled.connect(self.floatingSelfToggled)
        button.setMenu(menu)
        self._buttons["view"] = button
        return button

    def button(self, key: str) -> QToolButton:
        """The button for ``key``: mic, camera, share, hand, participants, chat, view or
        leave."""
        return self._buttons[key]

    def set_unread(self, count: int) -> None:
        """The chat button's badge: how many messages came while the chat was closed."""
        self._unread = count
        self.badge.setText(str(count) if count < 100 else "99+")
        self.badge.setVisible(count > 0)
        self._render("chat", self._state["chat"])

    def unread(self) -> int:
        return self._unread

    def set_chat_open(self, is_open: bool) -> None:
        self._state["chat"] = is_open
        self._render("chat", is_open)

    def set_state(self, *, audio_muted: bool, video_paused: bool, sharing: bool,
                  hand_raised: bool) -> None:
        """Show what is true (the controller's word, not the last click)."""
        for key, on in (("mic", audio_muted), ("camera", video_paused), ("share", sharing),
                        ("hand", hand_raised)):
            self._state[key] = on
            self._render(key, on)

    def set_panel_open(self, is_open: bool) -> None:
        self._state["participants"] = is_open
        self._render("participants", is_open)

    def retheme(self) -> None:
        """Redraw every icon in the icon set's (new) colour."""
        for key in self._specs:
            self._render(key, self._state[key])
        self._buttons["view"].setIcon(self._icons("layout"))

    def set_controls_enabled(self, enabled: bool) -> None:
        """Enable or disable every control except Leave (disabled while reconnecting)."""
        for key, button in self._buttons.items():
            if key != "leave":
                button.setEnabled(enabled)

    def _restore(self, key: str) -> None:
        # A click toggles a checkable button at once; put back the true state until
        # the controller reports the change.
        self._render(key, self._state[key])

    def _render(self, key: str, on: bool) -> None:
        spec = self._specs[key]
        button = self._buttons[key]
        button.setChecked(on)
        button.setIcon(self._icons(spec.checked_icon if on else spec.icon))
        tip = spec.checked_tip if on else spec.tip
        if key == "chat" and self._unread:
            tip += f" ({self._unread} unread)"
        button.setToolTip(f"{tip} ({spec.shortcut})")
        button.setAccessibleName(tip)
