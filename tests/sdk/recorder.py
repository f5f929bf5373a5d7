"""A listener that records every callback, in order, with the time it fired."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from parley.media.callbacks import Callbacks
from parley.sdk import ParticipantEventListener, SessionStatusListener

STATUS = ("on_session_joined", "on_session_left", "on_session_timed_out",
          "on_connection_lost", "on_connection_restored", "on_connection_closed",
          "on_waiting_for_host")
TERMINAL = ("on_session_left", "on_session_timed_out", "on_connection_closed")
PARTICIPANT = ("on_participant_joined", "on_participant_left", "on_participant_reconnecting",
               "on_participant_restored", "on_audio_muted", "on_audio_unmuted",
               "on_hand_raised", "on_hand_lowered", "on_video_paused", "on_video_resumed",
               "on_join_request", "on_join_request_ended", "on_camera_missing",
               "on_camera_found", "on_microphone_missing", "on_microphone_found")


class Recorder:
    """Records (name, args, monotonic time); ``await wait(name)`` blocks until it fired."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...], float]] = []
        self._changed = asyncio.Event()

    def _make(self, kind: type[Callbacks[Any]], names: tuple[str, ...]) -> Any:
        def hook(name: str) -> Any:
            def fire(*args: Any) -> None:
                self.events.append((name, args, time.monotonic()))
                self._changed.set()
            return fire
        return kind(**{n: hook(n) for n in names})

    def status_listener(self) -> SessionStatusListener:
        listener: SessionStatusListener = self._make(SessionStatusListener, STATUS)
        return listener

    def participant_listener(self) -> ParticipantEventListener:
        listener: ParticipantEventListener = self._make(ParticipantEventListener, PARTICIPANT)
        return listener

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.events]

    def status_names(self) -> list[str]:
        return [n for n in self.names if n in STATUS]

    def time_of(self, name: str, nth: int = 0) -> float:
        return [t for n, _, t in self.events if n == name][nth]

    async def wait(self, name: str, count: int = 1, timeout: float = 10.0) -> float:
        """Wait until ``name`` fired ``count`` times; return when the last one fired."""
        async with asyncio.timeout(timeout):
            while self.names.count(name) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.time_of(name, count - 1)


def only_reconnects(recorders: list[Recorder]) -> None:
    """Nobody's session noticed a thing (no lifecycle callback, nobody left or joined);
    a participant whose media stopped past the silence limit may have been shown
    reconnecting, and then restored, as often."""
    for recorder in recorders:
        fired = recorder.names
        assert not [n for n in fired if n in STATUS], fired
        assert [n for n in fired if n not in (
            "on_participant_reconnecting", "on_participant_restored")] == [], fired
        assert fired.count("on_participant_reconnecting") == \
            fired.count("on_participant_restored"), fired
        print("events:", fired)
