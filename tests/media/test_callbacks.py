"""The one callback rule (mesh events and SDK listeners) and owned tasks, without a network."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import fields
from functools import partial
from typing import get_args

import pytest

from parley.media.callbacks import check_callback
from parley.media.events import MeshEvent, MeshEvents
from parley.media.tasks import OwnedTasks


def test_mesh_event_names_are_exactly_the_callbacks() -> None:
    assert set(get_args(MeshEvent)) == {f.name for f in fields(MeshEvents)}


class AsyncCallable:
    async def __call__(self, pid: str) -> None:
        pass


async def connected(pid: str) -> None:
    pass


@pytest.mark.parametrize("callback", [connected, AsyncCallable(), partial(connected)],
                         ids=["function", "callable object", "partial"])
def test_every_kind_of_coroutine_callback_is_refused(callback: object) -> None:
    with pytest.raises(TypeError, match=r"MeshEvents.on_peer_connected is a coroutine function"):
        MeshEvents(on_peer_connected=callback)  # type: ignore[arg-type]


def test_a_callback_that_is_not_callable_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Owner.name must be callable, got 3"):
        check_callback("Owner", "name", 3)
    check_callback("Owner", "name", None)  # an unset callback is fine


def test_a_raising_callback_is_logged_and_the_emitter_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def boom(pid: str) -> None:
        raise RuntimeError("callback bug")

    events = MeshEvents(on_peer_connected=boom, on_peer_restored=seen.append)
    with caplog.at_level(logging.ERROR):
        events.emit("on_peer_connected", "b")
        events.emit("on_peer_restored", "b")
        events.emit("on_media_lost")  # unset: nothing happens
    assert seen == ["b"]
    assert "callback_error callback=MeshEvents.on_peer_connected" in caplog.text
    assert "callback bug" in caplog.text


async def test_owned_tasks_are_kept_until_done_and_failures_are_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    tasks = OwnedTasks()
    release = asyncio.Event()

    async def wait() -> None:
        await release.wait()

    async def fail() -> None:
        raise RuntimeError("task bug")

    waiting = tasks.spawn(wait(), "waiting")
    failing = tasks.spawn(fail(), "failing")
    assert len(tasks) == 2 and waiting.get_name() == "waiting"
    with caplog.at_level(logging.ERROR):
        await asyncio.gather(failing, return_exceptions=True)  # after the task's own callback
    assert len(tasks) == 1
    assert "task_failed task=failing" in caplog.text and "task bug" in caplog.text
    release.set()
    await tasks.drain()
    assert len(tasks) == 0 and waiting.done()


async def test_drain_waits_for_tasks_spawned_meanwhile() -> None:
    tasks = OwnedTasks()
    order: list[str] = []

    async def second() -> None:
        order.append("second")

    async def first() -> None:
        order.append("first")
        tasks.spawn(second())

    tasks.spawn(first())
    await tasks.drain()
    assert order == ["first", "second"] and len(tasks) == 0


async def test_cancel_all_spares_the_calling_task() -> None:
    tasks = OwnedTasks()
    never = tasks.spawn(asyncio.Event().wait())

    async def closer() -> str:
        tasks.cancel_all()
        await asyncio.sleep(0)
        return "survived"

    assert await tasks.spawn(closer()) == "survived"
    assert never.cancelled()
