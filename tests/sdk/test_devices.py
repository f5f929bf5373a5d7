"""The SDK's device service: every kind listed, in the system's order, off the loop."""

from __future__ import annotations

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
