"""Retransmission policy, pure: bounded NACKs spaced by RTT with one PLI after, and a
sender's de-duplicated, budgeted retransmissions."""

from __future__ import annotations

from parley.media.retransmission import (
    BUDGET_SHARE,
    MAX_NACKS,
    MIN_RTT,
    PACKET_BYTES,
    NackLimiter,
    RetransmitBudget,
)


def test_each_packet_is_nacked_a_bounded_number_of_times_spaced_by_rtt() -> None:
    limiter = NackLimiter()
    rtt, now, nacked = 0.1, 0.0, []
    for _ in range(50):  # aiortc calls on every new gap, with every missing packet
        to_nack, pli = limiter.filter([10, 11], now, rtt)
        nacked += to_nack
        now += 0.03  # gaps come faster than the round trip
    assert nacked.count(10) == MAX_NACKS and nacked.count(11) == MAX_NACKS
    assert limiter.plis_sent == 1  # given up on: one PLI, not one per packet


def test_requests_within_a_round_trip_are_not_repeated() -> None:
    limiter = NackLimiter()
    assert limiter.filter([7], 0.0, 0.2) == ([7], False)
    assert limiter.filter([7, 8], 0.1, 0.2) == ([8], False)
    assert limiter.filter([7, 8], 0.2, 0.2) == ([7], False)


def test_a_packet_that_arrived_is_forgotten() -> None:
    limiter = NackLimiter()
    limiter.filter([3], 0.0, 0.1)
    limiter.filter([], 0.05, 0.1)  # it arrived
    assert limiter.filter([3], 1.0, 0.1) == ([3], False)  # a new loss of that number


def test_plis_are_spaced() -> None:
    limiter = NackLimiter(pli_spacing=1.0)
    assert limiter.pli_allowed(0.0) and not limiter.pli_allowed(0.5)
    assert limiter.pli_allowed(1.0)


def test_the_sender_deduplicates_within_a_round_trip() -> None:
    budget = RetransmitBudget()
    assert budget.admit([1, 2], 0.0, 0.1, 5_000_000) == [1, 2]
    assert budget.admit([1, 2, 3], 0.05, 0.1, 5_000_000) == [3]
    assert budget.admit([1], 0.2, 0.1, 5_000_000) == [1]


def test_a_receivers_spaced_renack_is_granted_even_when_the_first_came_late() -> None:
    # the receiver NACKs again MIN_RTT after its first NACK; the first reached the
    # sender 8 ms late (its loop), the second on time: 8 ms under MIN_RTT apart there
    budget, rtt = RetransmitBudget(), 0.002
    assert budget.admit([5], 0.008, rtt, 5_000_000) == [5]
    assert budget.admit([5], MIN_RTT, rtt, 5_000_000) == [5]
    assert budget.admit([5], MIN_RTT + 0.001, rtt, 5_000_000) == []  # a burst's repeat


def test_retransmissions_stay_within_a_fifth_of_the_target() -> None:
    budget, target, now, sent = RetransmitBudget(), 250_000, 0.0, 0
    seq = 0
    for _ in range(1000):  # a NACK storm: 100 s of 20 new requests every 0.1 s
        lost = list(range(seq, seq + 20))
        seq += 20
        sent += len(budget.admit(lost, now, 0.05, target))
        now += 0.1
    rate = sent * PACKET_BYTES * 8 / now
    assert rate <= BUDGET_SHARE * target * 1.01
    assert rate >= BUDGET_SHARE * target * 0.9  # the budget is used, not starved


def test_the_receiver_counts_what_came_back_after_how_many_nacks_and_how_late() -> None:
    limiter, rtt = NackLimiter(), 0.002
    limiter.filter([4, 5], 0.0, rtt)  # both NACKed at once
    limiter.arrived(4, 0.003)  # its retransmission came after 3 ms
    limiter.due(MIN_RTT, rtt)  # 5 NACKed again
    limiter.arrived(5, MIN_RTT + 0.004)
    assert (limiter.recovered, limiter.given_up) == (2, 0)
    line = limiter.stats.report()
    assert "recovered 2 (after 1/2/3+ nacks 1/1/0)" in line
    assert "p50/p90/max 3/3/24 ms" in line
    assert "recovered 0" in limiter.stats.report()  # each report covers its own interval


def test_a_packet_given_up_on_that_comes_after_all_is_counted_late() -> None:
    limiter, rtt, now = NackLimiter(), 0.002, 0.0
    limiter.filter([9], now, rtt)
    while not limiter.given_up:
        now += MIN_RTT
        limiter.due(now, rtt)
    assert limiter.abandoned == [9] and limiter.recovered == 0
    limiter.arrived(9, now + 0.05)  # too late: its hole was filled
    assert "given up 1, 1 arrived later" in limiter.stats.report()


def test_the_senders_refusals_say_whether_duplicate_or_over_budget() -> None:
    budget, rtt, target = RetransmitBudget(), 0.05, 100_000  # 20 kbit/s: 1250 B in 0.5 s
    assert budget.admit([1, 2], 0.0, rtt, target) == [1]  # one packet's worth of bytes
    assert budget.admit([1], 0.01, rtt, target) == []  # asked again within the rtt
    assert (budget.duplicates, budget.over_budget, budget.refused) == (1, 1, 2)
    assert "1 duplicate, 1 over budget; packets asked 1x 1, 2x 1" in budget.report()
