"""The loop fixture itself must be able to fail a test."""

import asyncio

from tests import conftest


async def test_unhandled_task_exception_is_recorded() -> None:
    async def boom() -> None:
        raise RuntimeError("lost")

    task = asyncio.get_running_loop().create_task(boom())
    await asyncio.wait([task])
    del task  # never retrieved: the loop reports it when the task is collected
    import gc

    gc.collect()
    assert any("lost" in repr(c.get("exception")) for c in conftest.unhandled)
    conftest.unhandled.clear()  # this test expected it


async def test_callback_exception_is_recorded() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()

    def bad() -> None:
        fired.set()
        raise ValueError("in a callback")

    loop.call_soon(bad)
    await fired.wait()
    await asyncio.sleep(0)
    assert any(isinstance(c.get("exception"), ValueError) for c in conftest.unhandled)
    conftest.unhandled.clear()


async def test_running_loop_is_strict() -> None:
    assert asyncio.get_running_loop().get_exception_handler() is conftest.record_unhandled
