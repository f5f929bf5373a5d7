""""Calls on this network": the calls discovered on the LAN, to ask to join one."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

NEARBY_TITLE = "Calls on this network"


class NearbyCalls(QFrame):
    """A list of discovered calls (objects with ``session_id``, ``host_name``, ``server``);
    hidden while there are none."""

    callChosen = Signal(object)  # the discovered call picked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nearbyCalls")
        title = QLabel(NEARBY_TITLE, self)
        title.setObjectName("fieldLabel")
        self.list = QListWidget(self)
        self.list.setAccessibleName(NEARBY_TITLE)
        self.list.setMaximumHeight(110)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        hint = QLabel("Pick one to ask its host to let you in.", self)
        hint.setObjectName("subtitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.list)
        layout.addWidget(hint)
        self._calls: list[object] = []
        self.hide()

    def set_calls(self, calls: Sequence[object]) -> None:
        self._calls = list(calls)
        self.list.clear()
        for index, call in enumerate(self._calls):
            host = str(getattr(call, "host_name", "")) or "Someone"
            room = str(getattr(call, "session_id", ""))
            item = QListWidgetItem(f"{host}'s call · {room}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.list.addItem(item)
        self.setVisible(bool(self._calls))

    def labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def choose(self, index: int) -> None:
        """Pick the ``index``-th call (as a click does)."""
        self.callChosen.emit(self._calls[index])

    def _chosen(self, item: QListWidgetItem) -> None:
        self.choose(int(item.data(Qt.ItemDataRole.UserRole)))
