"""One definition of the presence flags and the event names, and the roster's events
(pure: no sockets)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from typing import get_args

from parley.protocol import decode, encode
from parley.protocol.messages import ParticipantUpdated, Update
from parley.protocol.presence import OWN_FLAGS, STANDING, Flag, ParticipantInfo
from parley.sdk import MediaEventListener, Participant, ParticipantEventListener
from parley.sdk.event_types import (
    FLAG_EVENTS,
    FlagEvent,
    MediaEvent,
    OwnMediaEvent,
    ParticipantEvent,
    SessionStatusEvent,
    is_own_media_event,
)
from parley.sdk.listeners import SessionStatusListener
from parley.sdk.participants import Roster
from parley.sdk.state import Effect
from parley.server.rooms import Seat


def names(listener: type) -> set[str]:
    return {f.name for f in fields(listener)}


def test_event_names_are_exactly_the_listeners_callbacks() -> None:
    assert set(get_args(SessionStatusEvent)) == names(SessionStatusListener)
    assert set(get_args(ParticipantEvent)) == names(ParticipantEventListener)
    assert set(get_args(MediaEvent)) == names(MediaEventListener)
    # Waiting in a lobby is no transition (the state stays CONNECTING): not an Effect.
    lifecycle = {effect.value for effect in Effect} | {"on_waiting_for_host"}
    assert lifecycle == set(get_args(SessionStatusEvent))


def test_every_flag_is_a_wire_field_and_has_its_two_events() -> None:
    flag_fields = {f.name for f in fields(ParticipantInfo)
                   if f.type == "bool" and f.name not in STANDING}
    assert {flag.value for flag in Flag} == flag_fields
    assert {f.name for f in fields(Update)} == {flag.value for flag in OWN_FLAGS}
    assert set(FLAG_EVENTS) == set(Flag)
    fired = [event for pair in FLAG_EVENTS.values() for event in pair]
    assert sorted(fired) == sorted(get_args(FlagEvent))  # each event once
    own = {event for event in fired if is_own_media_event(event)}
    assert own == set(get_args(OwnMediaEvent)) == names(MediaEventListener) - {"on_device_error"}


def test_seat_participant_and_wire_share_the_flags() -> None:
    assert [f.name for f in fields(Participant)] == [
        *(f.name for f in fields(ParticipantInfo)), "is_local", "media_unreachable",
        "video_paused_for_bandwidth"]
    seat = Seat("p_1", "Ada")
    assert seat.update(audio_muted=True, hand_raised=None)
    seat.reconnecting = True
    info = seat.info()
    assert info == ParticipantInfo("p_1", "Ada", audio_muted=True, reconnecting=True)
    assert {flag for flag in Flag if info.flag(flag)} == {Flag.AUDIO_MUTED, Flag.RECONNECTING}
    wire = encode(ParticipantUpdated(info))
    assert wire == ('{"v":1,"type":"participant_updated","participant":{"id":"p_1",'
                    '"name":"Ada","audio_muted":true,"video_paused":false,"hand_raised":false,'
                    '"screen_sharing":false,"reconnecting":true,"no_camera":false,'
                    '"no_microphone":false,"guest":false,"verified":false,"host":false}}')
    received = decode(wire)
    assert isinstance(received, ParticipantUpdated)
    assert Participant.from_info(received.participant, "p_2") == Participant(
        "p_1", "Ada", audio_muted=True, reconnecting=True)


def test_the_roster_fires_one_event_per_changed_flag_in_table_order() -> None:
    roster = Roster()
    roster.local_id = "p_me"
    bob = Participant("p_bob", "Bob")
    assert roster.upsert(bob) == [("on_participant_joined", bob)]
    changed = Participant("p_bob", "Bob", audio_muted=True, screen_sharing=True)
    assert roster.upsert(changed) == [("on_audio_muted", changed),
                                      ("on_screen_share_started", changed)]
    assert roster.upsert(changed) == []
    assert roster.upsert(Participant("p_me", "Me", audio_muted=True, is_local=True)) == []
    events = roster.set_media_down("p_bob", True)
    assert [name for name, _ in events] == ["on_participant_reconnecting"]
    assert [name for name, _ in roster.set_media_down("p_bob", False)] == [
        "on_participant_restored"]


def test_importing_the_sdk_loads_no_media_stack() -> None:
    code = ("import sys, parley.sdk; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'aiortc', 'av'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_an_unreachable_peer_is_announced_once_and_survives_the_servers_updates() -> None:
    roster = Roster()
    roster.replace_all((ParticipantInfo(id="me", name="Me"), ParticipantInfo(id="b", name="Bob")),
                       "me")
    (event,) = roster.set_media_unreachable("b", True)
    assert event[0] == "on_media_unreachable" and event[1].media_unreachable
    assert roster.set_media_unreachable("b", True) == []  # no change: no event
    assert roster.set_media_unreachable("me", True) == []  # never about yourself
    roster.upsert(Participant(id="b", name="Bob", audio_muted=True))  # the server's news
    participant = roster.get("b")
    assert participant is not None and participant.media_unreachable
    (event,) = roster.set_media_unreachable("b", False)
    assert event[0] == "on_media_reachable" and not event[1].media_unreachable


def test_video_paused_for_bandwidth_is_a_flag_announced_on_change_and_kept_on_updates() -> None:
    roster = Roster()
    roster.replace_all((ParticipantInfo(id="me", name="Me"), ParticipantInfo(id="b", name="Bob")),
                       "me")
    (event,) = roster.set_video_paused_for_bandwidth("b", True)
    assert event[0] == "on_video_paused_for_bandwidth" and event[1].video_paused_for_bandwidth
    assert roster.set_video_paused_for_bandwidth("b", True) == []  # no change: no event
    assert roster.set_video_paused_for_bandwidth("me", True) == []  # never about yourself
    assert roster.set_video_paused_for_bandwidth("nobody", True) == []
    roster.upsert(Participant(id="b", name="Bob", audio_muted=True))  # the server's news
    participant = roster.get("b")
    assert participant is not None and participant.video_paused_for_bandwidth
    (event,) = roster.set_video_paused_for_bandwidth("b", False)
    assert event[0] == "on_video_resumed_for_bandwidth"
    assert not event[1].video_paused_for_bandwidth
