"""The window's questions before leaving a call: a host with others in it is asked whether
to end it for everyone (LeaveFlow), and an invite opened during a call asks whether to
leave this one for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from parley.ui.hosting import ask_end_for_everyone

if TYPE_CHECKING:
    from parley.qt.controller import SessionController


class LeaveFlow:
    """Leaving, with the host's question when others are in the call.

    Args:
        parent: The window the question box belongs to.
        controller: Leaves, or ends the call for everyone.
        host_with_others: Whether you host the call and somebody else is in it.
    """

    def __init__(self, parent: QWidget, controller: SessionController,
                 host_with_others: Callable[[], bool]) -> None:
        self._parent = parent
        self._controller = controller
        self._host_with_others = host_with_others
        self.question: QMessageBox | None = None
        """The "End the call for everyone?" box while it is open."""

    def request(self, then: Callable[[], object] | None = None) -> None:
        """Leave the call; a host with others in it is asked first whether to end it for
        everyone (``then`` runs once the question is answered with anything but Cancel)."""
        if not self._host_with_others():
            self._controller.leave()
            if then is not None:
                then()
            return
        if self.question is not None:
            return

        def answered(choice: str) -> None:
            self.question = None
            if choice == "cancel":
                return
            ending = (self._controller.endForEveryone() if choice == "end"
                      else self._controller.leave())
            if then is not None:
                ending.add_done_callback(lambda _: then())

        self.question = ask_end_for_everyone(self._parent, answered)


def ask_leave_for_invite(parent: QWidget, session_id: str,
                         leave: Callable[[], None]) -> QMessageBox:
    """"Leave the call to open the invite?" (not yet open); Yes calls ``leave``."""
    question = QMessageBox(QMessageBox.Icon.Question, "Leave the call?",
                           f"You are in the call “{session_id}”. "
                           "Leave it to open the invite?",
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                           parent)
    question.setAccessibleName("Leave the call to open the invite?")
    question.setDefaultButton(QMessageBox.StandardButton.No)

    def answered(button: QAbstractButton) -> None:
        if question.standardButton(button) == QMessageBox.StandardButton.Yes:
            leave()

    question.buttonClicked.connect(answered)
    return question
