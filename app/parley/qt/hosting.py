"""New call: this machine hosts a call and you join it as its host.

The app hands the controller a host starter (``parley.desktop.hosting``: the LAN
server, its secret, your host identity and the invite); this helper remembers the call
you host while you are in it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from parley.protocol.invites import format_invite
from parley.protocol.urls import without_access_key
from parley.qt.problems import Problem, ProblemKind

log = logging.getLogger(__name__)


class HostedCallLike(Protocol):
    """A call this machine hosts, as the app's host starter makes it (desktop.hosting)."""

    @property
    def session_id(self) -> str: ...
    @property
    def server(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def invite(self) -> str: ...


HostStarter = Callable[[str], Awaitable[HostedCallLike]]
"""Makes this machine host a new call for the given display name."""


class Hosting:
    """The call you host now, if any, and how to host one."""

    def __init__(self, starter: HostStarter | None) -> None:
        self._starter = starter
        self.hosted: HostedCallLike | None = None
        """The call you host now (New call), if any."""

    @property
    def available(self) -> bool:
        """Whether New call is possible here (the app gave a way to host)."""
        return self._starter is not None

    async def start(self, display_name: str) -> HostedCallLike | Problem:
        """Host a new call; a server that cannot listen (a port taken...) is a Problem."""
        if self._starter is None:
            return Problem(ProblemKind.HOSTING_FAILED, "this app cannot host calls")
        try:
            self.hosted = await self._starter(display_name)
        except Exception as exc:  # a UI boundary: every failure becomes a message
            log.exception("hosting a new call failed")
            return Problem(ProblemKind.HOSTING_FAILED, str(exc))
        return self.hosted

    def invite_for(self, session_id: str) -> str | None:
        """The invite of ``session_id`` if you host it (None otherwise)."""
        hosted = self.hosted
        return hosted.invite if hosted is not None and hosted.session_id == session_id else None

    def invite_link(self, session_id: str, server_url: str) -> str:
        """The link that invites others to ``session_id`` on ``server_url``: the hosted
        call's own invite, else one naming the server without its access key (the
        built-in server's key is this app's own secret, never an invite's)."""
        hosted = self.invite_for(session_id)
        if hosted is not None:
            return hosted
        return format_invite(session_id, without_access_key(server_url) or None)
