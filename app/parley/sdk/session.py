"""CallSession: one client's call, with the lifecycle an app can trust."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from parley.media.tasks import OwnedTasks
from parley.protocol.messages import (
    Answer,
    Candidate,
    Join,
    Leave,
    Message,
    Offer,
    Welcome,
)
from parley.protocol.sfu import SFU_TO_CLIENT
from parley.sdk.chat import ChatControls, ChatLog
from parley.sdk.dial import dial_join, servers_to_dial
from parley.sdk.ending import CallEnder
from parley.sdk.errors import EndReason, JoinError, JoinFailure
from parley.sdk.event_types import ParticipantEvent
from parley.sdk.listeners import SessionListeners
from parley.sdk.lobby import HostLobby, JoinRequests
from parley.sdk.own_controls import OwnMediaControls
from parley.sdk.own_media import OwnMedia
from parley.sdk.participants import Events, Participant, Roster, RosterView
from parley.sdk.presence import Presence
from parley.sdk.settings import SessionSettings
from parley.sdk.signaling import JoinRejected, SignalingLink, checked_join, join_error, reconnect
from parley.sdk.state import Connection, Event, SessionMachine, SessionState
from parley.sdk.views import ParticipantViews

if TYPE_CHECKING:
    from parley.sdk.call_media import CallMedia

log = logging.getLogger("parley.sdk")


class CallSession(SessionListeners, RosterView, OwnMediaControls, JoinRequests,
                  ChatControls, ParticipantViews):
    """A call: join a session, hear about its lifecycle, leave.

    ``CallSession.get_instance()`` is the process-wide default; ``CallSession()``
    makes independent ones (tests and bots run several in one process). A
    session can join again after it ended.
    """

    _default: ClassVar[CallSession | None] = None

    def __init__(self) -> None:
        SessionListeners.__init__(self)
        ParticipantViews.__init__(self, lambda: self._media)
        self._machine = SessionMachine(300.0, 30.0, clock=time.monotonic)
        RosterView.__init__(self, Roster())
        self._settings: SessionSettings | None = None
        self._session_id: str | None = None
        self._server_url: str | None = None
        self._token: str | None = None
        self._link: SignalingLink | None = None
        self._pending_link: SignalingLink | None = None
        self._resume_token: str | None = None
        self._media: CallMedia | None = None
        self._tasks = OwnedTasks()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._teardown: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._presence = Presence(self._roster, self._emit_participants,
                                  connected=lambda: self._link is not None,
                                  returned=self._peer_returned)
        OwnMediaControls.__init__(self, OwnMedia(self._send, self._media_listeners.emit))
        JoinRequests.__init__(self, HostLobby(
            lambda m: self._link is not None and self._link.send(m),
            self._participant_listeners.emit))
        ChatControls.__init__(self, ChatLog(
            self._roster, self._chat_listeners.emit,
            send=lambda m: self._link is not None and self._link.send(m)),
            joined=lambda: self._is(SessionState.JOINED))
        self._ender = CallEnder(lambda m: self._link is not None and self._link.send(m),
                                self.leave_session)
        self._held: list[Message] | None = None
        """What the server sent between its welcome and the end of our join."""

    @classmethod
    def get_instance(cls) -> CallSession:
        """The process-wide default session, created on first use."""
        if cls._default is None:
            cls._default = cls()
        return cls._default

    # ------------------------------------------------------------ properties

    @property
    def state(self) -> SessionState:
        return self._machine.state

    @property
    def end_reason(self) -> EndReason | None:
        return self._machine.end_reason

    @property
    def session_id(self) -> str | None:
        return self._session_id

    @property
    def server_url(self) -> str | None:
        return self._server_url

    @property
    def settings(self) -> SessionSettings | None:
        return self._settings

    def stay(self) -> None:
        """Still here: restart the idle timer (after on_idle_warning; nothing when not alone)."""
        self._apply(Event.STAY)

    def audio_level(self, participant_id: str) -> float:
        """How loud a remote participant is heard here, 0..1 (smoothed RMS)."""
        return self._media.audio_level(participant_id) if self._media is not None else 0.0

    def stats(self) -> dict[str, Any]:
        """Per remote participant: bitrate, frame rate, round-trip time, packet loss."""
        return self._media.stats() if self._media is not None else {}

    # ------------------------------------------------------------ join / leave

    async def join_session(self, session_id: str, settings: SessionSettings,
                           server: str | None = None, token: str | None = None, *,
                           alternates: Sequence[str] = ()) -> None:
        """Join ``session_id``; raises JoinError (and fires no lifecycle callback) when that
        fails. A call with a lobby may keep you waiting for its host (on_waiting_for_host
        fires) until you are let in, or turned away (JoinError DENIED / LOBBY_TIMEOUT).
        ``alternates``: more addresses of that server, tried in order (:mod:`.dial`)."""
        if self._teardown is not None:
            await asyncio.shield(self._teardown)
        if self.state not in (SessionState.IDLE, SessionState.ENDED):
            raise JoinError(JoinFailure.ALREADY_JOINED,
                            f"this session is already {self.state.value}")
        servers = servers_to_dial(checked_join(session_id, settings, server), alternates)
        self._settings, self._session_id, self._server_url, self._token = (
            settings, session_id, servers[0], token)
        self._own.reset(settings.start_audio_muted, settings.start_video_paused)
        self._chat.clear()
        self._held = None
        self._machine.configure(settings.idle_timeout_period, settings.reconnect_timeout)
        self._apply(Event.JOIN)
        try:
            link, welcome = await dial_join(servers, self._new_link, self._join_message(),
                                            partial(self._status.emit, "on_waiting_for_host"),
                                            wanted=lambda: self._is(SessionState.CONNECTING))
        except BaseException as exc:
            failure = self._join_failure(exc)
            await self._abort_join()
            if failure is None:
                raise
            raise failure from None
        finally:
            self._pending_link = None
        if not self._is(SessionState.CONNECTING):  # leave_session() won the race
            await link.close(Leave())
            await self._abort_join()
            raise JoinError(JoinFailure.CANCELLED, "leave_session() was called while joining")
        self._held = []  # until the welcome's list is taken: then they are news
        self._adopt(link, welcome)
        if settings.media:
            await self._start_media(link, welcome, settings)
        self._apply(Event.JOIN_OK)
        held, self._held = self._held, None
        if self._is(SessionState.JOINED):
            self._presence.take_welcome(welcome)
            for message in held:
                self._on_message(message)
            if self._link is not link:  # it died while the media started: lost, resume
                self._apply(Event.CONNECTION_DOWN, Connection.SIGNALING)

    async def leave_session(self) -> None:
        """Leave the call (idempotent). Ends a joined session with on_session_left."""
        if self.state is SessionState.CONNECTING:
            self._apply(Event.LEAVE)
            if self._pending_link is not None:
                await self._pending_link.close()
            return
        self._apply(Event.LEAVE)
        if self._teardown is not None:
            await asyncio.shield(self._teardown)

    async def end_call_for_everyone(self) -> bool:
        """(Hosts) end the call for everybody: the others get on_session_left with
        ``end_reason`` ROOM_CLOSED at once; you get on_session_left (LEFT). While the link
        to the server is down the server cannot be told: you just leave (False).

        Raises:
            PermissionError: you are not the call's host (nothing is sent).
        """
        if self.state not in (SessionState.JOINED, SessionState.RECONNECTING):
            return False
        if not self.is_host:
            raise PermissionError("only the call's host may end it for everyone")
        return await self._ender.end()

    async def _start_media(self, link: SignalingLink, welcome: Welcome,
                           settings: SessionSettings) -> None:
        from parley.sdk.call_media import CallMedia  # aiortc only when media is wanted

        media = self._media = CallMedia(
            settings, welcome, self._roster, self._video_sinks, send=self._send,
            on_participant_event=self._participant_event,
            on_media_connection=self._media_connection,
            on_device_error=self._own.device_error, server=self._server_url,
            views=self._views)
        self._own.attach(media)
        try:
            await media.start()
            self._own.sync_devices()
        except Exception as exc:  # media must not leave a half-joined session behind
            log.exception("event=media_start_failed")
            self._media = self._link = None
            self._own.attach(None)
            await media.close()
            await link.close(Leave())
            await self._abort_join()
            raise JoinError(JoinFailure.SERVER_ERROR,
                            f"audio/video could not start: {exc}") from exc

    # ------------------------------------------------------------ lifecycle core

    def _is(self, state: SessionState) -> bool:
        """The state now (a method, so that awaits in between are not narrowed away)."""
        return self._machine.state is state

    def _apply(self, event: Event, connection: Connection | None = None) -> None:
        step = self._machine.handle(event, connection)
        if step.accepted and step.new is SessionState.ENDED and step.old is not step.new:
            self._teardown = self._tasks.spawn(self._finish(step.effects))
        else:
            for effect in step.effects:
                self._status.emit(effect.value, *self._machine.effect_args(effect))
        if step.new is SessionState.RECONNECTING and Connection.SIGNALING in self._machine.down:
            if self._reconnect_task is None or self._reconnect_task.done():
                self._reconnect_task = self._tasks.spawn(self._reconnect())
        self._rearm_timer()

    def _rearm_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._machine.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic())
            self._timer = asyncio.get_running_loop().call_later(delay, self._apply, Event.TICK)

    async def _finish(self, effects: tuple[Any, ...]) -> None:
        """Release everything, then fire the one terminal callback."""
        reason = self._machine.end_reason
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        self._presence.clear()
        self._lobby.clear()
        link, self._link = self._link, None
        if link is not None:
            polite = reason in (EndReason.LEFT, EndReason.IDLE_TIMEOUT)
            await link.close(Leave() if polite else None)
        media, self._media = self._media, None
        self._own.attach(None)
        if media is not None:
            await media.close()
        self._roster.clear()
        for effect in effects:
            self._status.emit(effect.value)
        self._teardown = None
        self._ender.finished()

    async def _abort_join(self) -> None:
        if self.state is SessionState.CONNECTING:
            self._apply(Event.JOIN_FAILED)

    def _join_failure(self, exc: BaseException) -> JoinError | None:
        if self.state is not SessionState.CONNECTING:
            return JoinError(JoinFailure.CANCELLED, "leave_session() was called while joining")
        return join_error(exc, self._server_url or "")

    # ------------------------------------------------------------ links

    def _new_link(self, join_through: str | None = None) -> SignalingLink:
        # A join's try: pending, and the server resume and reconnect then use.
        self._server_url = join_through or self._server_url
        assert self._server_url is not None
        holder: list[SignalingLink] = []
        link = SignalingLink(self._server_url, self._on_message,
                             lambda reason, removed: self._on_link_dead(holder[0], reason,
                                                                        removed))
        holder.append(link)
        if join_through:
            self._pending_link = link
        return link

    def _join_message(self, resume: bool = False) -> Join:
        assert self._settings is not None and self._session_id is not None
        return Join(session_id=self._session_id, display_name=self._settings.display_name,
                    token=self._token, resume_token=self._resume_token if resume else None,
                    audio_muted=self.is_audio_muted, video_paused=self.is_video_paused)

    def _adopt(self, link: SignalingLink, welcome: Welcome) -> None:
        self._link = link
        self._resume_token = welcome.resume_token
        link.start(welcome.heartbeat_interval, welcome.heartbeat_timeout)
        self._roster.local_id = welcome.participant_id

    def _on_link_dead(self, link: SignalingLink, reason: str,
                      removed: EndReason | None) -> None:
        if link is not self._link:
            return
        self._resume_token = link.resume_token or self._resume_token
        self._link = None
        self._tasks.spawn(link.close())
        log.info("event=connection_lost session=%s reason=%s", self._session_id, reason)
        if removed is None:
            self._apply(Event.CONNECTION_DOWN, Connection.SIGNALING)
        elif self._ender.waiting and removed is EndReason.ROOM_CLOSED:
            self._apply(Event.LEAVE)  # our own end_call: we left, and took everyone along
        else:
            self._apply(Event.ROOM_CLOSED if removed is EndReason.ROOM_CLOSED
                        else Event.REPLACED)

    async def _reconnect(self) -> None:
        try:
            resumed = await reconnect(self._new_link, lambda: self._join_message(resume=True),
                                      wanted=lambda: self._is(SessionState.RECONNECTING))
        except JoinRejected as exc:  # our seat is gone: the host's end, or given up
            log.info("event=resume_refused session=%s code=%s", self._session_id, exc.error.code)
            self._apply(Event.ROOM_CLOSED if exc.removal else Event.RESUME_REFUSED)
            return
        if resumed is not None:
            self._resumed(*resumed)

    def _resumed(self, link: SignalingLink, welcome: Welcome) -> None:
        self._adopt(link, welcome)
        self._lobby.reset()  # the server tells a host who still waits after each resume
        if self._media is not None:
            self._media.reset_liveness()
        self._own.resend()
        self._apply(Event.CONNECTION_UP, Connection.SIGNALING)
        self._presence.take_welcome(welcome)
        if self._media is not None:
            self._media.resync(welcome)

    # ------------------------------------------------------------ messages

    def _on_message(self, message: Message) -> None:
        if self._held is not None and self._is(SessionState.CONNECTING):
            self._held.append(message)
            log.debug("event=held_until_joined type=%s", message.TYPE)
            return
        if self.state not in (SessionState.JOINED, SessionState.RECONNECTING):
            return
        if isinstance(message, (Offer, Answer, Candidate, *SFU_TO_CLIENT)):
            if self._media is not None:
                self._media.handle_signal(message)
            return
        if (not self._presence.handle(message) and not self._lobby.handle(message)
                and not self._chat.handle(message)):
            log.info("event=server_message type=%s", message.TYPE)

    def _peer_returned(self, pid: str) -> None:
        if self._media is not None:
            self._media.peer_returned(pid)

    def _emit_participants(self, events: Events) -> None:
        if self._media is not None:
            self._media.roster_changed(events)
        membership = False
        for name, participant in events:
            if self.state not in (SessionState.JOINED, SessionState.RECONNECTING):
                return
            self._participant_listeners.emit(name, participant)
            membership |= name in ("on_participant_joined", "on_participant_left")
        if membership:
            self._participant_listeners.emit("on_participant_list_changed", self._roster.all)
        self._apply(Event.NOT_ALONE if self._roster.remote_ids else Event.ALONE)

    # ------------------------------------------------------------ callbacks of the parts

    def _send(self, message: Message) -> None:
        """Own updates and media signals to the server (dropped while the link is down)."""
        if self._link is not None:
            self._link.send(message)

    def _participant_event(self, name: ParticipantEvent, participant: Participant | None) -> None:
        if self.state in (SessionState.JOINED, SessionState.RECONNECTING):
            self._participant_listeners.emit(name, participant)

    def _media_connection(self, up: bool) -> None:
        self._apply(Event.CONNECTION_UP if up else Event.CONNECTION_DOWN, Connection.MEDIA)
