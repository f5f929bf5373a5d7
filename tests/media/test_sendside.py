"""The sender's check on the receiver's estimate, on a fake clock: REMB drops are followed
only when heavy loss or a grown round trip confirm them; loss alone moves the loss-based
rate; a clean link's start grows fast until the first sign of congestion; and a video
sender's RTCP hook hands aiortc the checked REMB."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from parley.media import rtx
from parley.media.encoder import ParleyVp8Encoder
from parley.media.sendside import (
    FLOOR,
    NTP_EPOCH,
    STARTUP_EXIT,
    SendSideEstimate,
    report_rtt,
)
from parley.media.synthetic import PatternTrack


def test_an_unconfirmed_drop_is_held_and_a_rise_is_followed() -> None:
    policy = SendSideEstimate(400_000)
    policy.on_rtt(0.05)
    policy.on_loss(0.0, 10.0)
    policy.on_loss(0.0, 11.0)  # loss-based 432k
    assert policy.on_remb(480_000, 10.1) == policy.loss_based == 432_000
    assert policy.on_remb(56_000, 11.0) == 432_000  # no loss, round trip flat
    assert policy.held == 1
    policy.on_loss(0.0, 12.0)  # loss-based has grown 8 %/s
    assert policy.on_remb(900_000, 12.1) == policy.loss_based < 900_000


def test_a_drop_with_heavy_loss_is_followed_below_the_floor() -> None:
    policy = SendSideEstimate(500_000)
    policy.on_rtt(0.05)
    policy.on_loss(0.05, 9.0)
    assert policy.on_remb(300_000, 9.5) == 500_000  # random loss of 5 % confirms nothing
    policy.on_loss(0.15, 10.0)
    assert policy.on_remb(70_000, 10.5) == 70_000 < FLOOR  # a 90k link still pauses video
    assert policy.on_remb(40_000, 13.0) == 70_000  # the loss is 3 s old: not confirmed


def test_a_drop_with_a_grown_round_trip_is_followed() -> None:
    policy = SendSideEstimate(500_000)
    policy.on_rtt(0.05)
    policy.on_rtt(0.35)  # a bottleneck's queue filling
    assert policy.on_remb(200_000, 1.0) == 200_000
    policy.on_rtt(0.06)
    assert policy.on_remb(100_000, 2.0) == 200_000


def test_heavy_loss_decreases_and_floors_the_loss_based_rate() -> None:
    policy = SendSideEstimate(500_000)
    policy.on_remb(500_000, 0.0)
    policy.on_loss(0.2, 1.0)
    assert policy.loss_based == 450_000 and policy.rate == 450_000  # x (1 - 0.5 x 0.2)
    policy.on_loss(0.05, 2.0)
    assert policy.loss_based == 450_000  # 2-10 %: held
    for second in range(3, 60):
        policy.on_loss(0.5, second)
    assert policy.loss_based == FLOOR


def test_heavy_loss_cuts_before_the_first_remb_and_nothing_else_moves_it() -> None:
    # a slow link's drop-tail queue is full: the receiver's estimator sees no delay grow
    # and sends no REMB for seconds, while its reports say half the packets are lost
    policy = SendSideEstimate(300_000)
    assert policy.on_loss(0.0, 1.0) is None and policy.on_loss(0.08, 1.5) is None
    assert policy.rate == 300_000  # clean, or loss up to 10 %: the start rate, as before
    policy.on_sent(0, 0.0)
    policy.on_sent(270_000 // 8 * 2, 2.0)  # 270k went out
    assert policy.on_loss(0.5, 2.0) == 202_500  # (1 - 0.5 x 0.5) x what was sent
    assert policy.on_loss(0.5, 3.0) == 151_875  # ... or the rate, if less
    for second in range(4, 30):
        policy.on_loss(0.5, second)
    assert policy.rate == FLOOR  # loss alone never goes below audio's and the last rung's
    assert policy.on_loss(0.0, 31.0) is None and policy.rate == FLOOR  # no REMB, no growth
    assert policy.on_remb(400_000, 32.0) == min(400_000, policy.loss_based)  # then as ever


def test_a_clean_link_grows_the_rate_past_a_slow_remb_up_to_twice_it() -> None:
    policy = SendSideEstimate(500_000)
    policy.on_rtt(0.05)
    policy.on_loss(0.15, 0.0)
    assert policy.on_remb(90_000, 0.5) == 90_000  # the start overflowed a queue: followed
    for second in range(3, 8):  # clean and flat from here
        policy.on_loss(0.0, second)
    assert abs(policy.rate - 90_000 * 1.08 ** 5) < 10  # 8 %/s: a collapse, no caution
    for second in range(8, 30):
        policy.on_loss(0.0, second)
    assert policy.rate == 180_000  # never past twice the last REMB
    policy.on_rtt(0.4)  # the bottleneck's queue
    policy.on_loss(0.0, 31)
    assert policy.on_remb(120_000, 31.5) == 120_000  # a third off: a sawtooth edge
    for second in range(32, 41):
        policy.on_loss(0.0, second)
        policy.on_rtt(0.05)
    assert policy.rate == 120_000  # CAUTION: no further than the REMB for 10 s
    for second in range(42, 45):
        policy.on_loss(0.0, second)
    assert policy.rate > 120_000


def roomy(start: int) -> SendSideEstimate:
    """A policy whose loss-based rate (clean reports before any REMB) is far above start."""
    policy = SendSideEstimate(start)
    for second in range(-20, 1):
        policy.on_loss(0.0, second)
    return policy


def test_a_lagging_remb_without_a_cut_is_grown_past_at_once() -> None:
    """The start: the first REMBs are below the start rate and climb; no cut, no caution."""
    policy = roomy(300_000)
    policy.on_rtt(0.02)
    for tenth in range(1, 31):
        policy.on_remb(150_000 + 1000 * tenth, tenth / 10)
    assert policy.rate == 300_000 and policy.held_out == 0
    policy.on_loss(0.0, 4.0)
    assert policy.rate == int(300_000 * 1.08)


def test_a_cut_the_link_does_not_confirm_is_followed_after_a_second() -> None:
    """A 250k link: aiortc's REMB cuts 175k -> 118k as the queue starts to grow; the
    round trip has not grown yet. Before: the rate went on growing for 3.6 s."""
    policy = roomy(150_000)
    policy.starting = False  # a call some seconds in: past the start-up's faster growth
    policy.on_rtt(0.055)
    assert policy.on_remb(175_000, 0.0) == 175_000
    policy.on_loss(0.0, 1.0)  # grown past the REMB on a clean link
    grown = policy.rate
    assert grown == int(175_000 * 1.08)
    assert policy.on_remb(118_000, 1.2) == grown  # the cut: held ...
    policy.on_loss(0.0, 2.0)
    assert policy.rate == grown  # ... and not grown meanwhile
    policy.on_rtt(0.065)  # no queue to speak of in the round trip yet
    assert policy.on_remb(125_000, 2.1) == grown
    assert policy.on_remb(124_000, 2.2) == 124_000  # a second below the rate: followed
    assert policy.held_out == 1
    for second in range(3, 12):
        policy.on_loss(0.0, second)
        policy.on_remb(124_000, second + 0.5)
    assert policy.rate == 124_000  # no regrowth into the queue for CAUTION seconds


def test_a_cut_in_small_steps_is_a_cut() -> None:
    """The start on a 250k link: REMBs of 140k falling in 5-10 % steps."""
    policy = roomy(300_000)
    policy.on_rtt(0.02)
    for at, remb in enumerate((137_000, 140_000, 128_000, 121_000, 114_000, 113_000)):
        assert policy.on_remb(remb, 0.1 * at) == 300_000  # the start's lag, then held
    assert policy.on_remb(110_000, 1.6) == 110_000  # 114k (< 0.9 x 140k) came at 0.4 s
    assert policy.held_out == 1


def test_a_cut_that_recovers_within_the_hold_is_not_followed() -> None:
    policy = roomy(300_000)
    policy.on_rtt(0.02)
    policy.on_remb(300_000, 0.0)
    assert policy.on_remb(200_000, 0.1) == 300_000  # a cut, held
    assert policy.on_remb(310_000, 0.6) == 310_000  # back above the rate: the hold ends
    assert policy.on_remb(305_000, 1.5) == 310_000  # a small dip is no cut
    assert policy.on_remb(300_000, 3.0) == 310_000
    assert policy.held_out == 0


def test_at_the_start_a_clean_link_grows_fast_up_to_twice_the_remb() -> None:
    policy = SendSideEstimate(300_000)
    policy.on_rtt(0.04)
    for second in range(1, 4):  # no REMB yet (aiortc waits 3 s): the start rate holds
        policy.on_loss(0.0, second)
    assert policy.rate == 300_000
    assert policy.on_remb(270_000, 3.5) == 300_000  # the throughput it measured
    policy.on_loss(0.0, 4.0)
    assert policy.starting and policy.on_remb(290_000, 4.1) == 450_000  # x 1.5 in a second
    policy.on_loss(0.0, 5.0)
    assert policy.rate == 580_000  # twice the REMB, 1.5 s after the first one
    # the receiver's estimator sees the queue grow: growth is back to 8 %/s
    assert policy.on_remb(280_000, 5.5) == 580_000 and not policy.starting
    policy.on_remb(400_000, 6.5)
    policy.on_loss(0.0, 7.0)
    assert policy.rate == int(580_000 * 1.08)  # a report counts at most 1 s of growth


def test_the_start_up_ends_at_the_first_sign_of_congestion() -> None:
    lossy = SendSideEstimate(300_000)
    lossy.on_remb(280_000, 3.0)
    lossy.on_loss(0.03, 4.0)
    assert not lossy.starting
    queued = SendSideEstimate(300_000)
    queued.on_rtt(0.04)
    queued.on_remb(280_000, 3.0)
    queued.on_rtt(0.2)
    assert not queued.starting
    overflowing = SendSideEstimate(300_000)  # a 250k link's first REMB: an overuse
    overflowing.on_remb(180_000, 1.5)
    overflowing.on_loss(0.0, 2.5)
    assert not overflowing.starting and overflowing.rate < 300_000 * 1.1


def ramp_sent(policy: SendSideEstimate, until: float) -> None:
    """What the encoder's start sends: 100k, growing 1.5x a second (ladder.START_GROWTH),
    seen through getStats' bytesSent each second."""
    total = 0.0
    for second in range(1, int(until) + 1):
        total += 100_000 * 1.5 ** (second - 0.5) / 8
        policy.on_sent(int(total), second)


