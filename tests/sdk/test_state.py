"""The lifecycle state machine, pure, with a fake clock: every legal and refused transition."""

from __future__ import annotations

import itertools

import pytest

from parley.sdk.errors import EndReason
from parley.sdk.state import TABLE, Connection, Effect, Event, SessionMachine, SessionState

S, E = SessionState, Event


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def machine_in(state: SessionState, clock: FakeClock | None = None,
               idle: float = 300.0, reconnect: float = 30.0) -> SessionMachine:
    """Drive a fresh machine into ``state`` through legal events only."""
    m = SessionMachine(idle, reconnect, clock or FakeClock())
    path = {
        S.IDLE: [],
        S.CONNECTING: [E.JOIN],
        S.JOINED: [E.JOIN, E.JOIN_OK],
        S.RECONNECTING: [E.JOIN, E.JOIN_OK, E.CONNECTION_DOWN],
        S.ENDED: [E.JOIN, E.JOIN_OK, E.LEAVE],
    }[state]
    for event in path:
        assert m.handle(event).accepted
    assert m.state is state
    return m


# (state, event) -> (new state, effects) for events whose guard holds at once.
EXPECTED = {
    (S.IDLE, E.JOIN): (S.CONNECTING, ()),
    (S.ENDED, E.JOIN): (S.CONNECTING, ()),
    (S.CONNECTING, E.JOIN_OK): (S.JOINED, (Effect.JOINED,)),
    (S.CONNECTING, E.JOIN_FAILED): (S.IDLE, ()),
    (S.CONNECTING, E.LEAVE): (S.IDLE, ()),
    (S.CONNECTING, E.ALONE): (S.CONNECTING, ()),
    (S.CONNECTING, E.NOT_ALONE): (S.CONNECTING, ()),
    (S.JOINED, E.LEAVE): (S.ENDED, (Effect.LEFT,)),
    (S.JOINED, E.CONNECTION_DOWN): (S.RECONNECTING, (Effect.LOST,)),
    (S.JOINED, E.ROOM_CLOSED): (S.ENDED, (Effect.LEFT,)),
    (S.JOINED, E.REPLACED): (S.ENDED, (Effect.LEFT,)),
    (S.JOINED, E.ALONE): (S.JOINED, ()),
    (S.JOINED, E.NOT_ALONE): (S.JOINED, ()),
    (S.JOINED, E.TICK): (S.JOINED, ()),  # idle deadline (and its warning) not reached
    (S.JOINED, E.STAY): (S.JOINED, ()),
    (S.RECONNECTING, E.LEAVE): (S.ENDED, (Effect.LEFT,)),
    (S.RECONNECTING, E.CONNECTION_DOWN): (S.RECONNECTING, ()),
    (S.RECONNECTING, E.CONNECTION_UP): (S.JOINED, (Effect.RESTORED,)),
    (S.RECONNECTING, E.RESUME_REFUSED): (S.ENDED, (Effect.CLOSED,)),
    (S.RECONNECTING, E.ROOM_CLOSED): (S.ENDED, (Effect.LEFT,)),
    (S.RECONNECTING, E.REPLACED): (S.ENDED, (Effect.LEFT,)),
    (S.RECONNECTING, E.ALONE): (S.RECONNECTING, ()),
    (S.RECONNECTING, E.NOT_ALONE): (S.RECONNECTING, ()),
    (S.RECONNECTING, E.TICK): (S.RECONNECTING, ()),  # reconnect deadline not reached
}


def test_expected_covers_the_whole_table() -> None:
    assert set(EXPECTED) == set(TABLE)


@pytest.mark.parametrize(("state", "event"), sorted(EXPECTED, key=str))
def test_legal_transition(state: SessionState, event: Event) -> None:
    m = machine_in(state)
    step = m.handle(event)
    new, effects = EXPECTED[(state, event)]
    assert step.accepted
    assert (step.old, step.new, step.effects) == (state, new, effects)
    assert m.state is new


REFUSED = sorted(
    (pair for pair in itertools.product(SessionState, Event) if pair not in TABLE), key=str
)


@pytest.mark.parametrize(("state", "event"), REFUSED)
def test_refused_transition_changes_nothing(state: SessionState, event: Event) -> None:
    m = machine_in(state)
    before = (m.state, m.end_reason, set(m.down), m.idle_deadline, m.reconnect_deadline)
    step = m.handle(event)
    assert not step.accepted
    assert step.effects == ()
    after = (m.state, m.end_reason, set(m.down), m.idle_deadline, m.reconnect_deadline)
    assert after == before


def test_there_are_refused_transitions_for_every_state() -> None:
    # e.g. CONNECTION_UP while JOINED, JOIN_OK while JOINED, LEAVE while IDLE (idempotent leave)
    assert {s for s, _ in REFUSED} == set(SessionState)
    assert (S.JOINED, E.CONNECTION_UP) in REFUSED
    assert (S.IDLE, E.LEAVE) in REFUSED and (S.ENDED, E.LEAVE) in REFUSED


def test_end_reasons() -> None:
    cases = [
        (S.JOINED, E.LEAVE, EndReason.LEFT),
        (S.RECONNECTING, E.LEAVE, EndReason.LEFT),
        (S.RECONNECTING, E.RESUME_REFUSED, EndReason.RESUME_REFUSED),
        (S.JOINED, E.ROOM_CLOSED, EndReason.ROOM_CLOSED),
        (S.RECONNECTING, E.ROOM_CLOSED, EndReason.ROOM_CLOSED),
        (S.JOINED, E.REPLACED, EndReason.REPLACED),
        (S.RECONNECTING, E.REPLACED, EndReason.REPLACED),
    ]
    for state, event, reason in cases:
        m = machine_in(state)
        m.handle(event)
        assert m.end_reason is reason


