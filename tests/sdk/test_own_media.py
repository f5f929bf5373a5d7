"""OwnMedia: each own change goes to the media, the room and the media listeners, once."""

from __future__ import annotations

from parley.protocol.messages import Update
from parley.protocol.presence import Flag
from parley.sdk.event_types import OwnMediaEvent
from parley.sdk.own_media import OwnMedia


class FakeMedia:
    def __init__(self, screen_ok: bool = True) -> None:
        self.calls: list[tuple[str, bool]] = []
        self._screen_ok = screen_ok

    def set_audio_muted(self, muted: bool) -> None:
        self.calls.append(("audio_muted", muted))

    def set_video_paused(self, paused: bool) -> None:
        self.calls.append(("video_paused", paused))

    async def start_screen_share(self, source: object = None) -> bool:
        self.calls.append(("screen", True))
        return self._screen_ok

    async def stop_screen_share(self) -> None:
        self.calls.append(("screen", False))


def own_media() -> tuple[OwnMedia, list[Update], list[OwnMediaEvent]]:
    sent: list[Update] = []
    events: list[OwnMediaEvent] = []
    return OwnMedia(sent.append, events.append), sent, events


def test_a_change_reaches_media_room_and_listeners_once() -> None:
    own, sent, events = own_media()
    media = FakeMedia()
    own.attach(media)
    assert media.calls == [("audio_muted", False), ("video_paused", False)]
    own.set(Flag.AUDIO_MUTED, True)
    own.set(Flag.AUDIO_MUTED, True)  # already muted: nothing
    own.set(Flag.HAND_RAISED, True)
    assert media.calls[2:] == [("audio_muted", True)]
    assert sent == [Update(audio_muted=True), Update(hand_raised=True)]
    assert events == ["on_audio_muted", "on_hand_raised"]  # your own hand shows on your tile
    assert own.is_on(Flag.AUDIO_MUTED) and own.is_on(Flag.HAND_RAISED)


def test_attach_applies_the_flags_and_resend_repeats_those_on() -> None:
    own, sent, events = own_media()
    own.reset(audio_muted=True, video_paused=True)
    own.set(Flag.VIDEO_PAUSED, False)  # no media yet: the flag changes all the same
    media = FakeMedia()
    own.attach(media)
    assert media.calls == [("audio_muted", True), ("video_paused", False)]
    sent.clear()
    own.resend()
    assert sent == [Update(audio_muted=True)]
    assert events == ["on_video_resumed"]


async def test_a_screen_that_cannot_start_is_no_share() -> None:
    own, sent, events = own_media()
    own.attach(FakeMedia(screen_ok=False))
    await own.start_screen_share()
    assert not own.is_on(Flag.SCREEN_SHARING) and sent == [] and events == []
    own.attach(media := FakeMedia())
    await own.start_screen_share()
    await own.start_screen_share()  # sharing already: nothing
    await own.stop_screen_share()
    assert media.calls[2:] == [("screen", True), ("screen", False)]
    assert events == ["on_screen_share_started", "on_screen_share_stopped"]
    assert sent == [Update(screen_sharing=True), Update(screen_sharing=False)]
