"""The call's speaker: :class:`Speaker`, one object whichever media path plays through it
(the mesh, :mod:`parley.media.mesh`, or the SFU path, :mod:`parley.media.sfu`). A device
chosen before the call opens it, or after it closed, is only recorded; while the call
plays it is switched at once; one that stopped playing (unplugged) gives way to the
system default."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from parley.media.config import MediaConfig
from parley.media.devices import DeviceError
from parley.media.playback import Playback
from parley.media.processing import AudioProcessor

DeviceErrorCallback = Callable[[str, str], None]
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]


class Speaker:
    """The mixer and the output it plays on, opened once per call.

    Args:
        config: the speaker asked for (``config.speaker``) and whether it is the null
            one (synthetic media, the echo participant).
        device_error: a speaker that cannot open or stopped playing: (kind, message).
    """

    def __init__(self, config: MediaConfig, device_error: DeviceErrorCallback) -> None:
        self.config = config
        self._device_error = device_error
        self.playback = Playback(null=True)
        """The mixer (a null sink until :meth:`open`, and after :meth:`close`)."""
        self._processor: AudioProcessor | None = None
        self._open = False
        self._closed = False

    @property
    def playing(self) -> bool:
        """Opened and not closed yet."""
        return self._open and not self._closed

    def open(self, processor: AudioProcessor | None) -> None:
        """Open the chosen output (its mix feeds ``processor``'s echo canceller); the null
        one for the null speaker, the echo participant, synthetic media without a chosen
        speaker, or a device that cannot open (a device error says so). Once only."""
        if self._open or self._closed:
            return
        self._open = True
        self._processor = processor
        config = self.config
        if config.speaker == "null" or config.echo or (
                config.fake_media and config.speaker is None):
            return
        try:
            self.playback = Playback(config.speaker, processor=processor, call=True)
        except DeviceError as exc:
            self._device_error(exc.kind, f"{exc.message}; remote audio is not played")

    def choose(self, device: str | None) -> None:
        """Use ``device`` (None: the system default): at once while playing, else from
        :meth:`open` on. One that cannot open is a device error; the current one stays."""
        self.config = replace(self.config, speaker=device)
        if self.playing:
            self.playback = self._switched(self.playback, device)

    def upkeep(self, spawn: Spawn) -> None:
        """Called every tick: a speaker that stopped playing is replaced by the system
        default, or by the null sink (remote audio then measured, not played) when the
        default fails too; said either way."""
        if not self.playing or not self.playback.stalled():
            return
        gone = self.playback
        # stopping a stream whose device went away can block for seconds (PortAudio waits
        # for its ALSA thread): not on the loop
        spawn(asyncio.to_thread(gone.close), "close-gone-speaker")
        self.playback = self._switched(Playback(null=True), None)
        what = "the system default" if not self.playback.is_null else "no speaker"
        self._device_error("speaker", f"{gone.device or 'the default speaker'} stopped "
                                      f"playing: using {what}")

    def close(self) -> None:
        """Close the output. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.playback.close()

    def _switched(self, current: Playback, device: str | None) -> Playback:
        try:
            new = Playback(device, processor=self._processor, call=True)
        except DeviceError as exc:
            self._device_error(exc.kind, f"{exc.message}; the speaker stays as it was")
            return current
        current.close()
        return new
