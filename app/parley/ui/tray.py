"""The tray icon shown while in a call: its tooltip says which call, its menu brings the
window back or leaves the call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from parley.qt.resources import app_icon


class CallTray:
    """Made on first use (only where the platform has a tray).

    Args:
        parent: The main window (owns the icon and its menu).
        show_window: "Show Parley" and a click on the icon.
        leave: "Leave call".
    """

    def __init__(self, parent: QWidget, show_window: Callable[[], None],
                 leave: Callable[[], object]) -> None:
        self._parent = parent
        self._show_window = show_window
        self._leave = leave
        self.icon: QSystemTrayIcon | None = None

    def show(self, tooltip: str) -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.icon is None:
            self.icon = QSystemTrayIcon(app_icon(), self._parent)
            menu = QMenu(self._parent)
            show = QAction("Show Parley", menu)
            show.triggered.connect(self._show_window)
            leave = QAction("Leave call", menu)
            leave.triggered.connect(self._leave)
            menu.addAction(show)
            menu.addAction(leave)
            self.icon.setContextMenu(menu)
            self.icon.activated.connect(lambda _reason: self._show_window())
        self.icon.setToolTip(tooltip)
        self.icon.show()

    def set_tooltip(self, tooltip: str) -> None:
        if self.icon is not None:
            self.icon.setToolTip(tooltip)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
