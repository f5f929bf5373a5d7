"""Listeners: refused coroutines, isolated exceptions, safe removal, no leaks."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

from parley.sdk import (
    CallSession,
    MediaEventListener,
    ParticipantEventListener,
    SessionSettings,
    SessionStatusListener,
)
from parley.sdk.listeners import ListenerRegistry
from parley.server import CallServer


def test_a_coroutine_callback_is_refused_with_a_clear_error() -> None:
    async def on_joined() -> None:
        pass

    with pytest.raises(TypeError, match="coroutine function.*create_task"):
        SessionStatusListener(on_session_joined=on_joined)
    with pytest.raises(TypeError, match="must be callable"):
        MediaEventListener(on_audio_muted="not a function")  # type: ignore[arg-type]


def test_a_listener_exception_is_logged_and_the_others_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    registry = ListenerRegistry(SessionStatusListener)
    calls: list[str] = []

    def boom() -> None:
        raise RuntimeError("listener bug")

    registry.add(SessionStatusListener(on_session_joined=boom))
    registry.add(SessionStatusListener(on_session_joined=lambda: calls.append("second")))
    with caplog.at_level(logging.ERROR):
        registry.emit("on_session_joined")
    assert calls == ["second"]
    assert "callback_error" in caplog.text and "listener bug" in caplog.text


def test_removing_a_listener_inside_a_callback_is_safe() -> None:
    registry = ListenerRegistry(SessionStatusListener)
    calls: list[str] = []
    second = SessionStatusListener(on_session_left=lambda: calls.append("second"))

    def remove_both() -> None:
        calls.append("first")
        registry.remove(first)
        registry.remove(second)  # removed before its turn: never called

    first = SessionStatusListener(on_session_left=remove_both)
    registry.add(first)
    registry.add(second)
    registry.emit("on_session_left")
    registry.emit("on_session_left")
    assert calls == ["first"]
    assert len(registry) == 0


def test_adding_twice_registers_once_and_wrong_kind_is_refused() -> None:
    registry = ListenerRegistry(SessionStatusListener)
    listener = SessionStatusListener()
    registry.add(listener)
    registry.add(listener)
    assert len(registry) == 1
    with pytest.raises(TypeError,
                       match="^expected a SessionStatusListener, got MediaEventListener$"):
        registry.add(MediaEventListener())  # type: ignore[arg-type]


async def test_a_removed_listener_is_not_kept_alive_nor_called(server: CallServer) -> None:
    session = CallSession()
    calls: list[str] = []

    class Owner:
        def joined(self) -> None:
            calls.append("joined")

    owner = Owner()
    listener = SessionStatusListener(on_session_joined=owner.joined)
    participant_listener = ParticipantEventListener()
    session.add_session_status_listener(listener)
    session.add_participant_event_listener(participant_listener)
    session.remove_session_status_listener(listener)
    session.remove_participant_event_listener(participant_listener)
    ref, owner_ref = weakref.ref(listener), weakref.ref(owner)
    del listener, owner, participant_listener
    gc.collect()
    assert ref() is None and owner_ref() is None
    assert session.listener_count() == 0
    await session.join_session("room", SessionSettings("Ada", media=False), server=server.url)
    await session.leave_session()
    assert calls == []


async def test_a_failing_listener_does_not_disturb_the_session(server: CallServer) -> None:
    session = CallSession()
    seen: list[str] = []

    def boom() -> None:
        raise RuntimeError("bad listener")

    session.add_session_status_listener(SessionStatusListener(
        on_session_joined=boom, on_session_left=boom))
    session.add_session_status_listener(SessionStatusListener(
        on_session_joined=lambda: seen.append("joined"),
        on_session_left=lambda: seen.append("left")))
    await session.join_session("room", SessionSettings("Ada", media=False), server=server.url)
    await session.leave_session()
    assert seen == ["joined", "left"]


def test_a_bound_method_video_sink_can_be_removed() -> None:
    class View:
        def on_frame(self, pid: str, frame: object) -> None:
            pass

    session, view = CallSession(), View()
    session.add_video_sink(view.on_frame)
    session.add_video_sink(view.on_frame)  # the same sink twice is registered once
    assert session.video_sink_count() == 1
    session.remove_video_sink(view.on_frame)  # a new bound-method object, equal to the first
    assert session.video_sink_count() == 0
