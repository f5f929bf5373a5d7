"""The host's admit prompt: "Bob wants to join — Admit / Deny", one row per request."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from parley.ui.messages import knock_text


class AdmitPrompt(QFrame):
    """Who waits in the lobby of the call you host, with an answer for each."""

    admitClicked = Signal(str)  # request id
    denyClicked = Signal(str)  # request id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("admitPrompt")
        self.setAccessibleName("Join requests")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(16, 8, 16, 8)
        self._rows: dict[str, QWidget] = {}
        self._parts: dict[str, tuple[QLabel, QPushButton, QPushButton]] = {}
        self.hide()

    def set_requests(self, requests: list[object]) -> None:
        """Show these requests (objects with ``id`` and ``name``), in order."""
        wanted = {str(getattr(r, "id", "")): str(getattr(r, "name", "")) for r in requests}
        for rid in [rid for rid in self._rows if rid not in wanted]:
            self._rows.pop(rid).deleteLater()
            self._parts.pop(rid, None)
        for rid, name in wanted.items():
            if rid not in self._rows:
                self._rows[rid] = self._row(rid, name)
                self._layout.addWidget(self._rows[rid])
        self.setVisible(bool(self._rows))

    def texts(self) -> list[str]:
        """The prompts shown, in order."""
        return [self._parts[rid][0].text() for rid in self._rows]

    def buttons(self, request_id: str) -> tuple[QPushButton, QPushButton]:
        """(Admit, Deny) of one request."""
        _label, admit, deny = self._parts[request_id]
        return admit, deny

    def _row(self, request_id: str, name: str) -> QWidget:
        row = QWidget(self)
        label = QLabel(knock_text(name), row)
        label.setObjectName("knockLabel")
        admit = QPushButton("Admit", row)
        admit.setObjectName("primaryButton")
        deny = QPushButton("Deny", row)
        admit.setAccessibleName(f"Admit {name}")
        deny.setAccessibleName(f"Deny {name}")
        admit.clicked.connect(lambda: self.admitClicked.emit(request_id))
        deny.clicked.connect(lambda: self.denyClicked.emit(request_id))
        self._parts[request_id] = (label, admit, deny)
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(label, 1)
        line.addWidget(deny)
        line.addWidget(admit)
        return row
