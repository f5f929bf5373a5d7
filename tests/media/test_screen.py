"""Real screen capture: PyAV's x11grab on a private Xvfb display.

Needs the Debian package xvfb (`make test` installs it); its absence fails the test.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from parley.media.screen import open_screen
from tests.media.conftest import Router


@pytest.fixture
def display() -> Iterator[str]:
    if not sys.platform.startswith("linux"):
        pytest.skip("x11grab is the Linux screen source")
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: install the Debian package xvfb "
                    "(make system-deps does)")
    # -displayfd: Xvfb picks a free display and writes its number once it is ready
    server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "800x600x24",
                               "-nolisten", "tcp"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        number = server.stdout.readline().strip()
        assert number.isdigit(), "Xvfb did not report its display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


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
    with pytest.raises(DeviceError) as info:
        await open_screen()
    assert info.value.kind == "screen"


async def test_a_screen_that_cannot_be_captured_is_reported_by_the_mesh(
        router: Router, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    a, ra = await router.add("a", fake_media=False, audio=False, video=False, speaker="null")
    await a.start_screen_share()
    assert not a.screen_sharing
    assert [kind for kind, _ in ra.named("on_device_error")] == ["screen"]
