"""The subscriber's layer choice through the SFU (pure, a fake clock): which layer of each
remote participant's camera it asks for, by tile size, dominant speaker and the link's
estimate, with hysteresis so that it does not flap."""

from __future__ import annotations

from parley.media.layer_choice import (
    AUDIO_COST,
    FULL_COST,
    HOLD,
    LOW_COST,
    PROBE_AFTER,
    LayerChoice,
    LinkEstimate,
    Views,
)
from parley.media.layering import Layer

FULL, LOW = Layer.FULL, Layer.LOW


def test_a_participant_nobody_said_anything_of_gets_the_full_layer_at_once() -> None:
    choice = LayerChoice()
    assert choice.decide(["ada"], None, 0.0) == {"ada": FULL}
    assert choice.decide(["ada"], None, 0.1) == {}  # nothing changed: nothing asked


def test_small_tiles_get_the_low_layer_and_the_stage_the_full_one() -> None:
    views = Views()
    views.set("ada", 960, 540)  # the stage
    views.set("bob", 240, 135)  # grid tiles
    views.set("cy", 320, 240)
    views.set("dee", 0, 0)  # not shown
    choice = LayerChoice(views)
    assert choice.decide(["ada", "bob", "cy", "dee"], None, 0.0) == {
        "ada": FULL, "bob": LOW, "cy": LOW, "dee": LOW}


def test_the_dominant_speaker_gets_the_full_layer_unless_hidden() -> None:
    views = Views()
    views.set("ada", 240, 180)
    views.set("bob", 0, 0)
    choice = LayerChoice(views)
    choice.decide(["ada", "bob"], None, 0.0)
    views.dominant = "ada"
    assert choice.decide(["ada", "bob"], None, HOLD) == {"ada": FULL}
    views.dominant = "bob"
    assert choice.decide(["ada", "bob"], None, 2 * HOLD) == {"ada": LOW}


def test_a_tile_resized_around_the_threshold_does_not_flap() -> None:
    views = Views()
    choice = LayerChoice(views)
    views.set("ada", 300, 225)
    assert choice.decide(["ada"], None, 0.0) == {"ada": LOW}
    views.set("ada", 360, 270)  # larger than the low layer, below 1.25 x: stays low
    assert choice.decide(["ada"], None, 10.0) == {}
    views.set("ada", 400, 300)  # 1.25 x: up
    assert choice.decide(["ada"], None, 20.0) == {"ada": FULL}
    views.set("ada", 360, 270)  # between the two: stays full
    assert choice.decide(["ada"], None, 30.0) == {}
    views.set("ada", 320, 240)  # no larger than the low layer: down
    assert choice.decide(["ada"], None, 40.0) == {"ada": LOW}


def test_a_participant_changes_layer_at_most_once_per_hold() -> None:
    views = Views()
    choice = LayerChoice(views)
    views.set("ada", 960, 720)
    assert choice.decide(["ada"], None, 0.0) == {"ada": FULL}
    views.set("ada", 160, 120)
    assert choice.decide(["ada"], None, HOLD - 0.1) == {}  # too soon
    assert choice.decide(["ada"], None, HOLD) == {"ada": LOW}
    views.set("ada", 960, 720)
    assert choice.decide(["ada"], None, HOLD + 1.0) == {}
    assert choice.decide(["ada"], None, 2 * HOLD) == {"ada": FULL}


def test_a_short_link_keeps_the_full_layer_for_the_largest_tiles_it_affords() -> None:
    views = Views()
    views.set("ada", 1280, 720)
    views.set("bob", 640, 480)
    views.set("cy", 800, 600)
    choice = LayerChoice(views)
    everyone = 3 * (AUDIO_COST + LOW_COST)
    one_full = everyone + FULL_COST - LOW_COST
    # room for one full layer (within the margin a move up needs): the largest tile's
    assert choice.decide(["ada", "bob", "cy"], one_full / 0.8, 0.0) == {
        "ada": FULL, "bob": LOW, "cy": LOW}
    views.dominant = "bob"  # the dominant speaker comes first
    assert choice.decide(["ada", "bob", "cy"], one_full / 0.8, HOLD) == {
        "ada": LOW, "bob": FULL}