def test_the_first_remb_is_judged_against_what_was_sent_not_the_start_rate() -> None:
    """On a fast link the first REMB reads the encoder's ramp (under 200k 2-3 s in), far
    under the 300k start rate: it is no sign of congestion, and the start-up's fast
    growth goes on (a 2 Mbit/s link's call reached 0.30x the link in its first 20 s)."""
    policy = SendSideEstimate(300_000)
    ramp_sent(policy, 2)
    assert policy.sent is not None and 170_000 < policy.sent < 200_000
    policy.on_remb(170_000, 2.1)  # about what was sent: the throughput, all of it
    assert policy.starting
    policy.on_loss(0.0, 2.2)
    policy.on_loss(0.0, 3.2)
    assert policy.rate == 2 * policy.sent  # twice what was carried: the start's growth
    overflowing = SendSideEstimate(300_000)  # a 150k link: the first REMB an overuse
    ramp_sent(overflowing, 2)
    overflowing.on_remb(110_000, 2.1)
    assert not overflowing.starting


def test_a_start_probe_the_link_answers_falls_back_to_what_was_sent() -> None:
    """The start-up grows the rate to twice what the link carried, past what the encoder
    has sent yet; when the receiver's estimator then sees the queue grow (a REMB under the one
    before), the rate goes back to what was sent: kept there, the encoder would step up
    into it (a 450k link's start put out 474k for 6 s, dropping 112 packets)."""
    policy = SendSideEstimate(300_000)
    policy.on_sent(0, 1.0)
    policy.on_sent(35_000, 2.0)  # 280k sent
    policy.on_loss(0.0, 2.5)
    policy.on_remb(210_000, 3.0)
    policy.on_loss(0.0, 3.5)
    policy.on_remb(256_000, 4.0)
    policy.on_loss(0.0, 4.5)
    assert policy.rate == 560_000 and policy.starting  # twice what was sent
    assert policy.on_remb(238_000, 4.6) == 280_000 and not policy.starting


