"""SessionController: the one bridge between the Qt-free SDK and the widgets.

It keeps the call's lifecycle state, offers the actions as qasync ``@asyncSlot``s and
emits a derived state (session state, busy) only when it changes. SDK callbacks run on
the loop's thread, under qasync the Qt main thread. It composes ``participants``
(ParticipantFeed: everyone, and your own media), ``video`` (VideoFeed), ``own_media``
(the buttons), ``lobby``, ``hosting``, ``devices`` and ``test_call``. ``dispose()``,
called when the main window closes, removes every listener and the video sink, so none
outlives its window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from parley.qt.chat import ChatFeed
from parley.qt.conversions import session_settings
from parley.qt.device_feed import DeviceFeed
from parley.qt.hosting import Hosting, HostStarter
from parley.qt.lobby import LobbyFeed
from parley.qt.options import JoinOptions
from parley.qt.own_actions import OwnMediaActions
from parley.qt.participants import ParticipantFeed
from parley.qt.problems import Problem, ProblemKind, join_problem
from parley.qt.quality import QualityFeed
from parley.qt.slots import async_slot
from parley.qt.testcall import EchoStarter, TestCall
from parley.qt.video import VideoFeed
from parley.sdk import (
    CallSession,
    MediaEventListener,
    SessionState,
    SessionStatusListener,
)
from parley.sdk.devices import DeviceService
from parley.sdk.tasks import OwnedTasks

log = logging.getLogger(__name__)

_ACTIVE = (SessionState.CONNECTING, SessionState.JOINED, SessionState.RECONNECTING)

class SessionController(QObject):
    """Qt face of one call: SDK listeners in, Qt signals out, async slots for actions."""

    sessionJoined = Signal()
    sessionLeft = Signal()
    sessionTimedOut = Signal()
    connectionLost = Signal()
    connectionRestored = Signal()
    connectionClosed = Signal()
    stateChanged = Signal(object)  # SessionState
    joinFailed = Signal(object)  # Problem
    mediaError = Signal(object)  # Problem
    busyChanged = Signal(bool)  # a join is in progress
    hostingStarted = Signal(object)  # HostedCallLike: you host this call (New call)
    idleWarning = Signal(float)  # seconds left before the idle timeout ends the call

    def __init__(self, session: CallSession | None = None, *, default_server: str = "",
                 devices: DeviceService | None = None, echo_starter: EchoStarter | None = None,
                 settings_overrides: Mapping[str, Any] | None = None,
                 host_starter: HostStarter | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session if session is not None else CallSession.get_instance()
        self.default_server = default_server  # when the join form leaves it empty
        # Extra SessionSettings for every join, e.g. fake_media=True (--fake-media).
        self.settings_overrides = dict(settings_overrides or {})
        self.devices = DeviceFeed(devices, parent=self)
        """The devices for the pickers (``refresh``, ``devicesChanged``)."""
        self._tasks = OwnedTasks()
        self.test_call = TestCall(self._tasks, echo_starter)
        self.participants = ParticipantFeed(self._session, parent=self)
        """Who is in the call, and your own media, as signals."""
        self.video = VideoFeed(self._session, parent=self)
        """Everyone's video as QImages for their tiles."""
        self.video.follow(self.participants)
        self.lobby = LobbyFeed(self._session, parent=self)
        """Ask to join: your wait in a lobby, and (hosting) who knocks."""
        self.own_media = OwnMediaActions(self._joined, lambda: self.participants.own,
                                         self.mediaError.emit, parent=self)
        """The buttons for your own mic, camera, hand and screen share."""
        self.hosting = Hosting(host_starter)
        self.chat = ChatFeed(self._session, parent=self)
        """The call's chat."""
        self.quality = QualityFeed(self._session, parent=self)
        """Everyone's network quality, from the session's stats."""
        self._state = self._session.state
        self._busy = False
        self._disposed = False
        self._server_url = ""
        relay = self._status_event
        self._status = SessionStatusListener(
            on_session_joined=relay(self.sessionJoined), on_session_left=relay(self.sessionLeft),
            on_session_timed_out=relay(self.sessionTimedOut),
            on_connection_lost=relay(self.connectionLost),
            on_connection_restored=relay(self.connectionRestored),
            on_connection_closed=relay(self.connectionClosed),
            on_idle_warning=self.idleWarning.emit)
        self._media = MediaEventListener(on_device_error=self._on_device_error)
        self._session.add_session_status_listener(self._status)
        self._session.add_media_event_listener(self._media)

    # -- what the widgets read ---------------------------------------------------------

    @property
    def session(self) -> CallSession:
        """The CallSession this controller bridges."""
        return self._session

    @property
    def state(self) -> SessionState:
        """The session's state, as last announced by ``stateChanged``."""
        return self._state

    @property
    def disposed(self) -> bool:
        return self._disposed

    @property
    def session_id(self) -> str:
        return self._session.session_id or ""

    @property
    def server_url(self) -> str:
        """The server of the call being joined or held (or last held); "" before any."""
        return self._server_url

    @property
    def reconnect_timeout(self) -> float:
        """Seconds the session keeps trying after a lost connection (this call's)."""
        settings = self._session.settings
        return settings.reconnect_timeout if settings is not None else 30.0

    def invite_link(self) -> str:
        """The invite link of the current call ("" when not in one, or in a test call)."""
        if not self.session_id or self.test_call.active:
            return ""
        return self.hosting.invite_link(self.session_id, self._server_url)

    # -- entry points (slots) ----------------------------------------------------------

    @async_slot(str, object, str, str)
    async def join(self, session_id: str, options: object, server: str, token: str) -> None:
        """Join ``session_id``; ends in sessionJoined or joinFailed."""
        if not self._busy:
            self.test_call.active = False
        await self._join(session_id, options, server, token)

    @async_slot(object)
    async def startTestCall(self, options: object) -> None:  # noqa: N802 - Qt naming
        """Join a private call of one's own and bring in the echo participant."""
        if self._busy:
            return
        self.test_call.active = True
        if await self._join(self.test_call.new_session_id(), options, "", ""):
            problem = await self.test_call.bring_echo(self._session)
            if problem is not None:
                self.mediaError.emit(problem)

    @async_slot(object)
    async def newCall(self, options: object) -> None:  # noqa: N802 - Qt naming
        """Host a new call on this machine and join it as its host (New call)."""
        if self._busy or not self.hosting.available or not isinstance(options, JoinOptions):
            return
        self.test_call.active = False
        hosted = await self.hosting.start(options.display_name)
        if isinstance(hosted, Problem):
            self.joinFailed.emit(hosted)
        elif await self._join(hosted.session_id, options, hosted.server, hosted.token):
            self.hostingStarted.emit(hosted)
        else:
            self.hosting.hosted = None

    @async_slot()
    async def endForEveryone(self) -> None:  # noqa: N802
        """(Hosts) end the call for everybody; ends in sessionLeft."""
        await self._session.end_call_for_everyone()
        self._sync_state()

    @async_slot()
    async def leave(self) -> None:
        """Leave the call (idempotent); ends in sessionLeft."""
        await self._session.leave_session()
        self._sync_state()

    @async_slot()
    async def stay(self) -> None:
        """Still here: the idle timer starts again (after ``idleWarning``)."""
        self._session.stay()

    def dispose(self) -> None:
        """Remove every listener and the video sink (idempotent); a call still in
        progress is left in an owned task, which ``wait_closed`` awaits."""
        if self._disposed:
            return
        self._disposed = True
        session = self._session
        session.remove_session_status_listener(self._status)
        session.remove_media_event_listener(self._media)
        for part in (self.participants, self.video, self.lobby, self.devices, self.chat):
            part.dispose()
        self.quality.stop()
        if session.state in _ACTIVE:
            self._tasks.spawn(session.leave_session())
        self.test_call.dismiss()

    async def wait_closed(self) -> None:
        """Wait for the work ``dispose`` left running (leaving the call)."""
        await self._tasks.drain()

    # -- internals ---------------------------------------------------------------------

    async def _join(self, session_id: str, options: object, server: str, token: str) -> bool:
        if self._disposed or self._busy:
            return False
        url = server.strip() or self.default_server
        if not url:
            self.joinFailed.emit(Problem(ProblemKind.NO_SERVER))
            return False
        try:
            settings = session_settings(options, self.settings_overrides)
        except (TypeError, ValueError) as exc:
            self.joinFailed.emit(Problem(ProblemKind.INVALID_SETTINGS, str(exc)))
            return False
        self._set_busy(True)
        self._server_url = url
        self.video.clear()
        try:
            await self._session.join_session(session_id, settings, server=url,
                                             token=token or None)
        except Exception as exc:  # a UI boundary: every failure becomes a message
            log.info("join %s on %s failed: %r", session_id, url, exc, exc_info=True)
            if (problem := join_problem(exc, url, token_given=bool(token))) is not None:
                self.joinFailed.emit(problem)
            return False
        finally:
            self._set_busy(False)
            self._sync_state()
        self.participants.refresh()
        return self._session.state is SessionState.JOINED

    def _joined(self) -> CallSession | None:
        session = self._session
        return session if session.state is SessionState.JOINED and not self._disposed else None

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _sync_state(self) -> None:
        state = self._session.state
        if state is not self._state:
            log.debug("session state %s -> %s", self._state.name, state.name)
            self._state = state
            self.stateChanged.emit(state)

    def _status_event(self, signal: SignalInstance) -> Callable[[], None]:
        def relay() -> None:
            self._sync_state()
            if self._session.state is SessionState.ENDED:
                self.test_call.dismiss()
                self.hosting.hosted = None
                self.lobby.clear()
                self.quality.stop()
            elif self._session.state is SessionState.JOINED:
                self.quality.start()
            signal.emit()

        return relay

    def _on_device_error(self, kind: str, message: str) -> None:
        self.mediaError.emit(Problem(ProblemKind.DEVICE_FAILED, message, device=kind))
