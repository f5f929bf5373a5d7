"""Running the desktop app: QApplication, qasync loop, embedded server, main window.

The loop runs until the main window closes; then the call is left, the SDK
listeners are gone (the window disposed its controller) and the embedded
server stops, in that order, before the process exits. The same happens when the
display goes away under the app (the X server or the compositor died): then it
says so in one line and exits with EXIT_DISPLAY_LOST.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop as QEventLoop_
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from parley.desktop.display import DisplayWatch
from parley.desktop.hosting_app import HostingService
from parley.desktop.instance import SingleInstance, hand_over
from parley.desktop.logfile import setup_logging
from parley.qt.controller import SessionController
from parley.qt.device_preview import DevicePreview
from parley.qt.options import JoinOptions
from parley.qt.resources import app_icon, resolve_theme, stylesheet
from parley.qt.settings import AppSettings, configure_application
from parley.sdk import CallSession
from parley.sdk.devices import DeviceService
from parley.sdk.echo import start_echo
from parley.server import CallServer, ServerConfig
from parley.ui.window import MainWindow

log = logging.getLogger(__name__)

LEAVE_GRACE = 5.0
"""Seconds the app waits for the call to be left after its window closed."""
EXIT_DISPLAY_LOST = 3


async def start_embedded_server(preferred_port: int) -> CallServer:
    """A call server on 127.0.0.1: the preferred port, or any free one if it is taken.

    It answers only to this launch of the app: its URL carries a per-launch access
    key (another local user, or a web page, cannot join its calls), and it checks
    ``Origin``."""
    key = secrets.token_urlsafe(24)
    for port in dict.fromkeys((preferred_port, 0)):
        server = CallServer(ServerConfig(host="127.0.0.1", port=port, access_key=key))
        try:
            await server.start()
        except OSError as exc:
            log.info("port %s is taken (%s); trying another", port, exc)
            continue
        return server
    raise OSError("could not start the built-in call server on any port")


class App:
    """One run of the app: the window, its controller, the built-in server."""

    def __init__(self, args: argparse.Namespace, settings: AppSettings,
                 log_file: Path | None) -> None:
        self.args = args
        self.settings = settings
        self.log_file = log_file
        self.closed = asyncio.Event()
        self.window: MainWindow | None = None
        self.display_lost: str | None = None

    def lose_display(self, message: str) -> None:
        """Qt says the display is gone (from inside Qt: only note it here)."""
        if self.display_lost is None:
            self.display_lost = message
            log.warning("the display went away: %s", message)
            # Said at once: on some paths (an X I/O error) Qt exits right after. Straight
            # to fd 2: Qt may call this from its own thread while the loop's thread writes
            # to sys.stderr, and two threads writing one TextIOWrapper can lose a line.
            line = f"parley: the display went away ({message.strip()}); leaving the call.\n"
            os.write(2, line.encode("utf-8", "replace"))

    def leave_without_display(self) -> None:
        """Leave the call as closing the window would, without touching the window."""
        if self.window is not None:
            self.window.shut_down()
        self.closed.set()

    def handed_over(self, window: MainWindow, request: dict[str, str]) -> None:
        """Another start gave us its link (or just wants the window up)."""
        log.info("event=handed_over session=%s", request.get("session", ""))
        if request.get("new_call") and not window.in_call:
            window.open_link_none()
            host_at_once(window, request.get("name", ""))
        elif request.get("session"):
            window.open_link(request["session"], request.get("server", ""),
                             request.get("token", ""), request.get("name", ""))
        else:
            window.open_link_none()

    async def serve(self, instance: SingleInstance) -> int:
        """The app's life: server up, window shown, wait for it to close, tear down."""
        args = self.args
        server: CallServer | None = None
        url: str = args.server or ""  # main() normalised it
        if not url:
            server = await start_embedded_server(args.port)
            url = server.url
        hosting = HostingService(self.settings)
        controller = SessionController(CallSession(), default_server=url,
                                       devices=DeviceService.synthetic() if args.fake_media
                                       else None, echo_starter=start_echo,
                                       settings_overrides={"fake_media": args.fake_media},
                                       host_starter=hosting.start_call)
        preview = DevicePreview(fake_media=args.fake_media)
        theme = resolve_theme(self.settings.load_app().theme)
        window = self.window = MainWindow(controller, self.settings, theme, preview,
                                          log_file=self.log_file)
        hosting.attach(window, controller)
        window.closed.connect(self.closed.set)
        instance.requested.connect(lambda request: self.handed_over(window, request))
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, window.close)
            loop.add_signal_handler(signal.SIGTERM, window.close)
        except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
            pass
        window.show()
        if args.session:
            open_session(window, args)
        elif args.new_call:
            host_at_once(window, args.name or "")
        try:
            await self.closed.wait()
            try:  # leaving must not keep a closed window's process alive forever
                await asyncio.wait_for(window.wait_closed(), LEAVE_GRACE)
            except TimeoutError:
                log.warning("leaving the call took over %s s; quitting anyway", LEAVE_GRACE)
        finally:
            instance.close()
            await hosting.close()
            if server is not None:
                await server.stop()
        return EXIT_DISPLAY_LOST if self.display_lost else 0


