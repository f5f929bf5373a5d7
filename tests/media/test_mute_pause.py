"""Muted audio is silence and paused video is black, while packets keep flowing."""

from __future__ import annotations

import numpy as np

from parley.media import PeerState
from tests.media.conftest import Router, flowing


def is_black(frame: object) -> bool:
    luma = frame.frame.to_ndarray(format="gray")  # type: ignore[attr-defined]
    return float(np.mean(luma)) < 30


async def test_mute_sends_silence_and_pause_sends_black(router: Router) -> None:
    a, ra = await router.add("a")
    b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    generation = a.stats()["b"].generation

    a.set_audio_muted(True)
    heard = len(rb.levels["a"])
    await rb.until(lambda: len(rb.levels["a"]) >= heard + 5
                   and max(rb.levels["a"][-3:]) < 0.005, what="silence from a")
    frames_before = b.playback.frames["a"]
    await rb.until(lambda: b.playback.frames["a"] >= frames_before + 10,
                   what="audio packets while muted")

    a.set_video_paused(True)
    await rb.until(lambda: len(rb.plain_frames.get("a", [])) >= 3, what="black frames from a")
    black = rb.plain_frames["a"][-1]
    assert is_black(black) and (black.width, black.height) == (160, 120)

    a.set_audio_muted(False)
    a.set_video_paused(False)
    n = len(rb.counters("a"))
    await rb.until(lambda: len(rb.counters("a")) >= n + 5
                   and max(rb.levels["a"][-3:]) > 0.05, what="tone and pattern again")
    assert rb.named("on_peer_reconnecting") == [] and ra.named("on_peer_reconnecting") == []
    assert b.peer_state("a") is PeerState.CONNECTED
    assert a.stats()["b"].generation == b.stats()["a"].generation == generation  # no renegotiation


async def test_muted_from_the_start_still_connects(router: Router) -> None:
    a, ra = await router.add("a", audio=False, video=False)
    b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: bool(rb.named("on_peer_connected")), what="a connected")
    await rb.until(lambda: len(rb.plain_frames.get("a", [])) >= 2, what="black from a")
    await rb.until(lambda: len(rb.levels.get("a", [])) >= 3, what="levels from a")
    assert max(rb.levels["a"]) < 0.005
    await ra.until(lambda: flowing(ra, "b"), what="media from b")
