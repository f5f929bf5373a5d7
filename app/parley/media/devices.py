"""Which cameras, microphones and speakers exist. Listing never raises.

Cameras are PyAV inputs (v4l2 on Linux, avfoundation on macOS, dshow on
Windows); microphones and speakers come from sounddevice (PortAudio), each with
an id made of its host API and its name (``"ALSA:USB Headset"``), never its
index: PortAudio's indices change between runs and when devices come and go, so
a remembered id still names the same device, and one that is gone falls back to
the system default (:func:`sounddevice_id`). When
PortAudio itself is missing, importing sounddevice raises OSError: that is a
warning and an empty list here, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, cast

from parley.media.pulse_devices import PULSE_API, PactlKind, pulse_devices, pulse_name, routed

logger = logging.getLogger(__name__)

DeviceKind = Literal["camera", "microphone", "speaker", "screen"]


class DeviceError(Exception):
    """A device is missing or failed; ``kind`` says which sort."""

    def __init__(self, kind: DeviceKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Device:
    """One capture or playback device."""

    kind: DeviceKind
    id: str
    """What to put in MediaConfig.camera / microphone / speaker."""
    name: str
    """Human-readable name."""
    default: bool = False


_sounddevice: ModuleType | None = None
_sounddevice_error: str | None = None
_backend: Any = None


def use_audio_backend(backend: Any) -> None:
    """Open microphones and speakers through ``backend`` instead of PortAudio, from now
    on in this process; None gives PortAudio back.

    ``backend`` is anything with sounddevice's ``RawInputStream`` and ``OutputStream``
    (same arguments, same callbacks). It is the seam through which a benchmark or a test
    drives the product's own audio path at the block level, on a clock it controls
    (tests/media/clocked_audio.py)."""
    global _backend
    _backend = backend


def sounddevice_module(kind: DeviceKind = "microphone") -> ModuleType:
    """sounddevice, imported once (or the backend :func:`use_audio_backend` set); raises
    DeviceError(kind) when PortAudio is missing."""
    global _sounddevice, _sounddevice_error
    if _backend is not None:
        return cast(ModuleType, _backend)
    if _sounddevice is None and _sounddevice_error is None:
        try:
            import sounddevice

            _sounddevice = sounddevice
        except (OSError, ImportError) as exc:  # OSError: "PortAudio library not found"
            _sounddevice_error = f"audio unavailable: {exc}"
            logger.warning("%s", _sounddevice_error)
    if _sounddevice is None:
        raise DeviceError(kind, _sounddevice_error or "audio unavailable")
    return _sounddevice


async def load_audio_backend() -> None:
    """Import sounddevice off the loop: its import initialises PortAudio, which scans the
    host's audio APIs (0.1-0.5 s here, more under load), and the desktop's loop is its UI
    thread. Opening the first microphone or speaker then finds it loaded. A missing
    PortAudio is kept and raised as a DeviceError when a device is opened, as before."""
    def load() -> None:
        with contextlib.suppress(DeviceError):
            sounddevice_module()
    if _backend is None and _sounddevice is None and _sounddevice_error is None:
        if sys.platform == "win32":  # PortAudio's WASAPI wants COM set up by the thread
            load()                   # that initialised it: the loop's (PortAudio #250)
            return
        await asyncio.to_thread(load)


LAVFI_CAMERA = "lavfi:"
"""A camera id with this prefix is an FFmpeg filter graph (``"lavfi:testsrc2=size=
640x480:rate=30"``): a virtual camera for bots and for tests on machines without one. It
opens through the same capture path as a device, paced to real time as a camera is."""


def camera_input(device: str | None) -> tuple[str, str]:
    """(file, format) that av.open takes for a camera id on this platform."""
    if device is not None and device.startswith(LAVFI_CAMERA):
        return device[len(LAVFI_CAMERA):] + ",realtime", "lavfi"
    if sys.platform == "darwin":
        return device or "0", "avfoundation"
    if sys.platform == "win32":
        name = device or _first_id(list_cameras()) or ""
        return name if name.startswith("video=") else f"video={name}", "dshow"
    return device or _first_id(list_cameras()) or "/dev/video0", "v4l2"


def _first_id(devices: list[Device]) -> str | None:
    return devices[0].id if devices else None


def list_cameras() -> list[Device]:
    """Cameras on this machine (best effort; empty when none or when listing fails)."""
    try:
        if sys.platform.startswith("linux"):
            return _v4l2_cameras()
        if sys.platform in ("darwin", "win32"):
            return _ffmpeg_listed_cameras()
    except Exception as exc:  # listing is advisory: never let it break a call
        logger.warning("could not list cameras: %s", exc)
    return []


def _v4l2_cameras() -> list[Device]:
    cameras: list[Device] = []
    for path in sorted(glob.glob("/dev/video*"), key=lambda p: (len(p), p)):
        sys_name = Path("/sys/class/video4linux") / os.path.basename(path) / "name"
        try:
            name = sys_name.read_text().strip()
        except OSError:
            name = path
        cameras.append(Device("camera", path, name, default=not cameras))
    return cameras


def _ffmpeg_listed_cameras() -> list[Device]:
    """avfoundation / dshow print their devices to FFmpeg's log; read it."""
    import av
    import av.logging

    fmt = "avfoundation" if sys.platform == "darwin" else "dshow"
    file = "" if fmt == "avfoundation" else "dummy"
    with av.logging.Capture() as logs:
        try:
            av.open(file, format=fmt, options={"list_devices": "true"})
        except Exception:  # FFmpeg "fails" after printing the list
            pass
    cameras: list[Device] = []
    in_video = fmt == "dshow"
    for _level, _name, line in logs:
        text = str(line).strip()
        if "video devices" in text.lower():
            in_video = True
        elif "audio devices" in text.lower():
            in_video = False
        elif in_video and fmt == "avfoundation" and text.startswith("["):
            index, _, label = text[1:].partition("] ")
            if index.isdigit() and "screen" not in label.lower():
                cameras.append(Device("camera", index, label, default=not cameras))
        elif fmt == "dshow" and '"' in text and "(video)" in text:
            label = text.split('"')[1]
            cameras.append(Device("camera", f"video={label}", label, default=not cameras))
    return cameras


def _audio_devices(kind: DeviceKind, channels_key: str, default_index: int) -> list[Device]:
    try:
        sd = sounddevice_module()
        devices: Any = sd.query_devices()
        default = sd.default.device[default_index]
    except DeviceError:
        return []
    except Exception as exc:  # sd.PortAudioError and friends
        logger.warning("could not list %ss: %s", kind, exc)
        return []
    apis = _host_api_names(sd)
    found = []
    for info in devices:
        if info.get(channels_key, 0) > 0:
            index = int(info["index"])
            api = apis.get(int(info.get("hostapi", -1)), "")
            found.append(Device(kind, f"{api}:{info['name']}", str(info["name"]),
                                default=index == default))
    return found


def _host_api_names(sd: Any) -> dict[int, str]:
    return {i: str(api["name"]) for i, api in enumerate(sd.query_hostapis())}


def _pulse(kind: PactlKind) -> list[Device]:
    # defaults stay PortAudio's: "System default" is the device that follows the system
    return [Device(kind, f"{PULSE_API}:{name}", label)
            for name, label, _default in pulse_devices(kind)]


def list_microphones() -> list[Device]:
    """Audio inputs: PortAudio's, then PulseAudio's sources (:mod:`.pulse_devices`);
    empty when there are none."""
    return _audio_devices("microphone", "max_input_channels", 0) + _pulse("microphone")


def list_speakers() -> list[Device]:
    """Audio outputs: PortAudio's, then PulseAudio's sinks; empty when there are none."""
    return _audio_devices("speaker", "max_output_channels", 1) + _pulse("speaker")


@contextmanager
def opening(device: str | None, kind: PactlKind) -> Iterator[int | str | None]:
    """The sounddevice id to open ``device`` with, for the block that opens the stream:
    :func:`sounddevice_id`, or for a PulseAudio id (``"Pulse:<name>"``) ALSA's pulse
    device routed to that sink or source while the stream opens."""
    if pulse_name(device) is None:
        yield sounddevice_id(device, kind)
        return
    channels = "max_output_channels" if kind == "speaker" else "max_input_channels"
    alsa: dict[str, int] = {}
    try:
        for info in sounddevice_module(kind).query_devices():
            if info.get(channels, 0) > 0:
                alsa.setdefault(str(info["name"]), int(info["index"]))
    except DeviceError:
        raise
    except Exception as exc:  # sd.PortAudioError: the default says what fails
        logger.warning("could not list the ALSA devices: %s", exc)
    with routed(device, kind, list(alsa)) as target:
        yield alsa.get(target) if target is not None else None


_LIST_IN_CHILD = "from parley.media.devices import print_audio_devices; print_audio_devices()"
LIST_AUDIO_FLAG = "--list-audio-devices"
"""What the frozen app's launcher (packaging/launcher.py) answers with
:func:`print_audio_devices`, as ``python -c`` does for the unfrozen one."""


def list_audio_now() -> tuple[list[Device], list[Device]]:
    """(microphones, speakers) as they are now, also those plugged in since this process
    started: PortAudio reads its device list once (re-reading it would close the streams
    a call has open), so a child process lists them: this Python, or in a frozen app the
    app itself (its launcher answers ``--list-audio-devices``). A child that fails gives
    this process's list."""
    child = [sys.executable, LIST_AUDIO_FLAG] if getattr(sys, "frozen", False) \
        else [sys.executable, "-c", _LIST_IN_CHILD]
    try:
        done = subprocess.run(child, capture_output=True, text=True, timeout=10, check=True)
        rows = json.loads(done.stdout.strip().splitlines()[-1])
        found = [Device(**row) for row in rows]
        return ([d for d in found if d.kind == "microphone"],
                [d for d in found if d.kind == "speaker"])
    except Exception as exc:  # listing is advisory
        logger.warning("could not list audio devices afresh: %s", exc)
    return list_microphones(), list_speakers()


def print_audio_devices() -> None:
    """Print this process's microphones and speakers as JSON (for :func:`list_audio_now`)."""
    print(json.dumps([asdict(d) for d in list_microphones() + list_speakers()]))


def sounddevice_id(device: str | None, kind: DeviceKind = "microphone") -> int | str | None:
    """A MediaConfig device string as sounddevice takes it.

    ``"<host API>:<name>"`` (what the listing gives) is the index the device has now,
    or None (the system default, with a warning) when no device of that host API and
    name is there any more; an index or a bare name is passed on as it is.
    """
    if device is None:
        return None
    if device.isdigit():
        return int(device)
    api, sep, name = device.partition(":")
    if not sep:
        return device
    try:
        sd = sounddevice_module(kind)
        apis = _host_api_names(sd)
        if api not in apis.values():
            return device  # a name that happens to hold a colon
        channels = "max_output_channels" if kind == "speaker" else "max_input_channels"
        for info in sd.query_devices():
            if str(info["name"]) == name and apis.get(int(info.get("hostapi", -1))) == api \
                    and info.get(channels, 0) > 0:
                return int(info["index"])
    except DeviceError:
        raise
    except Exception as exc:  # sd.PortAudioError: let opening the default say what fails
        logger.warning("could not look up %s %r: %s", kind, device, exc)
        return None
    logger.warning("%s %r is not connected: using the system default", kind, name)
    return None
