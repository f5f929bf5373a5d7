"""The hosting scenes of tests/desktop/screenshots.py: New call with its link, the lobby
(the guest waits), the host's admit prompt, and "Calls on this network"."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from parley.desktop.discovery import DiscoveredCall
from parley.desktop.hosting import LanHost
from parley.qt.controller import SessionController
from parley.qt.options import JoinOptions
from parley.qt.resources import Theme, stylesheet
from parley.qt.settings import AppSettings
from parley.sdk import CallSession
from parley.ui.window import MainWindow

if TYPE_CHECKING:
    from tests.desktop.screenshots import Shoot

SHOWN_ADDRESS = "192.168.1.20"
"""What the invite names in the pictures; the calls themselves run on loopback."""


async def hosting(shoot: Shoot, until: object) -> None:
    from PySide6.QtCore import QSettings

    wait = until  # the screenshots module's until()
    lan = LanHost(secret_dir=shoot.scratch / "cfg", bind="127.0.0.2", port=0,
                  state_dir=shoot.scratch / "lanstate", addresses=lambda: [SHOWN_ADDRESS])
    shoot.app.setStyleSheet(stylesheet(Theme.LIGHT))

    def window(name: str) -> tuple[MainWindow, SessionController]:
        store = QSettings(str(shoot.scratch / f"{name}.ini"), QSettings.Format.IniFormat)
        controller = SessionController(CallSession(), default_server="",
                                       settings_overrides={"fake_media": True},
                                       host_starter=lan.new_call)
        win = MainWindow(controller, AppSettings(store), Theme.LIGHT)
        win.resize(1100, 720)
        win.show()
        return win, controller

    host, host_c = window("host")
    await host_c.newCall(JoinOptions("Ada Lovelace"))
    await wait(lambda: host.hosting_panel.isVisible())  # type: ignore[operator]
    await asyncio.sleep(1.0)
    host.grab().save(str(shoot.out / "new-call-light.png"))

    guest, guest_c = window("guest")
    server = f"ws://127.0.0.2:{lan.server.port if lan.server else 0}/ws"
    guest.join_view.name_edit.setText("Bob")
    guest.join_view.set_nearby_calls([
        DiscoveredCall(host_c.session_id, "Ada Lovelace", server),
        DiscoveredCall("design-review", "Grace Hopper", "ws://192.168.1.31:8788/ws")])
    await asyncio.sleep(0.3)
    guest.grab().save(str(shoot.out / "calls-on-this-network-light.png"))
    guest.join_view.nearby.choose(0)
    await wait(lambda: bool(host.admit_prompt.texts()))  # type: ignore[operator]
    await asyncio.sleep(0.5)
    guest.grab().save(str(shoot.out / "lobby-light.png"))
    host.grab().save(str(shoot.out / "admit-prompt-light.png"))
    for controller in (guest_c, host_c):
        await controller.leave()
    for win in (guest, host):
        win.close()
        await win.wait_closed()
    await lan.stop()
