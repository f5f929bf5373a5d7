"""The SDK's device service: every kind listed, in the system's order, off the loop."""

from __future__ import annotations

import asyncio
import threading

from parley.media.devices import list_cameras, list_microphones, list_speakers
from parley.sdk.devices import AvailableDevices, Device, DeviceService


def test_the_listers_answers_become_the_available_devices() -> None:
    cams = [Device("camera", "/dev/video2", "USB", default=True),
            Device("camera", "/dev/video0", "Built-in")]
    mics = [Device("microphone", "3", "Headset")]
    service = DeviceService(cameras=lambda: cams, microphones=lambda: mics,
                            speakers=lambda: [])
    assert service.available() == AvailableDevices(cameras=tuple(cams),
                                                   microphones=tuple(mics), speakers=())


async def test_listing_runs_in_a_worker_thread() -> None:
    threads: list[threading.Thread] = []

    def cameras() -> list[Device]:
        threads.append(threading.current_thread())
        return [Device("camera", "/dev/video0", "Cam")]

    service = DeviceService(cameras=cameras, microphones=list, speakers=list)
    devices = await service.list_devices()
    assert [d.name for d in devices.cameras] == ["Cam"]
    assert threads and threads[0] is not threading.main_thread()


def test_by_default_it_lists_what_the_media_layer_lists() -> None:
    available = DeviceService().available()
    assert available == AvailableDevices(tuple(list_cameras()), tuple(list_microphones()),
                                         tuple(list_speakers()))


async def test_the_watcher_reports_a_device_plugged_in_and_out_once_each() -> None:
    from parley.sdk.devices import DeviceWatcher

    headset = Device("microphone", "ALSA:headset", "headset")
    plugged: list[Device] = []
    seen: list[AvailableDevices] = []
    changed = asyncio.Event()

    def on_change(devices: AvailableDevices) -> None:
        seen.append(devices)
        changed.set()

    async def next_change() -> AvailableDevices:
        await asyncio.wait_for(changed.wait(), 5)
        changed.clear()
        return seen[-1]

    service = DeviceService(cameras=list, microphones=lambda: list(plugged), speakers=list)
    watcher = DeviceWatcher(service, on_change, interval=0.01)
    watcher.start()
    try:
        assert (await next_change()).microphones == ()
        plugged.append(headset)
        assert (await next_change()).microphones == (headset,)
        plugged.clear()
        assert (await next_change()).microphones == ()
        listed = len(seen)
        await asyncio.sleep(0.1)  # ten more listings of an unchanged list: no event
        assert len(seen) == listed == 3
    finally:
        await watcher.stop()
    assert not watcher.running


def test_audio_listed_afresh_is_what_this_process_lists() -> None:
    from parley.media.devices import list_audio_now

    assert list_audio_now() == (list_microphones(), list_speakers())


def test_synthetic_media_lists_a_pattern_and_a_tone_as_the_defaults() -> None:
    available = DeviceService.synthetic().available()
    assert [(d.kind, d.id, d.name, d.default) for d in available.cameras + available.microphones
            ] == [("camera", "", "Test pattern", True), ("microphone", "", "Test tone", True)]
    assert available.speakers == tuple(list_speakers())
