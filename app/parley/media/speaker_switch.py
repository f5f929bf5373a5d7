"""The speaker of a call, shared by the mesh (:mod:`parley.media.mesh`) and the SFU path
(:mod:`parley.media.sfu`): opened at the start, changed mid-call to a chosen one, or to
the system default when the one in use stopped playing (unplugged)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from parley.media.config import MediaConfig
from parley.media.devices import DeviceError
from parley.media.playback import Playback
from parley.media.processing import AudioProcessor

DeviceErrorCallback = Callable[[str, str], None]
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]


def opened(config: MediaConfig, processor: AudioProcessor | None,
           device_error: DeviceErrorCallback) -> Playback:
    """The call's speaker; the null one (remote audio measured, not played) for the null
    speaker, the echo participant, synthetic media without a chosen speaker, or a device
    that cannot open (a device error says so; the call goes on without it)."""
    if config.speaker == "null" or config.echo or (
            config.fake_media and config.speaker is None):
        return Playback(null=True)
    try:
        return Playback(config.speaker, processor=processor, call=True)
    except DeviceError as exc:
        device_error(exc.kind, f"{exc.message}; remote audio is not played")
        return Playback(null=True)


def switched(current: Playback, device: str | None, processor: AudioProcessor | None,
             device_error: DeviceErrorCallback) -> Playback:
    """A Playback on ``device`` (the current one closed), or ``current`` when ``device``
    cannot be opened (a device error says so)."""
    try:
        new = Playback(device, processor=processor, call=True)
    except DeviceError as exc:
        device_error(exc.kind, f"{exc.message}; the speaker stays as it was")
        return current
    current.close()
    return new


def replace_gone(gone: Playback, processor: AudioProcessor | None,
                 device_error: DeviceErrorCallback, spawn: Spawn) -> Playback:
    """The system default for a speaker that stopped playing, or the null sink (remote
    audio then measured, not played) when the default fails too; said either way."""
    # stopping a stream whose device went away can block for seconds (PortAudio waits
    # for its ALSA thread): not on the loop
    spawn(asyncio.to_thread(gone.close), "close-gone-speaker")
    new = switched(Playback(null=True), None, processor, device_error)
    what = "the system default" if not new.is_null else "no speaker"
    device_error("speaker", f"{gone.device or 'the default speaker'} stopped playing: "
                            f"using {what}")
    return new