def host_at_once(window: MainWindow, name: str) -> None:
    """``--new-call``: what the New call button does, with the name given."""
    form = window.join_view
    if name:
        form.name_edit.setText(name)
    if not form.name_edit.text().strip():
        form.name_edit.setText("Host")
    form.new_call_button.click()


def open_session(window: MainWindow, args: argparse.Namespace) -> None:
    """``--session``: the join screen filled in from the link (its server, else --server,
    else the built-in one); ``--join`` also joins, when a name is known."""
    form = window.join_view
    if not form.fill_from_link(args.session, args.server or "", args.token or "",
                               args.name or ""):
        return
    name = form.name_edit.text().strip()
    if not args.join or not name:
        return  # the form asks for a name (never "Guest"), or waits for Join
    prefs = form.preferences()
    options = JoinOptions(display_name=name, start_audio_muted=prefs.start_audio_muted,
                          start_video_paused=prefs.start_video_paused, camera=prefs.camera,
                          microphone=prefs.microphone, speaker=prefs.speaker,
                          alternates=form.linked.alternates_for(form.server_edit.text()))
    window.request_join(form.session_edit.text(), options, form.server_edit.text(),
                        form.token_edit.text())


def finish_without_display(app: QApplication, loop: asyncio.AbstractEventLoop,
                           task: asyncio.Task[int], runner: App) -> int:
    """Leave the call and stop the server with the display gone: ``loop`` (qasync's,
    made the running loop as qasync itself does) is driven by processing Qt's events
    until ``task`` is done, for at most LEAVE_GRACE and a server stop."""
    asyncio._set_running_loop(loop)  # the loop implementer's hook (qasync's own)
    try:
        loop.call_soon(runner.leave_without_display)
        deadline = time.monotonic() + LEAVE_GRACE + 5.0
        while not task.done() and time.monotonic() < deadline:
            app.processEvents(QEventLoop_.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)  # the broken display's dispatcher never waits for events
    finally:
        asyncio._set_running_loop(None)
    if not task.done():
        log.warning("could not finish leaving the call without a display")
        return EXIT_DISPLAY_LOST
    return task.result()


def run(args: argparse.Namespace) -> int:
    """Build the QApplication and run the app on a qasync loop; the exit code."""
    log_file = setup_logging()
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    holder: list[App] = []
    watch = DisplayWatch(lambda message: holder[0].lose_display(message) if holder else None)
    watch.install()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application()
    request = {"session": args.session, "server": args.server, "token": args.token,
               "name": args.name, "new_call": "1" if args.new_call and not args.session else ""}
    if hand_over({k: v for k, v in request.items() if v}):
        print("parley: Parley is already running; it has the invite now." if args.session
              else "parley: Parley is already running; it hosts the new call (its invite "
              "line is on that Parley's output)." if args.new_call
              else "parley: Parley is already running.", file=sys.stderr)
        return 0
    instance = SingleInstance()
    instance.listen()
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the loop ends when serve() returns, not before
    settings = AppSettings()
    if args.theme:
        prefs = settings.load_app()
        prefs.theme = args.theme
        settings.save_app(prefs)
    app.setStyleSheet(stylesheet(resolve_theme(settings.load_app().theme)))
    runner = App(args, settings, log_file)
    holder.append(runner)
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        task = loop.create_task(runner.serve(instance))
        task.add_done_callback(lambda _: loop.stop())
        # run_forever, not run_until_complete: when the display dies Qt quits its loop,
        # and run_until_complete would then process Qt's events with no running loop.
        loop.run_forever()
        if not task.done():
            if runner.display_lost is None:
                raise RuntimeError("the event loop stopped before the app finished")
            code = finish_without_display(app, loop, task, runner)
        else:
            code = task.result()
    if runner.display_lost is not None:
        print("parley: left the call and quit.", file=sys.stderr)
    watch.uninstall()
    return code
