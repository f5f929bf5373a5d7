"""Short sounds on the chosen speaker: the settings' test sound and the call's notices.

They go through the media layer's mixer (:class:`parley.media.playback.Playback`, the
same output path a call uses), fed a synthetic tone at real-time pace from the loop, so
a test sound proves the speaker a call would play to. A speaker that cannot be opened
plays nothing and says so (``failed``), it never raises.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from parley.media.devices import DeviceError
from parley.media.playback import Playback
from parley.media.synthetic import ToneTrack
from parley.qt.slots import async_slot

log = logging.getLogger(__name__)

SOUNDS: dict[str, tuple[tuple[float, float], ...]] = {
    "test": ((523.0, 0.35), (659.0, 0.35), (784.0, 0.5)),
    "joined": ((660.0, 0.12), (880.0, 0.18)),
    "left": ((660.0, 0.12), (440.0, 0.18)),
    "hand": ((880.0, 0.15),),
}
"""Per sound: (frequency in Hz, seconds) notes, played one after the other."""
_DRAIN = 0.12  # seconds for the mixer's last frames to reach the speaker


class SoundPlayer(QObject):
    """Plays one of SOUNDS on ``speaker`` (a DeviceService id; "" = the system default)."""

    played = Signal(str)  # the sound, once it was played to the end
    failed = Signal(str, str)  # the sound, why the speaker could not play it

    def __init__(self, speaker: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speaker = speaker
        """The speaker to play on; change it when the user picks another."""
        self._lock = asyncio.Lock()

    @async_slot(str)
    async def play(self, sound: str) -> None:
        """Play ``sound`` (one at a time: a second waits for the first)."""
        notes = SOUNDS[sound]
        async with self._lock:
            try:
                playback = await asyncio.to_thread(Playback, self.speaker or None)
            except DeviceError as exc:
                log.warning("cannot play the %s sound: %s", sound, exc)
                self.failed.emit(sound, exc.message)
                return
            try:
                for frequency, seconds in notes:
                    tone = ToneTrack(frequency, amplitude=0.25)
                    for _ in range(max(1, round(seconds / 0.02))):
                        playback.push("sound", await tone.recv())
                    tone.stop()
                await asyncio.sleep(_DRAIN)
            finally:
                await asyncio.to_thread(playback.close)
        self.played.emit(sound)
