"""A subscriber switching layers through a real Janus: Bob shows Ada large, then in a
small tile, then large again, and the picture he gets of her goes from her full layer
to her 320x240 low layer and back, on the same track (Janus's ``switch``, no
renegotiation), with no lifecycle callback and no participant event on either side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from parley.media.frames import VideoFrame
from parley.media.layer_choice import LOW_SIZE
from parley.media.layering import Layer
from parley.sdk import CallSession, SessionSettings
from tests.sdk.recorder import Recorder
from tests.sfu.conftest import SfuServer
from tests.sfu.janus import Janus

pytestmark = pytest.mark.slow

ROOM = "sfu-layers"


class Sizes:
    """The size of every frame of one remote participant a session shows."""

    def __init__(self, session: CallSession, pid: str) -> None:
        self.seen: list[tuple[float, int, int]] = []
        self._pid = pid
        self._changed = asyncio.Event()
        session.add_video_sink(self._frame)

    def _frame(self, pid: str, frame: VideoFrame) -> None:
        if pid == self._pid:
            self.seen.append((time.monotonic(), frame.width, frame.height))
            self._changed.set()

    async def wait(self, ok: Callable[[int, int], bool], frames: int = 5,
                   timeout: float = 10.0) -> float:
        """Wait until ``frames`` frames in a row pass ``ok``; when the first of them came."""
        async with asyncio.timeout(timeout):
            while True:
                tail = self.seen[-frames:]
                if len(tail) == frames and all(ok(w, h) for _, w, h in tail):
                    return tail[0][0]
                self._changed.clear()
                await self._changed.wait()


def low(width: int, height: int) -> bool:
    return width <= LOW_SIZE[0] and height <= LOW_SIZE[1]


def full(width: int, height: int) -> bool:
    return width > LOW_SIZE[0]


async def test_a_subscriber_switches_a_publishers_layer_down_and_up_again(
        sfu_server: SfuServer, janus: Janus) -> None:
    ada, bob = CallSession(), CallSession()
    recorders = [Recorder(), Recorder()]
    for session, recorder in zip((ada, bob), recorders, strict=True):
        session.add_session_status_listener(recorder.status_listener())
        session.add_participant_event_listener(recorder.participant_listener())
    # Ada is muted: a dominant speaker gets her full layer whatever her tile's size
    await ada.join_session(ROOM, SessionSettings("Ada", fake_media=True,
                                                 start_audio_muted=True),
                           server=sfu_server.server.url)
    await bob.join_session(ROOM, SessionSettings("Bob", fake_media=True),
                           server=sfu_server.server.url)
    try:
        assert ada.local_participant is not None
        ada_id = ada.local_participant.id
        sizes = Sizes(bob, ada_id)
        bob.set_participant_view(ada_id, 960, 720)  # the stage: her full picture
        await sizes.wait(full, timeout=20)
        before = [list(r.names) for r in recorders]
        assert bob.local_participant is not None
        offers, _ = sfu_server.hub.sfu.subscription(ROOM, bob.local_participant.id)

        bob.set_participant_view(ada_id, 240, 180)  # a small grid tile: her low layer
        asked = time.monotonic()
        shown_low = await sizes.wait(low)
        assert bob.received_layer(ada_id) == Layer.LOW.value
        bob.set_participant_view(ada_id, 960, 720)
        asked_up = time.monotonic()
        shown_full = await sizes.wait(full)
        print(f"\nlow layer shown {shown_low - asked:.2f} s after the tile shrank, "
              f"full again {shown_full - asked_up:.2f} s after it grew "
              f"(each waits out the choice's {2.0:.0f} s hold at most)")

        assert bob.received_layer(ada_id) == Layer.FULL.value
        # no renegotiation (Janus switched the m-line's source), and the server's record
        # says what Bob's frames showed
        assert sfu_server.hub.sfu.subscription(ROOM, bob.local_participant.id) \
            == (offers, {ada_id: Layer.FULL.value})
        # nobody left, joined or reconnected
        assert [list(r.names) for r in recorders] == before
        assert all(n in ("on_session_joined", "on_participant_joined") for n in before[0])
    finally:
        await bob.leave_session()
        await ada.leave_session()
