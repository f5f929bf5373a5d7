"""The join screen's "Advanced" section, collapsed: server, token, LAN discovery."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class AdvancedSection(QWidget):
    """A toggle and, under it once opened, the server, the token and discovery's switch."""

    discoveryToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setText("Advanced")
        self.toggle.setCheckable(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.toggled.connect(self.set_open)
        self.toggle.setAccessibleName("Advanced: server, invite token, discovery")
        self.box = QWidget(self)
        self.server_edit = QLineEdit(self.box)
        self.server_edit.setPlaceholderText("Built-in (this computer)")
        self.token_edit = QLineEdit(self.box)
        self.token_edit.setPlaceholderText("Only if your invite has one")
        self.discovery_check = QCheckBox("Find and announce calls on this network", self.box)
        self.discovery_check.setChecked(True)
        self.discovery_check.setAccessibleName(self.discovery_check.text())
        self.discovery_check.toggled.connect(self.discoveryToggled)
        form = QFormLayout(self.box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for label, edit in (("Server", self.server_edit), ("Invite token", self.token_edit)):
            caption = QLabel(label, self.box)
            caption.setObjectName("fieldLabel")
            caption.setBuddy(edit)
            edit.setAccessibleName(label)
            form.addRow(caption, edit)
        form.addRow(self.discovery_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.box)
        self.box.hide()

    def is_open(self) -> bool:
        return self.toggle.isChecked()

    def set_open(self, shown: bool) -> None:
        """Open (or collapse) the section."""
        if self.toggle.isChecked() != shown:
            self.toggle.setChecked(shown)  # comes back here through toggled
            return
        self.box.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def set_discovery(self, enabled: bool) -> None:
        """Show the switch as ``enabled`` without announcing a change."""
        self.discovery_check.blockSignals(True)
        self.discovery_check.setChecked(enabled)
        self.discovery_check.blockSignals(False)