def test_the_link_falling_short_moves_down_and_coming_back_moves_up_with_a_margin() -> None:
    views = Views()
    views.set("ada", 960, 720)
    choice = LayerChoice(views)
    needs = AUDIO_COST + FULL_COST
    assert choice.decide(["ada"], needs, 0.0) == {"ada": LOW}  # up needs 1/0.8 of it ...
    assert choice.decide(["ada"], needs / 0.8, HOLD) == {}  # ... and the probe's wait
    assert choice.decide(["ada"], needs / 0.8, PROBE_AFTER) == {"ada": FULL}
    assert choice.decide(["ada"], needs, PROBE_AFTER + HOLD) == {}  # staying needs all of it
    assert choice.cost() == AUDIO_COST + FULL_COST
    assert choice.decide(["ada"], needs - 1, PROBE_AFTER + 2 * HOLD) == {"ada": LOW}
    assert choice.cost() == AUDIO_COST + LOW_COST


def test_a_try_of_the_full_layer_the_link_fails_doubles_the_wait_for_the_next() -> None:
    views = Views()
    views.set("ada", 960, 720)
    choice = LayerChoice(views)
    short, enough = 300_000, 1_000_000
    choice.decide(["ada"], short, 0.0)  # down: tried again after PROBE_AFTER
    assert choice.decide(["ada"], enough, PROBE_AFTER) == {"ada": FULL}
    failed_at = PROBE_AFTER + HOLD  # the try failed at once: twice the wait
    assert choice.decide(["ada"], short, failed_at) == {"ada": LOW}
    assert choice.decide(["ada"], enough, failed_at + PROBE_AFTER) == {}
    assert choice.decide(["ada"], enough, failed_at + 2 * PROBE_AFTER) == {"ada": FULL}
    # a tile made small meanwhile owes the link nothing: a large one again is full at once
    views.set("ada", 160, 120)
    assert choice.decide(["ada"], enough, 100.0) == {"ada": LOW}
    views.set("ada", 960, 720)
    assert choice.decide(["ada"], enough, 100.0 + HOLD) == {"ada": FULL}


def test_an_sfu_restart_asks_for_everyone_again() -> None:
    choice = LayerChoice()
    choice.decide(["ada", "bob"], None, 0.0)
    choice.reset()
    assert choice.decide(["ada", "bob"], None, 0.1) == {"ada": FULL, "bob": FULL}
    choice.forget("bob")
    assert choice.layers == {"ada": FULL}


def test_the_link_estimate_is_unknown_until_loss_says_the_link_is_short() -> None:
    link = LinkEstimate()
    assert link.update(0.0, 0, 0, 1_000_000) is None
    assert link.update(1.0, 300, 0, 1_000_000) is None  # no loss: no limit known
    assert link.update(2.0, 330, 0, 1_000_000) is None  # too few packets to say
    # 20 % lost of what it carried: the link is short, by half the loss
    assert link.update(3.0, 540, 60, 1_000_000) == 900_000
    assert link.update(4.0, 840, 65, 1_000_000) == 900_000 * 1.08  # clean: grows 8 %/s
    assert link.update(5.0, 1130, 75, 1_000_000) == 900_000 * 1.08  # 3 %: holds


def test_the_link_estimate_judges_the_loss_before_retransmission_repaired_it() -> None:
    """A subscriber link too short for the full layer (a tbf 300 kbit/s link under ~330
    kbit/s): about 20 % of the packets are dropped, and retransmissions and the fillers
    of packets given up on make up almost all of them, so the connection's counters show
    2 % lost. The estimate must still see the link short, and the choice give the
    viewer the low layer (the full one smeared and stalled for 10-20 s without it)."""
    choice, link = LayerChoice(Views()), LinkEstimate()
    assert choice.decide(["ada"], link.estimate, 0.0) == {"ada": FULL}
    carried = choice.cost()
    # each second: 200 packets sent, 40 dropped by the link, 36 of those repaired
    link.update(HOLD, 0, 0, carried, repaired=0)
    assert link.update(HOLD + 1, 196, 4, carried, repaired=36) == carried * 0.9  # 20 % lost
    assert choice.decide(["ada"], link.estimate, HOLD + 1) == {"ada": LOW}
    # the same counters without the repair: 2 % lost, no limit known
    unrepaired = LinkEstimate()
    unrepaired.update(HOLD, 0, 0, carried)
    assert unrepaired.update(HOLD + 1, 196, 4, carried) is None
