"""VideoFeed: frames of a real session become QImages, converted off the GUI thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import av
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from parley.media import VideoFrame
from parley.qt.frames import RgbFrame, frame_to_qimage
from parley.qt.video import WORKER_NAME, VideoFeed
from parley.sdk import CallSession, Participant, SessionSettings
from tests.qt.support import Servers, run


class Conversions:
    """Wraps the real conversion: records the threads it ran on, and can hold it."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, frame: RgbFrame) -> QImage:
        self.threads.append(threading.current_thread())
        self.release.wait(5)
        return frame_to_qimage(frame)


@pytest.fixture
def joined(qtbot: QtBot, servers: Servers) -> Iterator[CallSession]:
    """A real session with synthetic media in a call of its own: its camera feeds the sink."""
    session = CallSession()
    run(qtbot, session.join_session("standup", SessionSettings("Ada", fake_media=True),
                                    server=servers.start().url))
    yield session
    run(qtbot, session.leave_session())


def test_frames_are_converted_off_the_gui_thread_and_shown_on_it(
        qtbot: QtBot, joined: CallSession) -> None:
    conversions = Conversions()
    feed = VideoFeed(joined, convert=conversions)
    shown_on: list[int] = []
    feed.frameReady.connect(lambda pid, image: shown_on.append(threading.get_ident()))
    me = joined.local_participant
    assert me is not None
    with qtbot.waitSignal(feed.frameReady, timeout=10000) as ready:
        pass
    pid, image = ready.args
    assert pid == me.id and (image.width(), image.height()) == (640, 480)
    assert conversions.threads
    assert all(t.name.startswith(WORKER_NAME) for t in conversions.threads)
    assert set(shown_on) == {threading.main_thread().ident}
    feed.dispose()


def test_a_view_that_falls_behind_gets_the_newest_frame_not_a_queue(
        qtbot: QtBot, joined: CallSession) -> None:
    conversions = Conversions()
    conversions.release.clear()  # the worker is busy with one frame...
    feed = VideoFeed(joined, convert=conversions, stale_after=60)
    shown: list[str] = []
    feed.frameReady.connect(lambda pid, image: shown.append(pid))
    qtbot.waitUntil(lambda: feed.dropped_frames >= 5, timeout=10000)  # ...the rest drop
    assert len(conversions.threads) == 1 and shown == []
    conversions.release.set()
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=5000)
    dropped = feed.dropped_frames
    qtbot.waitUntil(lambda: feed.dropped_frames >= dropped + 3, timeout=5000)
    assert len(shown) == 1  # not painted yet: nothing more comes
    feed.framePainted(shown[0])
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    feed.dispose()


def test_dispose_removes_the_sink_and_joins_the_worker(qtbot: QtBot,
                                                       joined: CallSession) -> None:
    before = joined.video_sink_count()
    conversions = Conversions()
    feed = VideoFeed(joined, convert=conversions)
    assert joined.video_sink_count() == before + 1
    with qtbot.waitSignal(feed.frameReady, timeout=10000):
        pass
    worker = conversions.threads[0]
    assert worker.is_alive()
    feed.dispose()
    assert joined.video_sink_count() == before
    assert not worker.is_alive()  # joined, not left running
    with qtbot.assertNotEmitted(feed.frameReady, wait=300):
        pass
    feed.dispose()  # idempotent


def _frame(pid: str, track: str) -> VideoFrame:
    return VideoFrame.of(pid, track, av.VideoFrame(32, 24, "yuv420p"),  # type: ignore[arg-type]
                          time.time())


def test_a_remote_presenter_shows_their_screen_and_you_your_camera(
        qtbot: QtBot, qloop: object) -> None:
    feed = VideoFeed(CallSession())
    shown: list[tuple[str, str]] = []
    feed.frameReady.connect(lambda pid, image: shown.append((pid, "shown")))
    feed.set_participants([Participant("me", "Ada", screen_sharing=True, is_local=True),
                           Participant("b", "Grace", screen_sharing=True)])
    assert (feed.shown_track("me"), feed.shown_track("b")) == ("camera", "screen")
    for pid, track in (("b", "camera"), ("me", "screen")):  # not what their tiles show
        feed.deliver(pid, _frame(pid, track))
    feed.deliver("b", _frame("b", "screen"))
    feed.deliver("me", _frame("me", "camera"))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert sorted(shown) == [("b", "shown"), ("me", "shown")]
    feed.update_participant(Participant("b", "Grace"))  # stopped sharing
    assert feed.shown_track("b") == "camera"
    feed.dispose()
