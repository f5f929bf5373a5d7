"""The desktop app's hosting: New call's LAN server, the invite line on stdout, the
call's announcement on the LAN, and "Calls on this network" on the join screen.

Discovery follows the ``discovery_enabled`` preference (the join screen's switch);
``PARLEY_DISCOVERY=0`` in the environment turns it off whatever the preference says
(the test suite does: its windows must never send multicast on a real network).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from parley.desktop.discovery import Announcer, CallBrowser
from parley.desktop.hosting import HostedCall, LanHost
from parley.qt.settings import AppSettings
from parley.sdk.tasks import OwnedTasks

if TYPE_CHECKING:
    from parley.qt.controller import SessionController
    from parley.ui.window import MainWindow

log = logging.getLogger(__name__)

DISCOVERY_ENV = "PARLEY_DISCOVERY"


def discovery_allowed(env: dict[str, str] | None = None) -> bool:
    """False when the environment forbids LAN discovery (``PARLEY_DISCOVERY=0``)."""
    value = (os.environ if env is None else env).get(DISCOVERY_ENV, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


class HostingService:
    """Hosts calls for the app and keeps discovery in step with the preference.

    Args:
        settings: Where ``discovery_enabled`` is kept.
        lan_host: Runs the LAN server (a seam for tests: bind, addresses, secret dir).
        out: Where the ``invite: ...`` line goes (stdout).
        announcer, browser: Discovery's two halves (None: made when first needed).
    """

    def __init__(self, settings: AppSettings, lan_host: LanHost | None = None,
                 out: TextIO | None = None, announcer: Announcer | None = None,
                 browser: Callable[..., CallBrowser] = CallBrowser) -> None:
        self._settings = settings
        self.lan_host = lan_host if lan_host is not None else LanHost()
        self._out = out if out is not None else sys.stdout
        self._announcer = announcer if announcer is not None else Announcer()
        self._make_browser = browser
        self._browser: CallBrowser | None = None
        self._window: MainWindow | None = None
        self._tasks = OwnedTasks()
        self.hosted: HostedCall | None = None

    @property
    def discovery_on(self) -> bool:
        return discovery_allowed() and self._settings.discovery_enabled()

    async def start_call(self, display_name: str) -> HostedCall:
        """New call (the controller's host starter): host it, print its invite line and
        announce it."""
        hosted = await self.lan_host.new_call(display_name)
        self.hosted = hosted
        print(hosted.invite_line, file=self._out, flush=True)
        if self.discovery_on:
            self._tasks.spawn(self._announce(hosted, display_name))
        return hosted

    def attach(self, window: MainWindow, controller: SessionController) -> None:
        """Follow the window: the discovery switch, and the hosted call's end."""
        self._window = window
        window.join_view.discoveryToggled.connect(self._discovery_toggled)
        for ended in (controller.sessionLeft, controller.sessionTimedOut,
                      controller.connectionClosed):
            ended.connect(self._call_ended)
        if self.discovery_on:
            self._tasks.spawn(self._browse(True))

    async def close(self) -> None:
        """Withdraw the announcement, stop browsing and stop the LAN server."""
        await self._tasks.drain()
        await self._announcer.close()
        if self._browser is not None:
            await self._browser.stop()
        await self.lan_host.stop()

    # -- internals ----------------------------------------------------------------------

    async def _announce(self, hosted: HostedCall, name: str) -> None:
        try:
            await self._announcer.start(hosted.session_id, name, hosted.port, hosted.addresses)
        except Exception:  # no multicast here: the link still works
            log.exception("could not announce the call on this network")

    def _call_ended(self) -> None:
        self.hosted = None
        if self._announcer.announcing:
            self._tasks.spawn(self._announcer.stop())

    def _discovery_toggled(self, enabled: bool) -> None:
        if not discovery_allowed():
            return
        self._tasks.spawn(self._browse(enabled))
        if not enabled and self._announcer.announcing:
            self._tasks.spawn(self._announcer.stop())

    async def _browse(self, enabled: bool) -> None:
        try:
            if enabled:
                if self._browser is None:
                    self._browser = self._make_browser(self._found)
                await self._browser.start()
            elif self._browser is not None:
                await self._browser.stop()
        except Exception:
            log.exception("LAN discovery failed")

    def _found(self, calls: tuple[object, ...]) -> None:
        if self._window is None:
            return
        own = self.hosted.session_id if self.hosted is not None else None
        shown = [c for c in calls if getattr(c, "session_id", None) != own]
        self._window.join_view.set_nearby_calls(shown)
