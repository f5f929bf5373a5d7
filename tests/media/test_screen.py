"""Real screen capture: PyAV's x11grab on a private Xvfb display.

Needs the Debian package xvfb (`make test` installs it); its absence fails the test.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest

from parley.media.screen import open_screen
from tests.media.conftest import Router
from tests.xvfb import private_display


@pytest.fixture
def display() -> Iterator[str]:
    with private_display("800x600") as name:
        yield name


async def test_x11grab_captures_the_screen(display: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", display)
    track = await open_screen()
    try:
        frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(3)]
    finally:
        track.stop()
    assert {(f.width, f.height, f.format.name) for f in frames} == {(800, 600, "yuv420p")}


async def test_no_display_is_a_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.media.devices import DeviceError

    if not sys.platform.startswith("linux"):
        pytest.skip("Linux-only")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(DeviceError, match="no X display to capture") as info:
        await open_screen()
    assert info.value.kind == "screen"


async def test_a_screen_that_cannot_be_captured_is_reported_by_the_mesh(
        router: Router, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    a, ra = await router.add("a", fake_media=False, audio=False, video=False, speaker="null")
    await a.start_screen_share()
    assert not a.screen_sharing
    assert [kind for kind, _ in ra.named("on_device_error")] == ["screen"]
