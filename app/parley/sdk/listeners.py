"""Listener objects and the registry that calls them safely.

Callbacks are plain functions called on the event loop's thread. A coroutine
function is refused with a TypeError (wrap it in a task yourself). A
callback's exception is logged and reaches neither the session nor the other
listeners (the rule of :mod:`parley.media.callbacks`, which the media mesh follows
too). A listener removed - even from inside a callback - is never called again, and
the registry keeps no reference to it. Event names are ``Literal`` types, so mypy
catches a misspelt one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from parley.media.callbacks import Callbacks, E
from parley.sdk.chat import ChatListener
from parley.sdk.event_types import MediaEvent, ParticipantEvent, SessionStatusEvent

if TYPE_CHECKING:
    from parley.media.frames import VideoFrame
    from parley.sdk.lobby import JoinRequest
    from parley.sdk.participants import Participant

Callback0 = Callable[[], None]
ParticipantCallback = Callable[["Participant"], None]
VideoSink = Callable[[str, "VideoFrame"], None]
"""``sink(participant_id, frame)`` for every remote frame and the local camera's."""


@dataclass(eq=False, kw_only=True)
class SessionStatusListener(Callbacks[SessionStatusEvent]):
    """The session lifecycle. Exactly one of left / timed out / closed ends a joined session."""

    on_session_joined: Callback0 | None = None
    """The session is joined: the others can see and hear you."""
    on_session_left: Callback0 | None = None
    """leave_session() ended the session - or the server removed you for good, at once:
    the host ended the call (``end_reason`` ROOM_CLOSED) or your identity joined again
    elsewhere (REPLACED)."""
    on_session_timed_out: Callback0 | None = None
    """You were alone in the call for idle_timeout_period seconds; the session left."""
    on_connection_lost: Callback0 | None = None
    """The link to the call (server or every peer's media) is down; reconnecting."""
    on_connection_restored: Callback0 | None = None
    """Reconnected with the same identity after on_connection_lost."""
    on_connection_closed: Callback0 | None = None
    """Reconnecting failed for good (see CallSession.end_reason); the session ended."""
    on_waiting_for_host: Callback0 | None = None
    """join_session() waits in the call's lobby for a host to let you in ("Ask to join");
    it returns once admitted, or raises JoinError (DENIED, LOBBY_TIMEOUT)."""
    on_idle_warning: Callable[[float], None] | None = None
    """You are alone and the idle timeout ends the call in ``seconds_left`` seconds (60 s
    before it, once per idle period); ``CallSession.stay()`` restarts the timer."""


@dataclass(eq=False, kw_only=True)
class ParticipantEventListener(Callbacks[ParticipantEvent]):
    """What the other participants do."""

    on_participant_joined: ParticipantCallback | None = None
    on_participant_left: ParticipantCallback | None = None
    on_participant_list_changed: Callable[[tuple[Participant, ...]], None] | None = None
    on_audio_muted: ParticipantCallback | None = None
    on_audio_unmuted: ParticipantCallback | None = None
    on_video_paused: ParticipantCallback | None = None
    on_video_resumed: ParticipantCallback | None = None
    on_participant_reconnecting: ParticipantCallback | None = None
    on_participant_restored: ParticipantCallback | None = None
    on_hand_raised: ParticipantCallback | None = None
    on_hand_lowered: ParticipantCallback | None = None
    on_screen_share_started: ParticipantCallback | None = None
    on_screen_share_stopped: ParticipantCallback | None = None
    on_dominant_speaker_changed: Callable[[Participant | None], None] | None = None
    on_join_request: Callable[[JoinRequest], None] | None = None
    """(Hosts) someone waits in the lobby: answer with session.admit(id) / deny(id)."""
    on_join_request_ended: Callable[[JoinRequest], None] | None = None
    """(Hosts) a join request no longer waits; ``outcome`` says why."""
    on_media_stalled: ParticipantCallback | None = None
    """No media from this participant for a few seconds while its link is alive (a
    frozen video, no audio: it stopped sending, or its media is stuck): a quality
    signal, never a reason to reconnect."""
    on_media_flowing: ParticipantCallback | None = None
    """Media from this participant arrives: the first, or again after a stall."""
    on_media_unreachable: ParticipantCallback | None = None
    """No connected media path to this participant for 10 s while both of you are in
    the call: most likely a firewall that blocks UDP, or no TURN server (a symmetric
    NAT). ``participant.media_unreachable`` is True until a path connects."""
    on_media_reachable: ParticipantCallback | None = None
    """A media path to an unreachable participant connected after all."""


