"""Devices: what is listed is what exists (real PulseAudio sinks and sources; no camera
on this machine is an empty list), and a missing or failing device is an event, not a
crash."""

from __future__ import annotations

import asyncio
import glob
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from parley.media import MediaConfig, MeshEvents, VideoFrame, devices
from parley.media.camera import open_camera
from parley.media.capture import CaptureTrack
from parley.media.devices import DeviceError
from parley.media.local import LocalMedia
from parley.media.microphone import MicrophoneTrack
from tests.media.conftest import SMALL, Router, flowing
from tests.media.pulse import private_pulse, run_child

SINKS = {"parley_desk_speakers": 2, "parley_headset": 1}
SOURCE = "parley_usb_mic"


@pytest.fixture
def pulse_devices(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two speakers (null sinks) and a microphone (a null source) in a private PulseAudio,
    each also an ALSA device of the same name, playback- or capture-only as a sound card's
    are; the headset and the USB microphone are PulseAudio's defaults."""
    modules = [*(f"load-module module-null-sink sink_name={name} rate=48000 channels={n}"
                 for name, n in SINKS.items()),
               f"load-module module-null-source source_name={SOURCE} rate=48000 channels=1",
               "set-default-sink parley_headset", f"set-default-source {SOURCE}"]
    alsa = [*(f"pcm.{name} {{ type asym playback.pcm {{ type pulse device {name} }} }}"
              for name in SINKS),
            f"pcm.{SOURCE} {{ type asym capture.pcm {{ type pulse device {SOURCE} }} }}"]
    with private_pulse(tmp_path, modules, alsa) as env:
        yield env


def test_pulse_sinks_and_sources_are_listed_by_name_and_open_what_they_name(
        pulse_devices: dict[str, str]) -> None:
    report = run_child(pulse_devices, "tests.media._device_probe")
    speakers = [(d["kind"], d["name"], d["default"], d["opened"]) for d in report["speakers"]]
    assert speakers == [
        ("speaker", "parley_desk_speakers", False, {"on": ["parley_desk_speakers"]}),
        ("speaker", "parley_headset", False, {"on": ["parley_headset"]}),
        ("speaker", "default", True, {"on": ["parley_headset"]}),  # ALSA's is PulseAudio's
        # PulseAudio's own sinks, by their PulseAudio names (media/pulse_devices.py)
        ("speaker", "Null Output", False, {"on": ["parley_desk_speakers"]}),
        ("speaker", "Null Output", False, {"on": ["parley_headset"]}),
    ]
    microphones = [(d["kind"], d["name"], d["default"], d["opened"])
                   for d in report["microphones"]]
    assert microphones == [
        ("microphone", SOURCE, False, {"on": [SOURCE], "samples": 960}),
        ("microphone", "default", True, {"on": [SOURCE], "samples": 960}),
        ("microphone", "Null Input", False, {"on": [SOURCE], "samples": 960}),  # no monitors
    ]
    # ids are host API and name, never PortAudio's index (which changes between runs)
    ids = [d["id"] for d in report["speakers"] + report["microphones"]]
    assert ids == ["ALSA:parley_desk_speakers", "ALSA:parley_headset", "ALSA:default",
                   "Pulse:parley_desk_speakers", "Pulse:parley_headset",
                   f"ALSA:{SOURCE}", "ALSA:default", f"Pulse:{SOURCE}"]
    # no device chosen (MediaConfig's None) is the system default
    assert report["default_speaker"] == {"on": ["parley_headset"]}
    assert report["default_microphone"] == {"on": [SOURCE], "samples": 960}
    # a remembered device that is gone falls back to the system default
    assert report["gone_speaker"] == {"on": ["parley_headset"]}
    assert report["gone_microphone"] == {"on": [SOURCE], "samples": 960}


def test_without_portaudio_nothing_is_listed_and_opening_is_a_device_error(
        tmp_path: Path) -> None:
    # what sounddevice raises on import when libportaudio2 is not installed
    (tmp_path / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    report = run_child({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                       "tests.media._device_probe", pythonpath=[tmp_path])
    assert (report["microphones"], report["speakers"]) == ([], [])
    message = "audio unavailable: PortAudio library not found"
    assert report["default_speaker"] == {"error": ["speaker", message]}
    assert report["default_microphone"] == {"error": ["microphone", message]}


def test_the_audio_back_end_loads_while_the_loop_runs_on(tmp_path: Path) -> None:
    # sounddevice's import initialises PortAudio (0.1-0.5 s); the desktop's loop is its UI
    # thread, which must not freeze while a call opens its first audio device. Here the
    # import takes 0.3 s (PortAudio scanning a slow host); the loop must tick meanwhile.
    (tmp_path / "sounddevice.py").write_text("import time\ntime.sleep(0.3)\n")
    report = run_child({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                       "tests.media._backend_probe", pythonpath=[tmp_path])
    assert report["loaded"] and report["seconds"] >= 0.3
    assert report["ticks_during"] >= 10, report  # a blocked loop would show 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="v4l2 cameras: Linux")
async def test_cameras_are_the_v4l2_nodes_and_none_is_an_empty_list() -> None:
    nodes = sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p))
    cameras = devices.list_cameras()
    assert [(c.kind, c.id) for c in cameras] == [("camera", n) for n in nodes]
    assert [c.default for c in cameras] == [i == 0 for i in range(len(nodes))]
    if nodes:
        return  # a machine with cameras: listed above, nothing opened here
    # no camera hardware (this machine, CI): nothing listed, and the default camera
    # is the conventional first node, which is then a DeviceError naming it
    assert cameras == []
    assert devices.camera_input(None) == ("/dev/video0", "v4l2")
    with pytest.raises(DeviceError, match="^cannot open v4l2 '/dev/video0': ") as info:
        await open_camera()
    assert info.value.kind == "camera"


async def test_a_bogus_microphone_is_a_device_error() -> None:
    with pytest.raises(DeviceError, match="^cannot open microphone 'parley-no-such-microphone': "
                       ) as info:
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


class DeviceErrors:
    """LocalMedia's on_device_error, recorded and awaitable."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self._changed = asyncio.Event()

    def __call__(self, kind: str, message: str) -> None:
        self.seen.append((kind, message))
        self._changed.set()

    async def first(self, timeout: float = 10.0) -> tuple[str, str]:
        await asyncio.wait_for(self._changed.wait(), timeout)
        return self.seen[0]


async def _camera_fails_with(source: CaptureTrack) -> tuple[str, str]:
    """Swap a started LocalMedia's camera for ``source``; the device error it reports."""
    errors = DeviceErrors()
    local = LocalMedia("a", MediaConfig(**SMALL), errors)
    await local.start()
    try:
        previous = local.camera.set_source(source)
        assert previous is not None
        previous.stop()
        return await errors.first()
    finally:
        await local.close()


async def test_a_capture_device_that_ends_is_reported() -> None:
    ended = await CaptureTrack.open("camera", "testsrc=size=160x120:rate=30:duration=0.2",
                                    "lavfi", {})
    assert await _camera_fails_with(ended) == ("camera", "camera stopped delivering")


async def test_an_unopenable_input_is_a_device_error() -> None:
    with pytest.raises(DeviceError, match="^cannot open lavfi 'parley-nonsense': ") as info:
        await CaptureTrack.open("screen", "parley-nonsense", "lavfi", {})
    assert info.value.kind == "screen"


def test_coroutine_callbacks_are_refused() -> None:
    async def connected(pid: str) -> None:
        pass

    with pytest.raises(TypeError, match="^MeshEvents.on_peer_connected is a coroutine function"):
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
    generation = a.stats()["b"].generation

    await a.start_screen_share()
    assert a.screen_sharing
    await rb.until(lambda: len(rb.screen_frames.get("a", [])) >= 5, what="screen frames")
    shared = rb.screen_frames["a"][-1]
    assert (shared.track, shared.width, shared.height) == ("screen", 320, 240)
    await a.stop_screen_share()
    assert not a.screen_sharing
    n = len(rb.counters("a"))
    await rb.until(lambda: len(rb.counters("a")) >= n + 5, what="camera goes on")
    assert a.stats()["b"].generation == generation  # no renegotiation
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


async def test_a_stalled_capture_device_is_reported() -> None:
    stalled = _StalledInput()
    track = CaptureTrack(stalled, "camera")
    track.stall_timeout = 0.3
    try:
        error = await _camera_fails_with(track)
    finally:
        stalled.released.set()
    assert error == ("camera", "camera delivered nothing for 0.3 s")