def test_a_first_remb_after_some_loss_still_brings_the_rate_back_to_what_was_sent() -> None:
    """A 150 kbit/s link's first receiver report may say 2-10 % lost before the first
    REMB: that ends the start-up, but the rate is still the 300k start rate no REMB has
    checked. The first REMB's overuse verdict brings it back to what was sent; held at
    300k, the encoder's ramp went on into the link and video paused for 5 s."""
    policy = SendSideEstimate(300_000)
    policy.on_sent(0, 0.0)
    policy.on_sent(14_000, 0.7)  # 160k sent
    policy.on_loss(0.05, 0.8)
    assert not policy.starting and policy.rate == 300_000
    assert policy.on_remb(56_000, 1.1) == 160_000


def test_a_round_trip_is_read_from_the_report_fields() -> None:
    """RFC 3550's arrival - LSR - DLSR, in NTP's 1/65536 s: aiortc's own is an average
    that hid a 300 ms queue for seconds."""
    wall = 1_700_000_000.25
    sent = int((wall - 0.31 + NTP_EPOCH) * 65536) & 0xFFFFFFFF  # the SR, 310 ms ago

    def block(lsr: int, dlsr: float) -> RtcpReceiverInfo:
        return RtcpReceiverInfo(ssrc=1, fraction_lost=0, packets_lost=0, highest_sequence=0,
                                jitter=0, lsr=lsr, dlsr=int(dlsr * 65536))

    rtt = report_rtt([block(sent, 0.01)], wall)
    assert rtt is not None and abs(rtt - 0.3) < 0.001
    older = (sent - 65536 // 10) & 0xFFFFFFFF  # the audio stream's SR, 100 ms before
    assert report_rtt([block(older, 0.01), block(sent, 0.01)], wall) == rtt
    assert report_rtt([block(0, 0)], wall) is None  # no sender report seen yet
    stale = (sent - 5 * 65536) & 0xFFFFFFFF  # a paused sender's last report
    assert report_rtt([block(stale, 0.01)], wall) is None


def _remb(bitrate: int) -> RtcpPsfbPacket:
    return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0,
                          fci=pack_remb_fci(bitrate, [1234]))


