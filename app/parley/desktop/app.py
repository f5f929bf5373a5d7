"""Running the desktop app: QApplication, qasync loop, embedded server, main window.

The loop runs until the main window closes; then the call is left, the SDK
listeners are gone (the window disposed its controller) and the embedded
server stops, in that order, before the process exits.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from parley.desktop.hosting_app import HostingService
from parley.protocol.invites import parse_invite
from parley.qt.controller import SessionController
from parley.qt.device_preview import DevicePreview
from parley.qt.options import JoinOptions
from parley.qt.resources import Theme, app_icon, stylesheet
from parley.qt.settings import AppSettings, configure_application
from parley.sdk import CallSession
from parley.sdk.echo import start_echo
from parley.server import CallServer, ServerConfig
from parley.ui.window import MainWindow

log = logging.getLogger(__name__)

LEAVE_GRACE = 5.0
"""Seconds the app waits for the call to be left after its window closed."""


async def start_embedded_server(preferred_port: int) -> CallServer:
    """A call server on 127.0.0.1: the preferred port, or any free one if it is taken."""
    for port in dict.fromkeys((preferred_port, 0)):
        server = CallServer(ServerConfig(host="127.0.0.1", port=port))
        try:
            await server.start()
        except OSError as exc:
            log.info("port %s is taken (%s); trying another", port, exc)
            continue
        return server
    raise OSError("could not start the built-in call server on any port")


def apply_theme(app: QApplication, theme: Theme) -> None:
    app.setStyleSheet(stylesheet(theme))


async def serve(args: argparse.Namespace, app: QApplication, theme: Theme,
                settings: AppSettings) -> int:
    """The app's life: server up, window shown, wait for it to close, tear down."""
    server: CallServer | None = None
    url: str = args.server or ""  # main() normalised it
    if not url:
        server = await start_embedded_server(args.port)
        url = server.url
    hosting = HostingService(settings)
    controller = SessionController(CallSession(), default_server=url, echo_starter=start_echo,
                                   settings_overrides={"fake_media": args.fake_media},
                                   host_starter=hosting.start_call)
    preview = DevicePreview(fake_media=args.fake_media)
    window = MainWindow(controller, settings, theme, preview)
    hosting.attach(window, controller)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, window.close)
        loop.add_signal_handler(signal.SIGTERM, window.close)
    except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
        pass
    window.show()
    if args.session:
        join_at_once(window, args)
    elif args.new_call:
        host_at_once(window, args)
    try:
        await closed.wait()
        try:  # leaving must not keep a closed window's process alive forever
            await asyncio.wait_for(window.wait_closed(), LEAVE_GRACE)
        except TimeoutError:
            log.warning("leaving the call took over %s s; quitting anyway", LEAVE_GRACE)
    finally:
        await hosting.close()
        if server is not None:
            await server.stop()
    return 0


def host_at_once(window: MainWindow, args: argparse.Namespace) -> None:
    """``--new-call``: what the New call button does, with the name given."""
    form = window.join_view
    if args.name:
        form.name_edit.setText(args.name)
    if not form.name_edit.text().strip():
        form.name_edit.setText("Host")
    form.new_call_button.click()


def join_at_once(window: MainWindow, args: argparse.Namespace) -> None:
    """``--session``: fill the form (so a failure leaves it ready to retry) and join."""
    form = window.join_view
    form.session_edit.setText(args.session)
    if args.name:
        form.name_edit.setText(args.name)
    try:
        invite = parse_invite(args.session)
    except ValueError as exc:
        form.show_error(str(exc))
        return
    name = form.name_edit.text().strip() or "Guest"
    prefs = form.preferences()
    options = JoinOptions(display_name=name, start_audio_muted=prefs.start_audio_muted,
                          start_video_paused=prefs.start_video_paused, camera=prefs.camera,
                          microphone=prefs.microphone, speaker=prefs.speaker)
    server = invite.server or args.server or ""
    window.request_join(invite.session_id, options, server, invite.token or args.token or "")


def run(args: argparse.Namespace) -> int:
    """Build the QApplication and run the app on a qasync loop; the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("parley").setLevel(logging.INFO)  # ours; aiortc/aioice stay quiet
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure_application()
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the loop ends when serve() returns, not before
    settings = AppSettings()
    theme = Theme(args.theme or settings.theme() or Theme.LIGHT.value)
    settings.set_theme(theme.value)
    apply_theme(app, theme)
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code: int = loop.run_until_complete(serve(args, app, theme, settings))
    return code
