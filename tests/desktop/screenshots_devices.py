"""The device scenes of tests/desktop/screenshots.py: the join screen of a machine with
no camera (this one has none: the real preview and pickers), and a call in which a
participant without a camera or microphone shows the others an avatar and a mic-off
badge."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from parley.qt.device_preview import DevicePreview
from parley.qt.options import JoinOptions
from parley.qt.resources import Theme
from parley.sdk import CallSession, SessionSettings
from parley.sdk.settings import Devices
from parley.server import CallServer, ServerConfig

if TYPE_CHECKING:
    from tests.desktop.screenshots import Shoot

Until = Callable[..., Awaitable[None]]


async def devices(shoot: Shoot, until: Until) -> None:
    # The join screen with the real devices (no camera here, whatever PortAudio has).
    window, controller = shoot.window(Theme.LIGHT, "ws://127.0.0.1:1/ws", DevicePreview(),
                                      (1100, 720))
    window.join_view.name_edit.setText("Ada Lovelace")
    window.join_view.session_edit.setText("standup")
    pane = window.join_view.preview
    await until(lambda: pane is not None and "camera" in pane.missing())
    await until(lambda: window.join_view.camera_combo.count() >= 1
                and window.join_view.camera_combo.itemText(0) != "System default")
    await asyncio.sleep(0.5)
    window.grab().save(str(shoot.out / "join-no-camera-light.png"))
    window.close()
    await window.wait_closed()

    # A call: Grace has neither camera nor microphone; Alan has synthetic media.
    server = CallServer(ServerConfig(port=0, state_dir=shoot.scratch / "devstate"))
    await server.start()
    window, controller = shoot.window(Theme.DARK, server.url, size=(1100, 640))
    await controller.join("standup", JoinOptions("Ada Lovelace"), "", "")
    bots = []
    for name, settings in (("Grace Hopper", {"devices": Devices(
            camera="/dev/parley-no-such-camera", microphone="parley-no-such-microphone",
            speaker="null")}), ("Alan Turing", {"fake_media": True})):
        bot = CallSession()
        bots.append(bot)
        await bot.join_session("standup", SessionSettings(display_name=name, **settings),
                               server=server.url)
    grid = window.call_view.grid
    grace = bots[0].local_participant
    assert grace is not None
    await until(lambda: len(grid.tiles()) == 3)
    await until(lambda: grid.tile(grace.id) is not None
                and grid.tile(grace.id).badges() == ["muted"])
    await until(lambda: sum(not t.shows_avatar() for t in grid.tiles()) >= 2)
    await asyncio.sleep(5.0)  # the join toasts fade; the synthetic video sharpens
    window.grab().save(str(shoot.out / "no-microphone-badge-dark.png"))
    for bot in bots:
        await bot.leave_session()
    window.close()
    await window.wait_closed()
    await server.stop()
