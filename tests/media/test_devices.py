"""Devices: listing never raises; a missing or failing device is an event, not a crash."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import av
import pytest

from parley.media import MeshEvents, VideoFrame, devices
from parley.media.capture import CaptureTrack
from parley.media.devices import DeviceError
from parley.media.microphone import MicrophoneTrack
from parley.media.playback import Playback
from tests.media.conftest import Router, flowing


def test_listing_never_raises() -> None:
    for found in (devices.list_cameras(), devices.list_microphones(), devices.list_speakers()):
        assert isinstance(found, list)
        assert all(isinstance(d, devices.Device) for d in found)


def test_missing_portaudio_is_an_empty_list_and_a_device_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "_sounddevice", None)
    monkeypatch.setattr(devices, "_sounddevice_error", "audio unavailable: PortAudio library "
                                                       "not found")
    assert devices.list_microphones() == [] and devices.list_speakers() == []
    with pytest.raises(DeviceError) as info:
        Playback("default")
    assert info.value.kind == "speaker" and "PortAudio" in info.value.message


async def test_a_bogus_microphone_is_a_device_error() -> None:
    with pytest.raises(DeviceError) as info:
        MicrophoneTrack("parley-no-such-microphone")
    assert info.value.kind == "microphone"


async def test_a_bogus_camera_reports_and_the_call_goes_on(router: Router) -> None:
    a, ra = await router.add("a", fake_media=False, camera="/dev/parley-no-such-camera",
                             audio=False, speaker="null")
    b, rb = await router.add("b")
    assert [kind for kind, _ in ra.named("on_device_error")] == ["camera"]
    assert "/dev/parley-no-such-camera" in ra.named("on_device_error")[0][1]
    router.connect_all()
    await rb.until(lambda: len(rb.plain_frames.get("a", [])) >= 2, what="black frames from a")
    await ra.until(lambda: flowing(ra, "b"), what="a still receives b")


async def test_a_bogus_speaker_falls_back_to_the_null_sink(router: Router) -> None:
    a, ra = await router.add("a", speaker="parley-no-such-speaker")
    b, rb = await router.add("b")
    assert [kind for kind, _ in ra.named("on_device_error")] == ["speaker"]
    assert a.playback.is_null
    router.connect_all()
    await ra.until(lambda: flowing(ra, "b"), what="levels measured by the null sink")


async def test_a_capture_device_feeds_frames_through_its_reader_thread() -> None:
    # lavfi's testsrc stands in for a camera: same PyAV input path, same thread hand-over
    track = await CaptureTrack.open("camera", "testsrc=size=320x240:rate=30", "lavfi", {})
    frames = [await asyncio.wait_for(track.recv(), 5) for _ in range(5)]
    track.stop()
    assert {(f.width, f.height, f.format.name) for f in frames} == {(320, 240, "yuv420p")}


async def test_a_capture_device_that_ends_is_reported(router: Router) -> None:
    a, ra = await router.add("a")
    ended = await CaptureTrack.open("camera", "testsrc=size=160x120:rate=30:duration=0.2",
                                    "lavfi", {})
    a._local.camera.set_source(ended).stop()  # type: ignore[union-attr]
    await ra.until(lambda: bool(ra.named("on_device_error")), what="device error")
    assert ra.named("on_device_error")[0][0] == "camera"


async def test_an_unopenable_input_is_a_device_error() -> None:
    with pytest.raises(DeviceError):
        await CaptureTrack.open("screen", "parley-nonsense", "lavfi", {})


def test_coroutine_callbacks_are_refused() -> None:
    async def connected(pid: str) -> None:
        pass

    with pytest.raises(TypeError):
        MeshEvents(on_peer_connected=connected)  # type: ignore[arg-type]


async def test_a_raising_callback_is_logged_not_propagated(
        router: Router, caplog: pytest.LogCaptureFixture) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")

    def boom(pid: str) -> None:
        raise RuntimeError("listener bug")

    a.events.on_peer_connected = boom
    router.connect_all()
    await ra.until(lambda: flowing(ra, "b"), what="media despite the bug")
    assert "listener bug" in caplog.text


async def test_local_preview_and_fake_screen_share(router: Router) -> None:
    local: list[VideoFrame] = []
    a, ra = await router.add("a")
    a.events.on_local_frame = local.append
    b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: flowing(rb, "a") and len(local) >= 3, what="media and preview")
    assert {(f.participant_id, f.track) for f in local} == {("a", "camera")}
    assert local[-1].to_rgb().shape == (240, 320, 3)
    generation = a._peers["b"].generation

    await a.start_screen_share()
    assert a.screen_sharing
    await rb.until(lambda: len(rb.screen_frames.get("a", [])) >= 5, what="screen frames")
    shared = rb.screen_frames["a"][-1]
    assert (shared.track, shared.width, shared.height) == ("screen", 320, 240)
    await a.stop_screen_share()
    assert not a.screen_sharing
    n = len(rb.counters("a"))
    await rb.until(lambda: len(rb.counters("a")) >= n + 5, what="camera goes on")
    assert a._peers["b"].generation == generation  # no renegotiation
    assert isinstance(shared.frame, av.VideoFrame)


class _StalledInput:
    """A container whose device stops delivering (an unplugged camera)."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.closed = False

    def decode(self, video: int = 0) -> Iterator[av.VideoFrame]:
        self.released.wait(10)
        return iter(())

    def close(self) -> None:
        self.closed = True


async def test_a_stalled_capture_device_is_reported(router: Router,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CaptureTrack, "stall_timeout", 0.3)
    a, ra = await router.add("a")
    stalled = _StalledInput()
    a._local.camera.set_source(CaptureTrack(stalled, "camera")).stop()  # type: ignore[union-attr]
    try:
        await ra.until(lambda: bool(ra.named("on_device_error")), what="device error")
    finally:
        stalled.released.set()
    assert ra.named("on_device_error") == [("camera", "camera delivered nothing for 0.3 s")]
