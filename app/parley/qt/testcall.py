"""The join screen's "Test call": a private call of one's own, with an echo participant.

The controller joins a fresh ``test-…`` session; this helper brings the echo in and
sends it away when the call ends (alone, it would leave by itself a moment later).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from parley.qt.problems import Problem, ProblemKind
from parley.sdk import CallSession
from parley.sdk.tasks import OwnedTasks

log = logging.getLogger(__name__)

EchoStarter = Callable[[CallSession], Awaitable["CallSession | None"]]
"""Brings an echo participant into the session just joined; returns the echo's own
session (left with the call), e.g. ``parley.sdk.echo.start_echo``."""


class TestCall:
    """Whether the current call is a test call, and its echo participant."""

    __test__ = False  # a product class, not a pytest test class

    def __init__(self, tasks: OwnedTasks, echo_starter: EchoStarter | None = None) -> None:
        self._tasks = tasks
        self.echo_starter = echo_starter
        """How the echo participant comes in (None: this build has none)."""
        self.active = False
        """The call being joined or held is a test call."""
        self._echo: CallSession | None = None

    @property
    def echo(self) -> CallSession | None:
        """The echo participant's own session while it is in the call."""
        return self._echo

    @staticmethod
    def new_session_id() -> str:
        """A session id nobody else will pick."""
        return f"test-{secrets.token_hex(4)}"

    async def bring_echo(self, session: CallSession) -> Problem | None:
        """Bring the echo into the call ``session`` joined; the problem, if it cannot come."""
        if self.echo_starter is None:
            return Problem(ProblemKind.NO_ECHO)
        try:
            self._echo = await self.echo_starter(session)
        except Exception as exc:  # a UI boundary: a missing echo is a message
            log.exception("echo participant failed")
            return Problem(ProblemKind.ECHO_FAILED, str(exc))
        return None

    def dismiss(self) -> None:
        """The test call is over: the echo leaves too (in an owned task)."""
        echo, self._echo = self._echo, None
        if echo is not None:
            self._tasks.spawn(echo.leave_session())