@dataclass(eq=False, kw_only=True)
class MediaEventListener(Callbacks[MediaEvent]):
    """What happens to your own media."""

    on_audio_muted: Callback0 | None = None
    on_audio_unmuted: Callback0 | None = None
    on_video_paused: Callback0 | None = None
    on_video_resumed: Callback0 | None = None
    on_screen_share_started: Callback0 | None = None
    on_screen_share_stopped: Callback0 | None = None
    on_hand_raised: Callback0 | None = None
    on_hand_lowered: Callback0 | None = None
    on_device_error: Callable[[str, str], None] | None = None
    """A device is missing or failed: (kind, message). The call goes on without it."""


class ListenerRegistry(Generic[E]):
    """An ordered set of listeners of one kind, called safely."""

    def __init__(self, kind: type[Callbacks[E]]) -> None:
        self._kind = kind
        self._items: list[Callbacks[E]] = []

    def add(self, listener: Callbacks[E]) -> None:
        if not isinstance(listener, self._kind):
            raise TypeError(f"expected a {self._kind.__name__}, got {type(listener).__name__}")
        if not any(item is listener for item in self._items):
            self._items.append(listener)

    def remove(self, listener: Callbacks[E]) -> None:
        self._items = [item for item in self._items if item is not listener]

    def __len__(self) -> int:
        return len(self._items)

    def emit(self, name: E, *args: Any) -> None:
        """Call ``name`` on every listener that has it; log (never raise) their errors."""
        for listener in list(self._items):
            if any(item is listener for item in self._items):  # not removed by an earlier one
                listener.emit(name, *args)


class SessionListeners:
    """Everything an app registers on a session: the listeners of each kind and the video
    sinks. CallSession is one (as livekit's Room is an EventEmitter); its parts reach
    these only through the callbacks the session gives them."""

    def __init__(self) -> None:
        self._status = ListenerRegistry(SessionStatusListener)
        self._participant_listeners = ListenerRegistry(ParticipantEventListener)
        self._media_listeners = ListenerRegistry(MediaEventListener)
        self._chat_listeners = ListenerRegistry(ChatListener)
        self._video_sinks: list[VideoSink] = []

    def add_session_status_listener(self, listener: SessionStatusListener) -> None:
        self._status.add(listener)

    def remove_session_status_listener(self, listener: SessionStatusListener) -> None:
        self._status.remove(listener)

    def add_participant_event_listener(self, listener: ParticipantEventListener) -> None:
        self._participant_listeners.add(listener)

    def remove_participant_event_listener(self, listener: ParticipantEventListener) -> None:
        self._participant_listeners.remove(listener)

    def add_media_event_listener(self, listener: MediaEventListener) -> None:
        self._media_listeners.add(listener)

    def remove_media_event_listener(self, listener: MediaEventListener) -> None:
        self._media_listeners.remove(listener)

    def add_chat_listener(self, listener: ChatListener) -> None:
        self._chat_listeners.add(listener)

    def remove_chat_listener(self, listener: ChatListener) -> None:
        self._chat_listeners.remove(listener)

    def listener_count(self) -> int:
        """How many listeners of all kinds are registered (for leak checks)."""
        return (len(self._status) + len(self._participant_listeners)
                + len(self._media_listeners) + len(self._chat_listeners))

    def add_video_sink(self, sink: VideoSink) -> None:
        """``sink(participant_id, frame)`` for every decoded remote frame and local preview."""
        if sink not in self._video_sinks:
            self._video_sinks.append(sink)

    def remove_video_sink(self, sink: VideoSink) -> None:
        # == rather than `is`: a bound method is a new object each time it is read.
        self._video_sinks[:] = [s for s in self._video_sinks if s != sink]

    def video_sink_count(self) -> int:
        """How many video sinks are registered (for leak checks)."""
        return len(self._video_sinks)