class _Upstream:
    """What a video sender's RTCP hook passes on to aiortc: the REMBs' bitrates."""

    def __init__(self) -> None:
        self.passed: list[int] = []

    async def __call__(self, packet: object) -> None:
        if isinstance(packet, RtcpPsfbPacket):
            self.passed.append(unpack_remb_fci(packet.fci)[0])


@contextlib.asynccontextmanager
async def _video_hook() -> AsyncIterator[tuple[RTCRtpSender, rtx.SenderTuning, _Upstream]]:
    """A real video sender, its RTCP hook bound to a Parley encoder, and what it passes on."""
    pc = RTCPeerConnection()
    try:
        sender = pc.addTrack(PatternTrack())
        tuning = rtx.tuning(sender)
        tuning.bind(ParleyVp8Encoder())
        yield sender, tuning, _Upstream()
    finally:
        await pc.close()


async def test_a_video_senders_rtcp_hook_passes_the_checked_remb_upstream() -> None:
    async with _video_hook() as (sender, tuning, upstream):
        await tuning.handle(sender, _remb(50_000), upstream)
        lossy = RtcpRrPacket(ssrc=1, reports=[RtcpReceiverInfo(
            ssrc=0, fraction_lost=64, packets_lost=10, highest_sequence=100, jitter=0,
            lsr=0, dlsr=0)])  # a quarter lost
        await tuning.handle(sender, lossy, upstream)
        await tuning.handle(sender, _remb(50_000), upstream)
        assert upstream.passed == [rtx.DEFAULT_TARGET, 50_000]  # held, then followed
        assert tuning.estimate == 50_000  # the REMB as it came


