"""SessionController: the one bridge between the Qt-free SDK and the widgets.

It registers SDK listeners on a CallSession and re-emits every callback as a Qt
signal; its entry points are qasync ``@asyncSlot``s. SDK callbacks run on the
asyncio loop's thread, which under qasync is the Qt main thread, so signals are
emitted directly. ``dispose()`` removes every listener and the video sink; the
main window calls it when it closes, so no listener outlives its window.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot
from PySide6.QtGui import QImage

from parley.protocol.invites import format_invite
from parley.qt.conversions import join_failure_text, session_settings
from parley.qt.frames import FrameThrottle, RgbFrame, rgb_to_qimage
from parley.qt.options import DeviceLists
from parley.qt.slots import async_slot
from parley.sdk import (
    CallSession,
    JoinError,
    JoinFailure,
    MediaEventListener,
    Participant,
    ParticipantEventListener,
    SessionState,
    SessionStatusListener,
)

log = logging.getLogger(__name__)

_ACTIVE = (SessionState.CONNECTING, SessionState.JOINED, SessionState.RECONNECTING)
# Participant events that only change a participant's flags: one participantUpdated each.
_PARTICIPANT_UPDATES = (
    "on_audio_muted", "on_audio_unmuted", "on_video_paused", "on_video_resumed",
    "on_participant_reconnecting", "on_participant_restored", "on_hand_raised",
    "on_hand_lowered", "on_screen_share_started", "on_screen_share_stopped",
)
# Own media events: each may change what the control bar shows.
_OWN_MEDIA_EVENTS = (
    "on_audio_muted", "on_audio_unmuted", "on_video_paused", "on_video_resumed",
    "on_screen_share_started", "on_screen_share_stopped",
)

EchoStarter = Callable[[CallSession], Awaitable["CallSession | None"]]
"""Brings an echo participant into the session the controller just joined; returns the
echo's own session (left with the call), e.g. ``parley.sdk.echo.start_echo``."""


