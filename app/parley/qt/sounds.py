"""Short sounds on the chosen speaker: the settings' test sound and the call's notices.

They go through the media layer's mixer (:class:`parley.media.playback.Playback`, the
same output path a call uses), fed a synthetic tone at real-time pace from the loop, so
a test sound proves the speaker a call would play to. During a call that plays to the
same speaker, the sound is mixed into the call's own output
(:func:`parley.media.playback.call_output`) instead of a second stream: the echo
canceller's far-end reference is that mix, so the sound is cancelled from the
microphone like the others' voices and the far end does not hear it. A speaker that
cannot be opened plays nothing and says so (``failed``), it never raises.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from parley.media.devices import DeviceError
from parley.media.playback import Playback, call_output
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
SOUND_SOURCE = "\x00sound"
"""The mixer's name for the sounds (no participant id has a NUL in it)."""


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
            call = call_output()
            if call is not None and (call.device or "") == self.speaker:
                try:
                    await _play(call, notes)
                finally:
                    call.remove(SOUND_SOURCE)
                self.played.emit(sound)
                return
            try:
                playback = await asyncio.to_thread(Playback, self.speaker or None)
            except DeviceError as exc:
                log.warning("cannot play the %s sound: %s", sound, exc)
                self.failed.emit(sound, exc.message)
                return
            try:
                await _play(playback, notes)
            finally:
                await asyncio.to_thread(playback.close)
        self.played.emit(sound)


async def _play(playback: Playback, notes: tuple[tuple[float, float], ...]) -> None:
    samples = 0
    for frequency, seconds in notes:
        tone = ToneTrack(frequency, amplitude=0.25)
        for _ in range(max(1, round(seconds / 0.02))):
            frame = await tone.recv()
            frame.pts, samples = samples, samples + frame.samples  # one time line, not one a note
            playback.push(SOUND_SOURCE, frame)
        tone.stop()
    await asyncio.sleep(_DRAIN)
