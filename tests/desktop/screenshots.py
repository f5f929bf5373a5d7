"""Regenerate docs/screenshots/ with the real app classes, server and synthetic media.

Run under a display (e.g. ``Xvfb :99 &``)::

    DISPLAY=:99 .venv/bin/python -m tests.desktop.screenshots [OUT_DIR [SCENE ...]]

SCENE is any of join, call, share, sixteen, hosting, details, unreachable, devices
(default: all).
"details" takes the issue-16 pictures: a small join window, the chat with an unread badge,
the 1:1 floating self view, speaker view with a pin, your own screen share (picker with
real X windows, the bar, the border), the idle warning, settings and About.

Not a test: it only takes pictures, which a person then looks at.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from parley.qt.controller import SessionController
from parley.qt.device_preview import DevicePreview
from parley.qt.options import JoinOptions
from parley.qt.resources import Theme, stylesheet
from parley.qt.settings import AppSettings, configure_application
from parley.sdk import CallSession, SessionSettings
from parley.server import CallServer, ServerConfig
from parley.ui.window import MainWindow

NAMES = ("Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra",
         "Barbara Liskov", "Donald Knuth", "Margaret Hamilton", "John McCarthy",
         "Frances Allen", "Ken Thompson", "Radia Perlman", "Dennis Ritchie", "Hedy Lamarr",
         "Tim Berners-Lee", "Adele Goldberg")


async def _not_hosting(name: str) -> object:
    raise OSError("these scenes show New call but never press it")


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen never got there")
        await asyncio.sleep(0.05)


class Shoot:
    def __init__(self, app: QApplication, out: Path, scratch: Path) -> None:
        self.app, self.out, self.scratch = app, out, scratch

    def window(self, theme: Theme, url: str, preview: DevicePreview | None = None,
               size: tuple[int, int] = (1200, 760)) -> tuple[MainWindow, SessionController]:
        self.app.setStyleSheet(stylesheet(theme))
        store = QSettings(str(self.scratch / f"{time.monotonic_ns()}.ini"),
                          QSettings.Format.IniFormat)
        controller = SessionController(CallSession(), default_server=url,
                                       settings_overrides={"fake_media": True},
                                       host_starter=_not_hosting)  # type: ignore[arg-type]
        window = MainWindow(controller, AppSettings(store), theme, preview)
        window.resize(*size)
        window.show()
        return window, controller

    async def join_screens(self) -> None:
        window, _ = self.window(Theme.LIGHT, "ws://127.0.0.1:1/ws",
                                DevicePreview(fake_media=True), (1100, 720))
        window.join_view.name_edit.setText("Ada Lovelace")
        window.join_view.session_edit.setText("standup")
        pane = window.join_view.preview
        await until(lambda: pane is not None and pane.picture.image() is not None)
        await asyncio.sleep(0.5)
        window.grab().save(str(self.out / "join-light.png"))
        window.close()
        await window.wait_closed()
        window, _ = self.window(Theme.DARK, "ws://127.0.0.1:1/ws", size=(1000, 720))
        window.join_view.name_edit.setText("Ada Lovelace")
        window.join_view.session_edit.setText("standup")
        window.join_view.show_error("Can't reach the call server at ws://10.0.0.9:8787/ws. "
                                    "Check the address and your network.")
        await asyncio.sleep(0.3)
        window.grab().save(str(self.out / "join-dark-error.png"))
        window.close()
        await window.wait_closed()

    async def call(self, theme: Theme, share: bool) -> None:
        state = self.scratch / "state"
        server = CallServer(ServerConfig(port=0, state_dir=state))
        await server.start()
        port = server.port
        window, controller = self.window(theme, server.url)
        await controller.join("standup", JoinOptions("Ada Lovelace"), "", "")
        if not share:  # your own tile shows your own state: muted, hand up
            controller.session.mute_audio()
            controller.session.raise_hand()
        bots: list[CallSession] = []
        for name, settings in (("Grace Hopper", {"fake_media": True}),
                               ("Alan Turing", {"media": False, "start_audio_muted": True}),
                               ("Katherine Johnson", {"media": False,
                                                      "start_video_paused": True})):
            bot = CallSession()
            bots.append(bot)
            await bot.join_session("standup", SessionSettings(display_name=name, **settings),
                                   server=server.url)
        bots[2].raise_hand()
        if share:
            await bots[0].start_screen_share()
        grid = window.call_view.grid
        await until(lambda: len(grid.tiles()) == 4)
        await until(lambda: sum(not t.shows_avatar() for t in grid.tiles()) >= 2)
        if not share:
            await until(lambda: grid.tiles()[0].badges() == ["muted", "hand"])
        await asyncio.sleep(1.5)
        local = bots[0].local_participant
        grid.set_dominant(local.id if local else "")
        window.call_view.toggle_panel()
        await asyncio.sleep(0.3)
        window.grab().save(str(self.out / f"call-{theme.value}{'-share' if share else ''}.png"))
        window.call_view.toggle_panel()
        if not share:
            await server.stop(graceful=False)
            await until(lambda: window.call_view.overlay.isVisible(), 10)
            await asyncio.sleep(2.2)
            window.grab().save(str(self.out / f"reconnecting-{theme.value}.png"))
            server = CallServer(ServerConfig(port=port, state_dir=state))
            await server.start()
            await until(lambda: not window.call_view.overlay.isVisible(), 15)
        for bot in bots:
            await bot.leave_session()
        window.close()
        await window.wait_closed()
        await server.stop()

    async def sixteen(self) -> None:
        server = CallServer(ServerConfig(port=0, state_dir=self.scratch / "state16"))
        await server.start()
        window, controller = self.window(Theme.LIGHT, server.url, size=(1280, 800))
        await controller.join("allhands", JoinOptions("Ada Lovelace"), "", "")
        bots = []
        for i, name in enumerate(NAMES):
            bot = CallSession()
            bots.append(bot)
            await bot.join_session("allhands", SessionSettings(
                display_name=name, media=False, start_audio_muted=i % 3 == 0,
                start_video_paused=True), server=server.url)
        bots[4].raise_hand()
        grid = window.call_view.grid
        await until(lambda: len(grid.tiles()) == 16 and not grid.tiles()[0].shows_avatar())
        local = bots[2].local_participant
        grid.set_dominant(local.id if local else "")
        await asyncio.sleep(0.5)
        window.grab().save(str(self.out / "call-16-light.png"))
        for bot in bots:
            await bot.leave_session()
        window.close()
        await window.wait_closed()
        await server.stop()


    async def details(self) -> None:
        from parley.ui.grid import Layout

        def save(widget: object, name: str) -> None:
            widget.grab().save(str(self.out / f"{name}.png"))  # type: ignore[attr-defined]

        # A small window: the join form scrolls, the preview goes above it.
        window, _ = self.window(Theme.LIGHT, "ws://127.0.0.1:1/ws",
                                DevicePreview(fake_media=True), (640, 480))
        window.join_view.name_edit.setText("Ada Lovelace")
        window.join_view.session_edit.setText("standup")
        pane = window.join_view.preview
        await until(lambda: pane is not None and pane.picture.image() is not None)
        await asyncio.sleep(0.5)
        save(window, "join-small-light")
        window.close()
        await window.wait_closed()

        server = CallServer(ServerConfig(port=0, state_dir=self.scratch / "state-d"))
        await server.start()
        # The idle warning, alone in a call (a short idle timeout warns at once).
        window, controller = self.window(Theme.LIGHT, server.url, size=(1100, 700))
        controller.settings_overrides["idle_timeout_period"] = 58.0
        await controller.join("standup", JoinOptions("Ada Lovelace"), "", "")
        call = window.call_view
        await until(call.idle_bar.isVisible)
        await asyncio.sleep(0.5)
        save(window, "idle-warning-light")
        # 1:1: the other person large, your own view floating in a corner.
        grace = CallSession()
        await grace.join_session("standup", SessionSettings("Grace Hopper", fake_media=True),
                                 server=server.url)
        grid = call.grid
        await until(lambda: grid.mode() == "floating"
                    and not any(t.shows_avatar() for t in grid.tiles()))
        await until(lambda: any(t.quality() for t in grid.tiles()), 10)
        await asyncio.sleep(1.0)
        save(window, "one-to-one-light")
        # Chat: a message with a link, an unread badge; then the panel open.
        grace.send_chat("Slides are here: https://example.org/standup — 5 minutes?")
        await until(lambda: call.controls.unread() == 1)
        alan = CallSession()
        await alan.join_session("standup", SessionSettings("Alan Turing", media=False,
                                                           start_audio_muted=True),
                                server=server.url)
        await until(lambda: len(grid.tiles()) == 3)
        alan.send_chat("<b>not bold</b> - markup shows as typed")
        await until(lambda: call.controls.unread() == 2)
        await asyncio.sleep(0.3)
        save(window, "chat-unread-light")
        call.toggle_chat()
        controller.chat.send("Looks good, thanks!")
        await until(lambda: len(call.chat.messages()) == 3)
        await asyncio.sleep(0.3)
        save(window, "chat-light")
        call.toggle_chat()
        # Speaker view, and a pin.
        grid.set_layout(Layout.SPEAKER)
        grid.pin(alan.local_participant.id if alan.local_participant else "")
        alan.raise_hand()
        await asyncio.sleep(0.8)
        save(window, "speaker-pinned-light")
        grid.pin(grid.pinned_id())
        grid.set_layout(Layout.GRID)
        # Your own screen share: the bar and the border (and the picker before it).
        window.open_share_picker()
        await asyncio.sleep(1.0)
        if window.dialog is not None:
            save(window.dialog, "share-picker-light")
            window.dialog.accept()  # type: ignore[attr-defined]
        await until(lambda: controller.session.screen_sharing, 10)
        await until(call.sharing_bar.isVisible)
        await asyncio.sleep(1.0)
        save(window, "sharing-light")
        await controller.session.stop_screen_share()
        window.open_settings()
        await asyncio.sleep(0.5)
        if window.dialog is not None:
            save(window.dialog, "settings-light")
            window.dialog.reject()  # type: ignore[attr-defined]
        window.open_about()
        await asyncio.sleep(0.3)
        if window.dialog is not None:
            save(window.dialog, "about-light")
            window.dialog.reject()  # type: ignore[attr-defined]
        for bot in (grace, alan):
            await bot.leave_session()
        window.close()
        await window.wait_closed()
        await server.stop()


    async def unreachable(self) -> None:
        """Media that never connects is said: both sides keep their addresses private and
        have no STUN or TURN server, so no path exists; after 10 s the tile says so."""
        server = CallServer(ServerConfig(port=0, state_dir=self.scratch / "state-u"))
        await server.start()
        window, controller = self.window(Theme.LIGHT, server.url, size=(1000, 640))
        controller.settings_overrides["hide_host_addresses"] = True
        await controller.join("standup", JoinOptions("Ada Lovelace"), "", "")
        bob = CallSession()
        await bob.join_session("standup", SessionSettings(
            "Bob Kahn", fake_media=True, hide_host_addresses=True), server=server.url)
        grid = window.call_view.grid
        await until(lambda: any(t.notice() for t in grid.tiles()), 20)
        await asyncio.sleep(0.5)
        window.grab().save(str(self.out / "media-unreachable-light.png"))
        await bob.leave_session()
        window.close()
        await window.wait_closed()
        await server.stop()


SCENES = ("join", "call", "share", "sixteen", "hosting", "details", "unreachable",
          "devices")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    scenes = argv[1:] or SCENES
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    configure_application()
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def everything(scratch: Path) -> None:
        shoot = Shoot(app, out, scratch)
        if "join" in scenes:
            await shoot.join_screens()
        if "call" in scenes:
            await shoot.call(Theme.DARK, share=False)
        if "share" in scenes:
            await shoot.call(Theme.LIGHT, share=True)
        if "sixteen" in scenes:
            await shoot.sixteen()
        if "hosting" in scenes:
            from tests.desktop.screenshots_hosting import hosting

            await hosting(shoot, until)
        if "details" in scenes:
            await shoot.details()
        if "unreachable" in scenes:
            await shoot.unreachable()
        if "devices" in scenes:
            from tests.desktop.screenshots_devices import devices

            await devices(shoot, until)

    with tempfile.TemporaryDirectory() as scratch, loop:
        loop.run_until_complete(everything(Path(scratch)))
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
