"""Listener objects and the registry that calls them safely.

Callbacks are plain functions called on the event loop's thread. A coroutine
function is refused with a TypeError (wrap it in a task yourself). A
callback's exception is logged and reaches neither the session nor the other
listeners. A listener removed - even from inside a callback - is never called
again, and the registry keeps no reference to it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from parley.sdk.participants import Participant

log = logging.getLogger("parley.sdk")

Callback0 = Callable[[], None]
ParticipantCallback = Callable[["Participant"], None]


class _Listener:
    """Refuses coroutine callbacks; every field of a listener is an optional callable."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            cb = getattr(self, f.name)
            if cb is None:
                continue
            if not callable(cb):
                raise TypeError(f"{type(self).__name__}.{f.name} must be callable, got {cb!r}")
            if inspect.iscoroutinefunction(cb) or inspect.iscoroutinefunction(
                getattr(cb, "__call__", None)  # noqa: B004 - callable objects too
            ):
                raise TypeError(
                    f"{type(self).__name__}.{f.name} is a coroutine function; callbacks are "
                    "called synchronously on the event loop - wrap the coroutine in "
                    "asyncio.create_task() inside a plain function instead"
                )


@dataclass(eq=False, kw_only=True)
class SessionStatusListener(_Listener):
    """The session lifecycle. Exactly one of left / timed out / closed ends a joined session."""

    on_session_joined: Callback0 | None = None
    """The session is joined: the others can see and hear you."""
    on_session_left: Callback0 | None = None
    """leave_session() ended the session."""
    on_session_timed_out: Callback0 | None = None
    """You were alone in the call for idle_timeout_period seconds; the session left."""
    on_connection_lost: Callback0 | None = None
    """The link to the call (server or every peer's media) is down; reconnecting."""
    on_connection_restored: Callback0 | None = None
    """Reconnected with the same identity after on_connection_lost."""
    on_connection_closed: Callback0 | None = None
    """Reconnecting failed for good (see CallSession.end_reason); the session ended."""


@dataclass(eq=False, kw_only=True)
class ParticipantEventListener(_Listener):
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


@dataclass(eq=False, kw_only=True)
class MediaEventListener(_Listener):
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


L = TypeVar("L", bound=_Listener)


class ListenerRegistry(Generic[L]):
    """An ordered set of listeners of one kind, called safely."""

    def __init__(self, kind: type[L]) -> None:
        self._kind = kind
        self._items: list[L] = []

    def add(self, listener: L) -> None:
        if not isinstance(listener, self._kind):
            raise TypeError(f"expected a {self._kind.__name__}, got {type(listener).__name__}")
        if not any(item is listener for item in self._items):
            self._items.append(listener)

    def remove(self, listener: L) -> None:
        self._items = [item for item in self._items if item is not listener]

    def __len__(self) -> int:
        return len(self._items)

    def emit(self, name: str, *args: Any) -> None:
        """Call ``name`` on every listener that has it; log (never raise) their errors."""
        for listener in list(self._items):
            if not any(item is listener for item in self._items):
                continue  # removed by an earlier callback of this very emit
            callback = getattr(listener, name)
            if callback is None:
                continue
            try:
                callback(*args)
            except Exception:
                log.exception("event=listener_error callback=%s", name)