def test_idle_timer_runs_only_while_alone() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=120)
    assert m.idle_deadline == clock.now + 120
    clock.now += 100
    m.handle(E.NOT_ALONE)  # somebody joined: the timer stops
    assert m.next_deadline() is None
    clock.now += 500
    assert m.handle(E.TICK).new is S.JOINED
    m.handle(E.ALONE)  # alone again: a fresh full period
    assert m.idle_deadline == clock.now + 120
    clock.now += 119.9
    assert m.handle(E.TICK).new is S.JOINED
    clock.now += 0.1
    step = m.handle(E.TICK)
    assert (step.new, step.effects) == (S.ENDED, (Effect.TIMED_OUT,))
    assert m.end_reason is EndReason.IDLE_TIMEOUT


def test_alone_twice_does_not_restart_the_idle_timer() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=60)
    deadline = m.next_deadline()
    clock.now += 30
    m.handle(E.ALONE)
    assert m.next_deadline() == deadline


def test_idle_zero_disables_the_timer() -> None:
    m = machine_in(S.JOINED, idle=0)
    assert m.next_deadline() is None


def test_idle_timer_pauses_while_reconnecting_and_restarts_on_restore() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=60, reconnect=30)
    clock.now += 50
    m.handle(E.CONNECTION_DOWN)
    assert m.next_deadline() == clock.now + 30  # the reconnect deadline, not the idle one
    clock.now += 20
    m.handle(E.CONNECTION_UP)
    assert m.idle_deadline == clock.now + 60


def test_reconnect_deadline_closes() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, reconnect=30)
    step = m.handle(E.CONNECTION_DOWN)
    assert step.effects == (Effect.LOST,)
    clock.now += 29.99
    assert m.handle(E.TICK).effects == ()
    clock.now += 0.01
    step = m.handle(E.TICK)
    assert (step.new, step.effects) == (S.ENDED, (Effect.CLOSED,))
    assert m.end_reason is EndReason.RECONNECT_TIMEOUT


def test_lost_and_restored_alternate_across_two_connections() -> None:
    m = machine_in(S.JOINED)
    effects = []
    down, up = E.CONNECTION_DOWN, E.CONNECTION_UP
    signaling, media = Connection.SIGNALING, Connection.MEDIA
    for event, connection in [
        (down, signaling), (down, media),
        (up, signaling),  # media still down: no restore yet
        (up, media), (up, media),  # the second is refused
        (down, media), (up, media),
    ]:
        effects += m.handle(event, connection).effects
    assert effects == [Effect.LOST, Effect.RESTORED, Effect.LOST, Effect.RESTORED]


def test_nothing_fires_after_the_end_and_a_new_join_starts_clean() -> None:
    m = machine_in(S.RECONNECTING)
    m.handle(E.LEAVE)
    for event in Event:
        if event is not E.JOIN:
            assert m.handle(event).effects == ()
    assert m.end_reason is EndReason.LEFT
    assert m.handle(E.JOIN).new is S.CONNECTING
    assert m.end_reason is None and not m.down


def test_the_idle_warning_comes_once_a_minute_before_the_timeout() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=300)
    assert m.next_deadline() == clock.now + 240  # the warning first
    clock.now += 239.9
    assert m.handle(E.TICK).effects == ()
    clock.now += 0.1
    step = m.handle(E.TICK)
    assert (step.new, step.effects) == (S.JOINED, (Effect.IDLE_WARNING,))
    assert m.effect_args(Effect.IDLE_WARNING) == (60.0,)
    assert m.effect_args(Effect.TIMED_OUT) == ()
    assert m.next_deadline() == clock.now + 60  # then the timeout itself
    clock.now += 30
    assert m.handle(E.TICK).effects == ()  # given once
    assert m.idle_seconds_left() == 30.0
    clock.now += 30
    assert m.handle(E.TICK).effects == (Effect.TIMED_OUT,)


def test_stay_restarts_the_idle_period_and_its_warning() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=300)
    clock.now += 250
    assert m.handle(E.TICK).effects == (Effect.IDLE_WARNING,)
    step = m.handle(E.STAY)
    assert (step.new, step.effects) == (S.JOINED, ())
    assert m.next_deadline() == clock.now + 240 and m.idle_deadline == clock.now + 300
    clock.now += 240
    assert m.handle(E.TICK).effects == (Effect.IDLE_WARNING,)


def test_stay_with_company_or_no_timer_changes_nothing() -> None:
    m = machine_in(S.JOINED, idle=300)
    m.handle(E.NOT_ALONE)
    m.handle(E.STAY)
    assert m.next_deadline() is None
    assert machine_in(S.JOINED, idle=0).handle(E.STAY).accepted
    assert not machine_in(S.RECONNECTING).handle(E.STAY).accepted


def test_a_short_idle_timeout_warns_at_once_with_all_its_seconds() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=20)
    assert m.next_deadline() == clock.now
    assert m.handle(E.TICK).effects == (Effect.IDLE_WARNING,)
    assert m.effect_args(Effect.IDLE_WARNING) == (20.0,)


def test_company_cancels_a_warning_not_given_yet() -> None:
    clock = FakeClock()
    m = machine_in(S.JOINED, clock, idle=300)
    m.handle(E.NOT_ALONE)
    clock.now += 400
    assert m.handle(E.TICK).effects == ()
    m.handle(E.ALONE)
    assert m.next_deadline() == clock.now + 240