async def test_a_video_senders_hook_reads_each_reports_round_trip() -> None:
    """A queue shows in the next receiver report, not seconds later: a report whose LSR
    is 400 ms old (a full 300 ms tbf queue) confirms the drop the next REMB says."""
    async with _video_hook() as (sender, tuning, upstream):
        def report(rtt: float) -> RtcpRrPacket:
            lsr = int((time.time() - rtt + NTP_EPOCH) * 65536) & 0xFFFFFFFF
            return RtcpRrPacket(ssrc=1, reports=[RtcpReceiverInfo(
                ssrc=0, fraction_lost=0, packets_lost=0, highest_sequence=100, jitter=0,
                lsr=lsr, dlsr=0)])

        await tuning.handle(sender, report(0.01), upstream)  # the link's own round trip
        await tuning.handle(sender, _remb(150_000), upstream)
        assert upstream.passed == [rtx.DEFAULT_TARGET]  # unconfirmed: held
        await tuning.handle(sender, report(0.4), upstream)
        await tuning.handle(sender, _remb(150_000), upstream)
        assert upstream.passed[-1] == 150_000  # the queue confirmed it


async def test_a_video_senders_hook_cuts_its_encoder_on_loss_before_any_remb() -> None:
    async with _video_hook() as (sender, tuning, upstream):
        encoder = tuning.encoder
        assert isinstance(encoder, ParleyVp8Encoder) and encoder.estimate == rtx.DEFAULT_TARGET
        halved = RtcpRrPacket(ssrc=1, reports=[RtcpReceiverInfo(
            ssrc=0, fraction_lost=128, packets_lost=50, highest_sequence=100, jitter=0,
            lsr=0, dlsr=0)])  # half lost, and no REMB has come
        await tuning.handle(sender, halved, upstream)
        assert encoder.estimate == 225_000  # (1 - 0.5 x 0.5) x the start rate, at once
        assert upstream.passed == []  # no REMB was made up


async def test_a_video_senders_first_remb_already_knows_what_was_sent() -> None:
    """aiortc's first REMB comes about 1 s in, before the first receiver report that is
    1 s after the last stats read (2.3-2.5 s in on a 150 kbit/s link; only those read
    ``bytesSent``). An overuse verdict then brings the rate back to what was sent at once.
    Not knowing it, the sender held 300k while the encoder's start ramp climbed into the
    link: the 300 ms queue overflowed, 40-57 % was lost, and video paused for 5 s.

    A real pair on loopback; the sender's clock is frozen at 0 until the REMB, so its
    receiver reports read no interval of ``bytesSent``: only the first frame's bind can
    have started one."""
    rtx.install()
    a, b = RTCPeerConnection(), RTCPeerConnection()
    try:
        sender = a.addTrack(PatternTrack())
        tuning, clock = rtx.tuning(sender), [0.0]
        tuning.clock = lambda: clock[0]
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        async with asyncio.timeout(10):
            while await _bytes_sent(sender) < 4000:  # a keyframe and more have gone out
                await asyncio.sleep(0.05)
        clock[0] = 1.1
        upstream = _Upstream()
        await tuning.handle(sender, _remb(10_000), upstream)  # an overuse verdict
        sent = tuning.policy.sent
        assert sent is not None and sent > 10_000 / STARTUP_EXIT
        assert not tuning.policy.starting
        assert upstream.passed == [min(rtx.DEFAULT_TARGET, sent)]  # back to what was sent
    finally:
        await a.close()
        await b.close()


async def _bytes_sent(sender: RTCRtpSender) -> int:
    stats = (await sender.getStats()).values()
    return sum(int(getattr(s, "bytesSent", 0)) for s in stats if s.type == "outbound-rtp")
