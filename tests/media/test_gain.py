"""Unity gain end to end: a tone of known level sent through a real call (Opus encode,
network, decode, the mixer) arrives at the level it was sent, within 0.5 dB, and the
audio level the receiver reports is that level too."""

from __future__ import annotations

import math
import statistics

from parley.media.synthetic import TONE_AMPLITUDE
from tests.media.conftest import Router, flowing

SENT_RMS = TONE_AMPLITUDE / math.sqrt(2)  # a sine's RMS


async def test_a_tone_arrives_at_the_level_it_was_sent(router: Router) -> None:
    await router.add("a")
    _b, rb = await router.add("b")
    router.connect_all()
    await rb.until(lambda: flowing(rb, "a"), what="media from a")
    start = len(rb.levels["a"])
    await rb.until(lambda: len(rb.levels["a"]) >= start + 20, what="2 s of audio levels")
    received = statistics.median(rb.levels["a"][start:])
    gain_db = 20 * math.log10(received / SENT_RMS)
    print(f"\nsent RMS {SENT_RMS:.4f}, received {received:.4f}: {gain_db:+.2f} dB")
    assert abs(gain_db) <= 0.5, f"end-to-end gain {gain_db:+.2f} dB"
