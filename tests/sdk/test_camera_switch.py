"""Switching the camera mid-call. This machine has no camera, so Ada's cameras are
virtual ones (``lavfi:`` ids, :data:`parley.media.devices.LAVFI_CAMERA`): FFmpeg filter
graphs opened through the same capture path as a device. Bob, a real session on the
same real server, says what he sees: the colour of Ada's video."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from parley.sdk import CallSession, MediaEventListener, SessionSettings
from parley.sdk.settings import Devices
from parley.server import CallServer

pytestmark = pytest.mark.slow

RED = "lavfi:color=c=red:size=320x240:rate=15"
BLUE = "lavfi:color=c=blue:size=320x240:rate=15"


class Colours:
    """The colour of the last frame Bob decoded of Ada's camera: red, blue or other."""

    def __init__(self, bob: CallSession) -> None:
        self.bob = bob
        self.seen: list[str] = []
        self.changed = asyncio.Event()
        bob.add_video_sink(self.on_frame)

    def on_frame(self, pid: str, frame: Any) -> None:
        local = self.bob.local_participant
        if local is not None and pid == local.id:
            return
        r, g, b = frame.to_rgb().reshape(-1, 3).mean(axis=0)
        colour = "red" if r > 150 > 80 > max(g, b) else "blue" if b > 150 > 80 > max(r, g) \
            else "other"
        self.seen.append(colour)
        self.changed.set()

    async def wait_for(self, colour: str, timeout: float = 20) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not self.seen or self.seen[-1] != colour:
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"Bob never saw {colour}; the last frames were "
                                 f"{self.seen[-10:]} of {len(self.seen)}") from None


async def test_a_camera_switched_mid_call_is_what_the_others_see_within_1_s(
        server: CallServer) -> None:
    errors: list[tuple[str, str]] = []  # the camera's (no microphone here is expected)
    ada, bob = CallSession(), CallSession()
    ada.add_media_event_listener(MediaEventListener(
        on_device_error=lambda kind, message:
            errors.append((kind, message)) if kind == "camera" else None))
    await ada.join_session("cams", SessionSettings(
        "Ada", devices=Devices(camera=RED), echo_cancellation=False,
        noise_suppression=False, auto_gain_control=False), server=server.url)
    await bob.join_session("cams", SessionSettings("Bob", fake_media=True), server=server.url)
    colours = Colours(bob)
    try:
        assert ada.has_camera
        await colours.wait_for("red")
        started = time.monotonic()
        await ada.use_device("camera", BLUE)
        await colours.wait_for("blue", timeout=10)
        took = time.monotonic() - started
        print(f"camera switch: Bob saw the new camera {took * 1000:.0f} ms after the call")
        assert took < 1.0
        assert errors == [] and ada.has_camera

        # A camera that cannot be opened: Ada is told, and Bob goes on seeing the old one.
        await ada.use_device("camera", "lavfi:no_such_filter")
        assert [kind for kind, _ in errors] == ["camera"]
        assert "no_such_filter" in errors[0][1]
        del colours.seen[:]
        await colours.wait_for("blue")
        assert "red" not in colours.seen and ada.has_camera
    finally:
        await bob.leave_session()
        await ada.leave_session()
