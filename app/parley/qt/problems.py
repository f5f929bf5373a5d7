"""What went wrong, as values: the bridge reports a Problem, the UI words it.

The bridge never writes a sentence for a person; ``parley.ui.messages`` does, so the
wording lives in one layer and the signals carry facts a test can compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from parley.sdk import JoinError, JoinFailure


class ProblemKind(Enum):
    """The sorts of trouble the controller and the device preview report."""

    NO_SERVER = "no_server"
    """A join with no server typed and no built-in one."""
    INVALID_SETTINGS = "invalid_settings"
    """The join form's values make no valid SessionSettings (``detail`` says why)."""
    JOIN_REFUSED = "join_refused"
    """The SDK refused the join (``join_failure`` says why, ``server`` where)."""
    JOIN_CRASHED = "join_crashed"
    """Joining failed in an unexpected way (``detail``: the error)."""
    NO_ECHO = "no_echo"
    """A test call without an echo participant in this build."""
    ECHO_FAILED = "echo_failed"
    """The test call's echo participant could not join (``detail``)."""
    SHARE_FAILED = "share_failed"
    """Starting or stopping the screen share failed (``detail``)."""
    DEVICES_UNOPENED = "devices_unopened"
    """The device preview could not open the camera or microphone (``detail``)."""
    HOSTING_FAILED = "hosting_failed"
    """New call could not start the LAN server or find a network address (``detail``)."""
    DEVICE_FAILED = "device_failed"
    """A device is missing or failed during use (``device``: its kind; ``detail``)."""


@dataclass(frozen=True)
class Problem:
    """One problem to show a person."""

    kind: ProblemKind
    """What sort of problem."""
    detail: str = ""
    """The underlying error's own words, when there is one."""
    server: str = ""
    """The call server concerned (join problems)."""
    join_failure: JoinFailure | None = None
    """Why the SDK refused the join (``JOIN_REFUSED``)."""
    device: str = ""
    """The kind of device concerned (``DEVICE_FAILED``): camera, microphone, ..."""
    token_given: bool = True
    """Whether the join carried a token (``JOIN_REFUSED``: a refused token, or none)."""


def join_problem(error: Exception, server: str, token_given: bool = True) -> Problem | None:
    """The problem a failed ``join_session`` on ``server`` is (None: the user cancelled)."""
    if not isinstance(error, JoinError):
        return Problem(ProblemKind.JOIN_CRASHED, str(error), server)
    if error.reason is JoinFailure.CANCELLED:
        return None
    return Problem(ProblemKind.JOIN_REFUSED, error.message, server, error.reason,
                   token_given=token_given)