class SessionController(QObject):
    """Qt face of one call: SDK listeners in, Qt signals out, async slots for actions."""

    sessionJoined = Signal()
    sessionLeft = Signal()
    sessionTimedOut = Signal()
    connectionLost = Signal()
    connectionRestored = Signal()
    connectionClosed = Signal()
    participantJoined = Signal(object)
    participantLeft = Signal(object)
    participantUpdated = Signal(object)
    participantsChanged = Signal(list)
    frameReady = Signal(str, QImage)  # participant id, the frame (a copy)
    stateChanged = Signal(str)
    joinFailed = Signal(str)
    mediaError = Signal(str)
    dominantSpeakerChanged = Signal(str)  # participant id, "" for nobody
    localStateChanged = Signal()  # own mic / camera / screen share / hand changed
    busyChanged = Signal(bool)  # a join is in progress
    devicesChanged = Signal(object)  # DeviceLists

    def __init__(
        self,
        session: CallSession | None = None,
        *,
        default_server: str = "",
        device_provider: Callable[[], DeviceLists] | None = None,
        settings_overrides: Mapping[str, Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session if session is not None else CallSession.get_instance()
        self.default_server = default_server
        """The server used when the join form leaves it empty (the embedded one)."""
        self.settings_overrides = dict(settings_overrides or {})
        """Extra SessionSettings fields for every join from JoinOptions, e.g.
        ``fake_media=True`` (``--fake-media``) or a shorter ``reconnect_timeout``."""
        self.echo_starter: EchoStarter | None = None
        """How "Test call" brings in its echo participant (the app sets it)."""
        self._echo: CallSession | None = None
        self._test_call = False
        self._device_provider = device_provider
        self._throttle = FrameThrottle()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._state = "IDLE"
        self._local: tuple[bool, bool, bool, bool] = (False, False, False, False)
        self._busy = False
        self._disposed = False
        self._server_url = ""
        relay = self._status_event
        self._status = SessionStatusListener(
            on_session_joined=relay(self.sessionJoined),
            on_session_left=relay(self.sessionLeft),
            on_session_timed_out=relay(self.sessionTimedOut),
            on_connection_lost=relay(self.connectionLost),
            on_connection_restored=relay(self.connectionRestored),
            on_connection_closed=relay(self.connectionClosed),
        )
        self._participants = ParticipantEventListener(
            on_participant_joined=self._on_participant_joined,
            on_participant_left=self._on_participant_left,
            on_participant_list_changed=self._on_list_changed,
            on_dominant_speaker_changed=self._on_dominant,
            **dict.fromkeys(_PARTICIPANT_UPDATES, self._on_participant_updated),
        )
        self._media = MediaEventListener(
            on_device_error=self._on_device_error,
            **dict.fromkeys(_OWN_MEDIA_EVENTS, self._sync_local),
        )
        # One bound-method object for add and remove: ``self._on_frame`` makes a new one
        # on every access, and the SDK removes sinks by identity.
        self._sink = self._on_frame
        self._sharing: set[str] = set()  # ids whose screen, not camera, goes on their tile
        self._attach()

    # -- what the widgets read ---------------------------------------------------------

    @property
    def session(self) -> CallSession:
        """The CallSession this controller bridges."""
        return self._session

    @property
    def state(self) -> str:
        """The session state's name: IDLE, CONNECTING, JOINED, RECONNECTING or ENDED."""
        return self._state

    @property
    def disposed(self) -> bool:
        return self._disposed

    @property
    def session_id(self) -> str:
        return self._session.session_id or ""

    @property
    def audio_muted(self) -> bool:
        return self._local[0]

    @property
    def video_paused(self) -> bool:
        return self._local[1]

    @property
    def screen_sharing(self) -> bool:
        return self._local[2]

    @property
    def hand_raised(self) -> bool:
        return self._local[3]

    @property
    def dropped_frames(self) -> int:
        """Frames dropped because the view had not painted the previous one."""
        return self._throttle.dropped

    @property
    def call_title(self) -> str:
        """What to call the call on screen: "Test call", or its session id."""
        return "Test call" if self._test_call and self.session_id else self.session_id

    def invite_link(self) -> str:
        """The invite link of the current call ("" when not in one, or in a test call)."""
        if not self.session_id or self._test_call:
            return ""
        return format_invite(self.session_id, self._server_url or None)

    # -- entry points (slots) ----------------------------------------------------------

    @async_slot(str, object, str, str)
    async def join(self, session_id: str, options: object, server: str, token: str) -> None:
        """Join ``session_id``; ends in sessionJoined or joinFailed."""
        if not self._busy:
            self._test_call = False
        await self._join(session_id, options, server, token)

    @async_slot(object)
    async def startTestCall(self, options: object) -> None:  # noqa: N802 - Qt naming
        """Join a private call of one's own and bring in the echo participant.

        The echo participant itself comes from the SDK side: the app sets
        ``echo_starter``; until then the call starts with you alone and says so.
        """
        if self._busy:
            return
        self._test_call = True
        if not await self._join(f"test-{secrets.token_hex(4)}", options, "", ""):
            return
        if self.echo_starter is None:
            self.mediaError.emit("The echo participant is not available in this build yet.")
            return
        try:
            self._echo = await self.echo_starter(self._session)
        except Exception as exc:
            log.exception("echo participant failed")
            self.mediaError.emit(f"The test call could not start its echo: {exc}")

    @async_slot()
    async def leave(self) -> None:
        """Leave the call (idempotent); ends in sessionLeft."""
        await self._session.leave_session()
        self._sync_state()

    @async_slot()
    async def toggleAudio(self) -> None:  # noqa: N802
        session = self._joined()
        if session is not None:
            session.unmute_audio() if self.audio_muted else session.mute_audio()
            self._sync_local()

    @async_slot()
    async def toggleVideo(self) -> None:  # noqa: N802
        session = self._joined()
        if session is not None:
            session.resume_video() if self.video_paused else session.pause_video()
            self._sync_local()

    @async_slot()
    async def toggleHand(self) -> None:  # noqa: N802
        session = self._joined()
        if session is not None:
            session.lower_hand() if self.hand_raised else session.raise_hand()
            self._sync_local()

    @async_slot()
    async def toggleScreenShare(self) -> None:  # noqa: N802
        session = self._joined()
        if session is None:
            return
        try:
            if self.screen_sharing:
                await session.stop_screen_share()
            else:
                await session.start_screen_share()
        except Exception as exc:  # a UI boundary: a failed share is a message
            log.exception("screen share toggle failed")
            self.mediaError.emit(f"Screen sharing failed: {exc}")
        self._sync_local()

    @async_slot()
    async def refreshDevices(self) -> None:  # noqa: N802
        """Ask the media layer for its devices (off the UI thread); answers devicesChanged."""
        lists = DeviceLists()
        if self._device_provider is not None:
            try:
                lists = await asyncio.to_thread(self._device_provider)
            except Exception as exc:
                log.exception("listing devices failed")
                self.mediaError.emit(f"Could not list devices: {exc}")
        if not self._disposed:
            self.devicesChanged.emit(lists)

    @Slot(str)
    def framePainted(self, participant_id: str) -> None:  # noqa: N802
        """The view painted ``participant_id``'s last frame; the next may come."""
        self._throttle.painted(participant_id)

    def dispose(self) -> None:
        """Remove every listener and the video sink (idempotent).

        A call still in progress is left in an owned task; ``wait_closed`` awaits it.
        """
        if self._disposed:
            return
        self._disposed = True
        session = self._session
        session.remove_session_status_listener(self._status)
        session.remove_participant_event_listener(self._participants)
        session.remove_media_event_listener(self._media)
        session.remove_video_sink(self._sink)
        if session.state in _ACTIVE:
            self._spawn(session.leave_session())
        self._dismiss_echo()

    async def wait_closed(self) -> None:
        """Wait for the work ``dispose`` left running (leaving the call)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- internals ---------------------------------------------------------------------

    def _attach(self) -> None:
        session = self._session
        session.add_session_status_listener(self._status)
        session.add_participant_event_listener(self._participants)
        session.add_media_event_listener(self._media)
        session.add_video_sink(self._sink)

    async def _join(self, session_id: str, options: object, server: str, token: str) -> bool:
        if self._disposed or self._busy:
            return False
        url = server.strip() or self.default_server
        if not url:
            self.joinFailed.emit("No call server is configured. Enter a server address.")
            return False
        try:
            settings = session_settings(options, self.settings_overrides)
        except (TypeError, ValueError) as exc:
            self.joinFailed.emit(str(exc))
            return False
        session = self._session
        self._set_busy(True)
        self._server_url = url
        self._throttle.clear()
        self._sharing.clear()
        try:
            await session.join_session(session_id, settings, server=url, token=token or None)
        except JoinError as exc:
            log.info("join %s on %s failed: %s", session_id, url, exc)
            if exc.reason is not JoinFailure.CANCELLED:  # the user left while joining
                self.joinFailed.emit(join_failure_text(exc, url))
            return False
        except Exception as exc:  # a UI boundary: every failure becomes a message
            log.exception("join %s on %s failed unexpectedly", session_id, url)
            self.joinFailed.emit(f"Could not join the call: {exc}")
            return False
        finally:
            self._set_busy(False)
            self._sync_state()
        self._on_list_changed(session.participants)
        self._sync_local()
        return session.state is SessionState.JOINED

    def _joined(self) -> CallSession | None:
        session = self._session
        return session if session.state is SessionState.JOINED and not self._disposed else None

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("controller task failed", exc_info=task.exception())

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _sync_state(self) -> None:
        state = self._session.state.name
        if state != self._state:
            log.debug("session state %s -> %s", self._state, state)
            self._state = state
            self.stateChanged.emit(state)

    def _sync_local(self) -> None:
        s = self._session
        local = (s.is_audio_muted, s.is_video_paused, s.screen_sharing, s.hand_raised)
        if local != self._local:
            self._local = local
            self.localStateChanged.emit()

    def _status_event(self, signal: SignalInstance) -> Callable[[], None]:
        def relay() -> None:
            self._sync_state()
            if self._session.state is SessionState.ENDED:
                self._dismiss_echo()
            signal.emit()

        return relay

    def _dismiss_echo(self) -> None:
        """The test call is over: its echo leaves too (it would, alone, a moment later)."""
        echo, self._echo = self._echo, None
        if echo is not None:
            self._spawn(echo.leave_session())

    def _note(self, participant: Participant) -> None:
        if participant.screen_sharing:
            self._sharing.add(participant.id)
        else:
            self._sharing.discard(participant.id)

    def _on_participant_joined(self, participant: Participant) -> None:
        self._note(participant)
        self.participantJoined.emit(participant)

    def _on_participant_updated(self, participant: Participant) -> None:
        self._note(participant)
        self.participantUpdated.emit(participant)
        if participant.is_local:
            self._sync_local()

    def _on_participant_left(self, participant: Participant) -> None:
        self._sharing.discard(participant.id)
        self._throttle.forget(participant.id)
        self.participantLeft.emit(participant)

    def _on_list_changed(self, participants: Iterable[Participant]) -> None:
        everyone = list(participants)
        self._sharing = {p.id for p in everyone if p.screen_sharing}
        self.participantsChanged.emit(everyone)

    def _on_dominant(self, participant: Participant | None) -> None:
        self.dominantSpeakerChanged.emit(participant.id if participant is not None else "")

    def _on_device_error(self, kind: str, message: str) -> None:
        self.mediaError.emit(f"{kind}: {message}")

    def _on_frame(self, participant_id: str, frame: RgbFrame) -> None:
        # A remote presenter's tile shows their screen (their camera frames wait until
        # they stop); your own tile always shows your camera.
        me = self._session.local_participant
        sharing = participant_id in self._sharing and (me is None or me.id != participant_id)
        want = "screen" if sharing else "camera"
        if getattr(frame, "track", "camera") != want:
            return
        if self._disposed or not self._throttle.admit(participant_id):
            return
        try:
            image = rgb_to_qimage(frame.to_rgb())
        except ValueError:
            log.exception("unusable frame from %s", participant_id)
            self._throttle.painted(participant_id)
            return
        self.frameReady.emit(participant_id, image)
