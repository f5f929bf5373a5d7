"""The About box: versions of Parley and what it is built on, and where the log is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from parley.qt.resources import app_icon
from parley.qt.versions import versions


def about_text(log_file: Path | None) -> str:
    """The plain text of the About box."""
    lines = [f"{name} {version}" for name, version in versions().items()]
    lines.append("")
    lines.append(f"Log file: {log_file}" if log_file else "Log file: none (logging to stderr)")
    return "\n".join(lines)


class AboutDialog(QDialog):
    """Name, versions and the log file's location (selectable, to copy into a bug report)."""

    def __init__(self, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Parley")
        self.setAccessibleName("About Parley")
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel("Parley", self)
        title.setObjectName("title")
        blurb = QLabel("Video calls with a built-in call server.", self)
        self.details = QPlainTextEdit(about_text(log_file), self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Versions and log file")
        self.details.setMinimumSize(420, 170)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        layout = QVBoxLayout(self)
        for widget in (logo, title, blurb, self.details, buttons):
            layout.addWidget(widget, 0 if widget is not self.details else 1,
                             Qt.AlignmentFlag.AlignLeft if widget is not self.details
                             else Qt.AlignmentFlag(0))

    def text(self) -> str:
        return self.details.toPlainText()
