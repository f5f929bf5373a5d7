"""The session lifecycle as a pure, table-driven state machine.

No I/O and no asyncio: the session feeds it events with the current time and
executes the effects it returns (the callbacks to fire). Timers are deadlines
the session asks for (:meth:`SessionMachine.next_deadline`) and answers with
a TICK, so tests drive the machine with a fake clock.

    IDLE --join--> CONNECTING --ok--> JOINED <--restored-- RECONNECTING
                        | fail                |  lost ---------^
                        v                     v
                      IDLE        ENDED <-- left | removed | timed out | closed

"Removed" is the server ending the seat for good - the host closed the room, or the
same identity joined again elsewhere: on_session_left at once, never a reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from parley.sdk.errors import EndReason
from parley.sdk.event_types import SessionStatusEvent

log = logging.getLogger("parley.sdk.state")

IDLE_WARNING_LEAD = 60.0
"""Seconds before the idle timeout that on_idle_warning comes (at once for a shorter
idle timeout)."""


class SessionState(Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    JOINED = "joined"
    RECONNECTING = "reconnecting"
    ENDED = "ended"


class Event(Enum):
    JOIN = "join"                      # join_session() called
    JOIN_OK = "join_ok"                # the server welcomed us
    JOIN_FAILED = "join_failed"        # JoinError raised, no callback
    LEAVE = "leave"                    # leave_session() called
    CONNECTION_DOWN = "connection_down"  # a connection (signaling or media) died
    CONNECTION_UP = "connection_up"      # that connection works again
    RESUME_REFUSED = "resume_refused"  # the server no longer knows us
    ROOM_CLOSED = "room_closed"        # the host ended the call for everyone
    REPLACED = "replaced"              # our identity joined again elsewhere
    ALONE = "alone"                    # no other participant in the room
    NOT_ALONE = "not_alone"            # somebody else is in the room
    TICK = "tick"                      # a deadline may have passed
    STAY = "stay"                      # stay() after the idle warning: the timer restarts


class Connection(Enum):
    """The two ways this client reaches the call; either one down means reconnecting."""

    SIGNALING = "signaling"
    """The WebSocket to the call server."""
    MEDIA = "media"
    """The media from the peers (down: dead from every peer that should be sending)."""


class Effect(Enum):
    """A callback the session must fire, in order (the value names it)."""

    _value_: SessionStatusEvent
    JOINED = "on_session_joined"
    LEFT = "on_session_left"
    TIMED_OUT = "on_session_timed_out"
    LOST = "on_connection_lost"
    RESTORED = "on_connection_restored"
    CLOSED = "on_connection_closed"
    IDLE_WARNING = "on_idle_warning"


class Guard(Enum):
    ALL_UP = "all_up"
    IDLE_EXPIRED = "idle_expired"
    IDLE_WARNING_DUE = "idle_warning_due"
    RECONNECT_EXPIRED = "reconnect_expired"


@dataclass(frozen=True)
class Rule:
    target: SessionState
    effects: tuple[Effect, ...] = ()
    end_reason: EndReason | None = None
    guard: Guard | None = None
    """The transition happens only when the guard holds; otherwise ``otherwise`` is
    tried, and without one the event is accepted and nothing changes."""
    otherwise: Rule | None = None


S, E = SessionState, Event
TABLE: dict[tuple[SessionState, Event], Rule] = {
    (S.IDLE, E.JOIN): Rule(S.CONNECTING),
    (S.ENDED, E.JOIN): Rule(S.CONNECTING),
    (S.CONNECTING, E.JOIN_OK): Rule(S.JOINED, (Effect.JOINED,)),
    (S.CONNECTING, E.JOIN_FAILED): Rule(S.IDLE),
    (S.CONNECTING, E.LEAVE): Rule(S.IDLE),
    (S.CONNECTING, E.ALONE): Rule(S.CONNECTING),
    (S.CONNECTING, E.NOT_ALONE): Rule(S.CONNECTING),
    (S.JOINED, E.LEAVE): Rule(S.ENDED, (Effect.LEFT,), EndReason.LEFT),
    (S.JOINED, E.CONNECTION_DOWN): Rule(S.RECONNECTING, (Effect.LOST,)),
    (S.JOINED, E.ROOM_CLOSED): Rule(S.ENDED, (Effect.LEFT,), EndReason.ROOM_CLOSED),
    (S.JOINED, E.REPLACED): Rule(S.ENDED, (Effect.LEFT,), EndReason.REPLACED),
    (S.JOINED, E.ALONE): Rule(S.JOINED),
    (S.JOINED, E.NOT_ALONE): Rule(S.JOINED),
    (S.JOINED, E.TICK): Rule(
        S.ENDED, (Effect.TIMED_OUT,), EndReason.IDLE_TIMEOUT, Guard.IDLE_EXPIRED,
        otherwise=Rule(S.JOINED, (Effect.IDLE_WARNING,), guard=Guard.IDLE_WARNING_DUE),
    ),
    (S.JOINED, E.STAY): Rule(S.JOINED),
    (S.RECONNECTING, E.LEAVE): Rule(S.ENDED, (Effect.LEFT,), EndReason.LEFT),
    (S.RECONNECTING, E.CONNECTION_DOWN): Rule(S.RECONNECTING),
    (S.RECONNECTING, E.CONNECTION_UP): Rule(S.JOINED, (Effect.RESTORED,), guard=Guard.ALL_UP),
    (S.RECONNECTING, E.RESUME_REFUSED): Rule(
        S.ENDED, (Effect.CLOSED,), EndReason.RESUME_REFUSED
    ),
    (S.RECONNECTING, E.ROOM_CLOSED): Rule(S.ENDED, (Effect.LEFT,), EndReason.ROOM_CLOSED),
    (S.RECONNECTING, E.REPLACED): Rule(S.ENDED, (Effect.LEFT,), EndReason.REPLACED),
    (S.RECONNECTING, E.ALONE): Rule(S.RECONNECTING),
    (S.RECONNECTING, E.NOT_ALONE): Rule(S.RECONNECTING),
    (S.RECONNECTING, E.TICK): Rule(
        S.ENDED, (Effect.CLOSED,), EndReason.RECONNECT_TIMEOUT, Guard.RECONNECT_EXPIRED
    ),
}
"""Every legal (state, event). Anything else is refused: no change, no effect."""


@dataclass(frozen=True)
class Step:
    """What one event did."""

    event: Event
    old: SessionState
    new: SessionState
    effects: tuple[Effect, ...]
    accepted: bool


class SessionMachine:
    """The lifecycle of one CallSession.

    Args:
        idle_timeout: Seconds alone in JOINED before TIMED_OUT; 0 disables.
        reconnect_timeout: Seconds in RECONNECTING before CLOSED.
        clock: Monotonic time source (a fake one in tests).
    """

    def __init__(self, idle_timeout: float, reconnect_timeout: float,
                 clock: Callable[[], float]) -> None:
        self.idle_timeout = idle_timeout
        self.reconnect_timeout = reconnect_timeout
        self._clock = clock
        self.state = SessionState.IDLE
        self.end_reason: EndReason | None = None
        self.down: set[Connection] = set()
        """The connections down right now."""
        self.alone = True
        self.idle_deadline: float | None = None
        self.warning_deadline: float | None = None
        """When the idle warning is due (None: not armed, or already given)."""
        self.reconnect_deadline: float | None = None

    def idle_seconds_left(self) -> float:
        """Seconds until the idle timeout ends the call (0 when it is not armed)."""
        return max(0.0, self.idle_deadline - self._clock()) if self.idle_deadline else 0.0

    def effect_args(self, effect: Effect) -> tuple[float, ...]:
        """What the callback of ``effect`` is given: the idle warning gets the seconds
        left; the others nothing."""
        return (self.idle_seconds_left(),) if effect is Effect.IDLE_WARNING else ()

    def configure(self, idle_timeout: float, reconnect_timeout: float) -> None:
        """New timeouts for the next join (only while not in a call)."""
        self.idle_timeout = idle_timeout
        self.reconnect_timeout = reconnect_timeout

    def next_deadline(self) -> float | None:
        """When the session must send a TICK next, or None."""
        if self.state is SessionState.JOINED:
            return self.warning_deadline or self.idle_deadline
        if self.state is SessionState.RECONNECTING:
            return self.reconnect_deadline
        return None

    def handle(self, event: Event, connection: Connection | None = None) -> Step:
        """Apply one event; return the transition and the callbacks to fire, in order."""
        old = self.state
        rule = TABLE.get((old, event))
        if rule is None:
            log.debug("refused event=%s state=%s", event.value, old.value)
            return Step(event, old, old, (), False)
        now = self._clock()
        self._bookkeep(event, connection, now)
        while rule.guard is not None and not self._holds(rule.guard, now):
            if rule.otherwise is None:
                return Step(event, old, old, (), True)
            rule = rule.otherwise
        self._enter(rule, now)
        if self.state is not old:
            log.info("session state %s -> %s (%s)", old.value, self.state.value, event.value)
        return Step(event, old, self.state, rule.effects, True)

    # -- internals

    def _bookkeep(self, event: Event, connection: Connection | None, now: float) -> None:
        if event is Event.CONNECTION_DOWN:
            self.down.add(connection or Connection.SIGNALING)
        elif event is Event.CONNECTION_UP:
            self.down.discard(connection or Connection.SIGNALING)
        elif event is Event.ALONE:
            if not self.alone and self.state is SessionState.JOINED:
                self._arm_idle(now)
            self.alone = True
        elif event is Event.NOT_ALONE:
            self.alone = False
            self.idle_deadline = self.warning_deadline = None
        elif event is Event.STAY and self.alone and self.state is SessionState.JOINED:
            self._arm_idle(now)

    def _holds(self, guard: Guard, now: float) -> bool:
        if guard is Guard.ALL_UP:
            return not self.down
        if guard is Guard.IDLE_EXPIRED:
            return self.idle_deadline is not None and now >= self.idle_deadline
        if guard is Guard.IDLE_WARNING_DUE:
            return self.warning_deadline is not None and now >= self.warning_deadline
        return self.reconnect_deadline is not None and now >= self.reconnect_deadline

    def _arm_idle(self, now: float) -> None:
        if self.idle_timeout <= 0:
            self.idle_deadline = self.warning_deadline = None
            return
        self.idle_deadline = now + self.idle_timeout
        self.warning_deadline = self.idle_deadline - min(IDLE_WARNING_LEAD, self.idle_timeout)

    def _enter(self, rule: Rule, now: float) -> None:
        old, new = self.state, rule.target
        self.state = new
        if new is SessionState.CONNECTING and old is not SessionState.CONNECTING:
            self.end_reason = None
            self.down.clear()
            self.alone = True
        if new is SessionState.JOINED and old is not SessionState.JOINED:
            self.reconnect_deadline = None
            self.idle_deadline = self.warning_deadline = None
            if self.alone:
                self._arm_idle(now)
        if new is SessionState.RECONNECTING and old is SessionState.JOINED:
            # Whether we are alone is unknown while cut off: the idle timer pauses
            # and starts afresh on restore.
            self.idle_deadline = self.warning_deadline = None
            self.reconnect_deadline = now + self.reconnect_timeout
        if new in (SessionState.ENDED, SessionState.IDLE):
            self.idle_deadline = self.warning_deadline = None
            self.reconnect_deadline = None
            self.down.clear()
        if Effect.IDLE_WARNING in rule.effects:
            self.warning_deadline = None  # given once per idle period
        if rule.end_reason is not None:
            self.end_reason = rule.end_reason
