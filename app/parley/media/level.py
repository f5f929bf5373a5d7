"""An audio frame's level in dBov: :func:`audio_level_dbov`, aiortc's in numpy.

The Opus encoder decides DTX on each microphone frame's level
(:mod:`.opus`). aiortc's ``aiortc.rtp.compute_audio_level_dbov`` (RFC 6465, Appendix A)
sums the squares in a Python loop, one ``struct`` unpack per sample: 260 µs for a 20 ms
stereo frame, 50 times a second, on the event loop where the microphone is encoded once
for every peer (:mod:`.shared_audio`; docs/performance.md, "Round eight: the loop's
per-packet work"). This is the same arithmetic over the same bytes in numpy (about 10 µs),
and gives the same integer: the sum of squares is exact in both (an integer below
2**53), and the rest (the division by ``frame.samples``, the square root, the
logarithm, the clamping, the rounding) is upstream's, step for step.
"""

from __future__ import annotations

import math

import av
import numpy as np

MAX_SAMPLE_VALUE = 32767
MIN_AUDIO_LEVEL = -127
MAX_AUDIO_LEVEL = 0


def audio_level_dbov(frame: av.AudioFrame) -> int:
    """``frame``'s level, as ``aiortc.rtp.compute_audio_level_dbov`` computes it: the
    first plane read as 16-bit samples, its energy over ``frame.samples`` samples."""
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16).astype(np.int64)
    energy = float(np.dot(samples, samples))
    rms = math.sqrt(energy / (frame.samples * MAX_SAMPLE_VALUE * MAX_SAMPLE_VALUE))
    if rms <= 0:
        return MIN_AUDIO_LEVEL
    return round(min(max(20 * math.log10(rms), MIN_AUDIO_LEVEL), MAX_AUDIO_LEVEL))
