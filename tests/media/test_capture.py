"""The capture reader thread is owned: stop() joins it, so the device is free at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from parley.media.capture import JOIN_TIMEOUT, CaptureTrack


class _Camera:
    """A container that delivers a frame every 30 ms, like a camera (and says when
    it was closed, which is when a real device is free again)."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def decode(self, video: int = 0) -> Iterator[av.VideoFrame]:
        while not self.closed.is_set():
            time.sleep(0.03)  # the device's frame interval, in the reader thread
            yield av.VideoFrame(64, 48, "yuv420p")

    def close(self) -> None:
        self.closed.set()


class _Stuck:
    """A container whose device hangs (delivers nothing until released)."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def decode(self, video: int = 0) -> Iterator[av.VideoFrame]:
        self.released.wait(10)
        return iter(())

    def close(self) -> None:
        pass


def _readers(kind: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"parley-{kind}"]


async def test_stop_joins_the_reader_and_the_device_is_closed_when_it_returns() -> None:
    camera = _Camera()
    track = CaptureTrack(camera, "camera")
    frame = await asyncio.wait_for(track.recv(), 5)
    assert (frame.width, frame.height) == (64, 48)
    track.stop()
    assert camera.closed.is_set()  # not "soon": a reopen right now finds the device free
    assert _readers("camera") == []
    with pytest.raises(MediaStreamError):
        await track.recv()
    track.stop()  # idempotent


async def test_a_hung_device_does_not_hold_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CaptureTrack, "stall_timeout", 0.2)
    stuck = _Stuck()
    track = CaptureTrack(stuck, "screen")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with pytest.raises(MediaStreamError):
            await track.recv()
        # The stall is reported without waiting out the join timeout on the loop.
        assert loop.time() - started < 0.2 + JOIN_TIMEOUT / 2
        assert track.error == "screen delivered nothing for 0.2 s"
    finally:
        stuck.released.set()
    await asyncio.to_thread(lambda: [t.join(5) for t in _readers("screen")])
    assert _readers("screen") == []
