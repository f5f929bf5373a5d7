"""The pure room model: seats, limits, departures (no sockets)."""

from __future__ import annotations

import pytest

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.server.rooms import Registry, Seat, new_participant_id


def test_admit_assigns_distinct_ids_in_joining_order() -> None:
    registry = Registry(max_rooms=10, max_participants=10)
    a = registry.admit("r", "A")
    b = registry.admit("r", "B")
    assert a.id != b.id and a.id.startswith("p_")
    assert [p.name for p in registry.rooms["r"].participants()] == ["A", "B"]
    assert registry.counts() == (1, 2)
    assert [s.id for s in registry.rooms["r"].others(a.id)] == [b.id]


def test_admit_with_a_given_id_recreates_that_seat() -> None:
    registry = Registry(10, 10)
    seat = registry.admit("r", "Ada", "p_known")
    assert seat.id == "p_known" and registry.seat(("r", "p_known")) is seat


def test_room_full_counts_reconnecting_seats() -> None:
    registry = Registry(10, 2)
    registry.admit("r", "A").reconnecting = True
    registry.admit("r", "B")
    with pytest.raises(ProtocolError,
                       match="^room_full: room r already has 2 participants$") as info:
        registry.admit("r", "C")
    assert info.value.code == ErrorCode.ROOM_FULL
    registry.admit("other", "D")  # other rooms are unaffected


def test_too_many_rooms_but_existing_rooms_still_admit() -> None:
    registry = Registry(1, 5)
    registry.admit("r", "A")
    with pytest.raises(ProtocolError,
                       match="^too_many_rooms: this server already hosts 1 rooms$") as info:
        registry.admit("s", "B")
    assert info.value.code == ErrorCode.TOO_MANY_ROOMS
    registry.admit("r", "B")


def test_remove_frees_the_room_and_remembers_the_departure_until_expiry() -> None:
    registry = Registry(1, 5)
    seat = registry.admit("r", "A")
    assert registry.remove(("r", seat.id), now=100.0, remember_for=10.0) is seat
    assert registry.rooms == {} and registry.counts() == (0, 0)
    assert registry.has_departed(("r", seat.id), now=105.0)
    assert not registry.has_departed(("r", seat.id), now=110.0)
    assert not registry.has_departed(("other", seat.id), now=105.0)
    registry.admit("s", "B")  # the freed room no longer counts against max_rooms
    assert registry.remove(("r", "p_gone"), 0.0, 1.0) is None


def test_seat_update_applies_only_given_flags_and_reports_change() -> None:
    seat = Seat("p_1", "A")
    assert seat.update(audio_muted=True)
    assert not seat.update(audio_muted=True, video_paused=None)
    assert seat.update(hand_raised=True, screen_sharing=True)
    info = seat.info()
    assert (info.audio_muted, info.video_paused, info.hand_raised, info.screen_sharing) == (
        True, False, True, True)


def test_participant_ids_are_random() -> None:
    assert len({new_participant_id() for _ in range(200)}) == 200
