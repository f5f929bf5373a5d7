"""What the server asks Janus for a seat's layers (pure, no Janus): the streams of a
publisher a subscriber receives (audio and one camera layer), the m-lines Janus lists
read back as Parley's streams, and the ``switch`` that changes a layer."""

from __future__ import annotations

from typing import Any

from parley.protocol.sfu import SfuStream, SfuTrack
from parley.server.sfu import layers
from parley.server.sfu.seats import JanusRoom, JanusSeat

TRACKS = (SfuTrack("0", "audio"), SfuTrack("1", "camera", "full"),
          SfuTrack("2", "camera", "low"))


def room_with(*seats: JanusSeat) -> JanusRoom:
    room = JanusRoom("r", 1, "secret", janus=None, admin=0)  # type: ignore[arg-type]
    room.seats = {seat.key[1]: seat for seat in seats}
    return room


def test_a_publisher_of_two_layers_is_received_as_audio_and_the_layer_asked_for() -> None:
    ada = JanusSeat(("r", "ada"), "t", feed=11, tracks=TRACKS)
    assert layers.subscription(ada, "low") == [{"feed": 11, "mid": "0"},
                                               {"feed": 11, "mid": "2"}]
    assert layers.subscription(ada, "full") == [{"feed": 11, "mid": "0"},
                                                {"feed": 11, "mid": "1"}]
    assert layers.descriptions(TRACKS) == [
        {"mid": "0", "description": "audio"}, {"mid": "1", "description": "camera"},
        {"mid": "2", "description": "camera-low"}]


def test_a_publisher_that_declared_nothing_is_received_whole() -> None:
    guest = JanusSeat(("r", "guest"), "t", feed=12)  # a browser guest: one camera
    assert layers.subscription(guest, "low") == [{"feed": 12}]
    one = JanusSeat(("r", "one"), "t", feed=13, tracks=TRACKS[:2])  # no low layer
    assert layers.subscription(one, "low") == [{"feed": 13, "mid": "0"},
                                               {"feed": 13, "mid": "1"}]


def janus_streams(feed_mid: str) -> list[dict[str, Any]]:
    return [{"type": "audio", "mid": "0", "feed_id": 11, "feed_mid": "0", "active": True},
            {"type": "video", "mid": "1", "feed_id": 11, "feed_mid": feed_mid,
             "active": True},
            {"type": "video", "mid": "2", "feed_id": 99, "active": True},  # someone gone
            {"type": "video", "mid": "3", "active": False}]


def test_the_streams_janus_lists_say_whose_media_and_which_layer() -> None:
    ada = JanusSeat(("r", "ada"), "t", feed=11, tracks=TRACKS)
    room = room_with(ada)
    assert layers.subscriber_streams(room, janus_streams("2")) == {
        "0": SfuStream("0", "ada", "audio"), "1": SfuStream("1", "ada", "camera", "low")}


def test_a_switch_moves_the_m_line_to_the_other_layer_and_only_when_it_changes() -> None:
    ada = JanusSeat(("r", "ada"), "t", feed=11, tracks=TRACKS)
    bob = JanusSeat(("r", "bob"), "t", feed=12)
    room = room_with(ada, bob)
    bob.streams = layers.subscriber_streams(room, janus_streams("2"))
    assert layers.switch_request(bob, ada, "ada", "full") == {
        "request": "switch", "streams": [{"feed": 11, "mid": "1", "sub_mid": "1"}]}
    assert layers.switch_request(bob, ada, "ada", "low") is None  # on it already
    assert layers.switch_request(bob, bob, "bob", "full") is None  # not received
