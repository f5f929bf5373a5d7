"""The SFU path's liveness rules (media/sfu_watch.py), with a fake clock: who is shown
reconnecting, and when restored."""

from __future__ import annotations

from parley.media.sfu_watch import RESTART_GRACE, SILENCE, FeedWatch


def _watch() -> tuple[FeedWatch, list[tuple[str, str]]]:
    said: list[tuple[str, str]] = []
    watch = FeedWatch("p_me", lambda pid: said.append(("reconnecting", pid)),
                      lambda pid: said.append(("restored", pid)))
    return watch, said


def test_a_participant_silent_too_long_is_reconnecting_until_its_next_frame() -> None:
    watch, said = _watch()
    assert watch.frame("p_ada", 100.0) is True  # first heard
    assert watch.frame("p_ada", 100.5) is False
    watch.judge(100.5 + SILENCE - 0.1)
    assert said == []
    watch.judge(100.5 + SILENCE + 0.1)
    watch.judge(100.5 + SILENCE + 0.2)  # said once
    assert said == [("reconnecting", "p_ada")]
    watch.frame("p_ada", 104.0)
    assert said == [("reconnecting", "p_ada"), ("restored", "p_ada")]


def test_the_sfu_s_word_and_silence_are_two_reasons_restored_when_neither_holds() -> None:
    watch, said = _watch()
    watch.frame("p_ada", 0.0)
    watch.feed("p_ada", flowing=False)
    watch.judge(SILENCE + 1.0)  # silent as well: still one reconnecting
    assert said == [("reconnecting", "p_ada")]
    watch.frame("p_ada", SILENCE + 1.5)  # frames again, but the SFU still says stopped
    assert said == [("reconnecting", "p_ada")]
    watch.feed("p_ada", flowing=True)
    assert said == [("reconnecting", "p_ada"), ("restored", "p_ada")]


def test_nobody_unheard_is_judged_and_a_restart_s_grace_judges_nobody() -> None:
    watch, said = _watch()
    watch.feed("p_bob", flowing=False)  # never heard: no event
    watch.judge(50.0)
    watch.frame("p_ada", 10.0)
    watch.grace(11.0)
    watch.judge(11.0 + RESTART_GRACE - 0.1)
    assert said == []
    watch.judge(11.0 + RESTART_GRACE + SILENCE + 0.1)  # silence counts from the grace's end
    assert said == [("reconnecting", "p_ada")]
    watch.forget("p_ada")
    watch.feed("p_ada", flowing=True)
    assert said == [("reconnecting", "p_ada")]
