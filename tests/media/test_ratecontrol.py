"""The VP8 sender's rate control on a fake clock: the frame dropper holds the output at
the target after a burst; the quality scaler steps down on drops or a high quantiser,
up again only after its hold, and waits longer after a step up that failed."""

from __future__ import annotations

import pytest

from parley.media.encoder import ParleyVp8Encoder
from parley.media.ladder import RUNGS, frame_rate_steps
from parley.media.ratecontrol import (
    DROP_LEVEL,
    FAILED_UP,
    FRAME_RATE_UP_QP,
    HIGH_QP,
    LOW_QP,
    UP_HOLD,
    WINDOW,
    FrameDropper,
    QualityScaler,
    Verdict,
)

TARGET = 200_000
FPS = 15


def test_the_dropper_admits_frames_that_fit_the_target() -> None:
    dropper = FrameDropper()
    now = 0.0
    for _ in range(10 * FPS):
        assert dropper.admit(TARGET, now)
        dropper.sent(TARGET // FPS, TARGET, now)
        now += 1 / FPS


def test_after_a_burst_the_dropper_drops_until_the_output_is_back_at_the_target() -> None:
    dropper = FrameDropper()
    now, sent, admitted = 0.0, 0, 0
    dropper.sent(TARGET, TARGET, now)  # a keyframe worth a second of the target
    for _ in range(2 * FPS):
        now += 1 / FPS
        if dropper.admit(TARGET, now):
            admitted += 1
            dropper.sent(TARGET // FPS, TARGET, now)
            sent += TARGET // FPS
    # what went out over the 2 s, the burst included, is within the bucket of 2 s worth
    assert TARGET + sent <= TARGET * (2 + DROP_LEVEL) + TARGET // FPS
    assert FPS // 2 <= admitted < 2 * FPS  # frames were dropped, and not all of them
    assert dropper.admit(TARGET, now + 1.0)


def test_the_dropper_forgets_on_reset() -> None:
    dropper = FrameDropper()
    dropper.sent(10 * TARGET, TARGET, 0.0)
    assert not dropper.admit(TARGET, 0.1)
    dropper.reset()
    assert dropper.admit(TARGET, 0.1)


def feed(scaler: QualityScaler, rung: int, start: float, seconds: float,
         qp: int | None, drop_every: int = 0) -> tuple[float, list[int]]:
    """Frames at FPS for ``seconds``: every ``drop_every``-th dropped; the caps after each."""
    now, caps = start, []
    for i in range(int(seconds * FPS)):
        if drop_every and i % drop_every == 0:
            scaler.dropped(now)
        else:
            scaler.encoded(qp, now)
        caps.append(scaler.update(max(rung, scaler.cap), now))
        now += 1 / FPS
    return now, caps


def test_no_verdict_before_a_whole_window_at_the_rung() -> None:
    scaler = QualityScaler(4)
    now, _ = feed(scaler, 0, 0.0, WINDOW * 0.9, HIGH_QP + 2)
    assert scaler.verdict(now) is Verdict.HOLD and scaler.cap == 0


def test_a_high_quantiser_steps_down_one_rung_a_window() -> None:
    scaler = QualityScaler(4)
    now, caps = feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    assert caps[-1] == 1
    now, caps = feed(scaler, 0, now, WINDOW * 0.9, HIGH_QP + 2)
    assert caps[-1] == 1  # judged afresh at the new rung
    now, caps = feed(scaler, 0, now, 10 * WINDOW, HIGH_QP + 2)
    assert caps[-1] == 3  # the bottom: never past it


def test_many_dropped_frames_step_down_whatever_the_quantiser() -> None:
    scaler = QualityScaler(4)
    _, caps = feed(scaler, 1, 0.0, WINDOW + 0.2, 20, drop_every=1)
    assert caps[-1] == 2
    scaler = QualityScaler(4)
    _, caps = feed(scaler, 1, 0.0, 3 * WINDOW, 40, drop_every=4)  # a quarter dropped
    assert caps[-1] == 0  # holds


def test_a_low_quantiser_steps_up_only_after_the_hold() -> None:
    scaler = QualityScaler(4)
    now, caps = feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    assert caps[-1] == 1
    down_at = now
    now, caps = feed(scaler, 0, now, UP_HOLD - 0.5, LOW_QP - 5)
    assert set(caps) == {1}
    now, caps = feed(scaler, 0, now, 1.0, LOW_QP - 5)
    assert caps[-1] == 0 and now - down_at >= UP_HOLD


def test_a_middling_quantiser_holds() -> None:
    scaler = QualityScaler(4)
    feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    _, caps = feed(scaler, 0, 10.0, 4 * UP_HOLD, (LOW_QP + HIGH_QP) // 2)
    assert set(caps) == {1}


def test_a_step_up_taken_back_doubles_the_wait_for_the_next() -> None:
    scaler = QualityScaler(4)
    now, _ = feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)  # down to 1
    now, caps = feed(scaler, 0, now, UP_HOLD + 1, LOW_QP - 5)  # up to 0
    up_at = now - (len(caps) - caps.index(0)) / FPS
    now, caps = feed(scaler, 0, now, WINDOW + 0.2, HIGH_QP + 2)  # failed: down to 1
    assert caps[-1] == 1 and now - up_at < FAILED_UP
    now, caps = feed(scaler, 0, now, UP_HOLD + 1, LOW_QP - 5)
    assert set(caps) == {1}  # the hold is now twice as long
    now, caps = feed(scaler, 0, now, UP_HOLD, LOW_QP - 5)
    assert caps[-1] == 0


@pytest.mark.parametrize("qp", [None, LOW_QP - 5])
def test_unknown_quantisers_never_step_up(qp: int | None) -> None:
    scaler = QualityScaler(4)
    now, _ = feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    _, caps = feed(scaler, 0, now, 3 * UP_HOLD, qp)
    assert (caps[-1] == 0) is (qp is not None)


def test_a_step_of_frame_rate_alone_needs_less_headroom_than_one_of_size() -> None:
    """Rung 0 is rung 1 at a higher frame rate; rung 1 is a size above rung 2. A cap at
    1 (the 450k link after an outage: 480x360@24) lifts at a quantiser the link's budget
    gives there; a cap at 2 still needs LOW_QP."""
    steps = (True, False, False, False)
    scaler = QualityScaler(4, steps)
    now, caps = feed(scaler, 0, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    assert caps[-1] == 1
    now, caps = feed(scaler, 1, now, UP_HOLD + 1, FRAME_RATE_UP_QP + 1)
    assert set(caps) == {1}  # not quite the headroom
    now, caps = feed(scaler, 1, now, UP_HOLD + 1, FRAME_RATE_UP_QP)
    assert caps[-1] == 0
    scaler = QualityScaler(4, steps)
    now, caps = feed(scaler, 1, 0.0, WINDOW + 0.2, HIGH_QP + 2)
    assert caps[-1] == 2
    now, caps = feed(scaler, 2, now, 4 * UP_HOLD, FRAME_RATE_UP_QP)
    assert set(caps) == {2}  # a size up needs LOW_QP
    now, caps = feed(scaler, 2, now, UP_HOLD + 1, LOW_QP)
    assert caps[-1] == 1
    assert scaler.verdict(now) is not Verdict.DOWN


def test_the_encoders_scaler_knows_the_ladders_frame_rate_steps() -> None:
    assert ParleyVp8Encoder().quality.frame_rate_steps == frame_rate_steps(RUNGS)
    assert frame_rate_steps(RUNGS) == tuple(
        i + 1 < len(RUNGS) and (r.width, r.height) == (RUNGS[i + 1].width, RUNGS[i + 1].height)
        for i, r in enumerate(RUNGS))
    assert [str(r) for r, same in zip(RUNGS, frame_rate_steps(RUNGS), strict=True) if same] \
        == ["480x360@30", "320x240@30", "320x240@24", "320x240@20"]
