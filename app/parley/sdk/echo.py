"""The echo participant: the desktop app's "Test call" partner.

It joins the caller's session and sends back what it receives, so a new user
sees and hears themself through the real call path. It needs no devices, and
once it is alone in the call it leaves by itself.
"""

from __future__ import annotations

from parley.sdk.errors import JoinError, JoinFailure
from parley.sdk.session import CallSession
from parley.sdk.settings import SessionSettings, SessionType

ECHO_NAME = "Echo (test call)"
LINGER = 1.0
"""Seconds the echo stays alone before it leaves (its idle timeout)."""


async def start_echo(session: CallSession) -> CallSession:
    """Bring an echo participant into the call ``session`` is in; return its session.

    Raises:
        JoinError: ``session`` is not in a call, or the echo could not join.
    """
    settings = session.settings
    if session.session_id is None or settings is None or session.local_participant is None:
        raise JoinError(JoinFailure.CANCELLED, "the test call has not started")
    echo = CallSession()
    await echo.join_session(
        session.session_id,
        SessionSettings(ECHO_NAME, session_type=SessionType.VIDEO, echo=True,
                        idle_timeout_period=LINGER, ice_servers=settings.ice_servers),
        server=session.server_url, token=None)
    return echo
