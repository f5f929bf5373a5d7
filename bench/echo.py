"""Echo cancellation, double talk, the processing's latency and the end-to-end gain
(docs/performance.md quotes these).

    python -m bench echo        # writes bench/results/echo.json

The echo rig (tests/media/echo_rig.py: a private PulseAudio, real devices through
PortAudio, a real call per side) runs two calls side by side, the near end's
processing off in one and on in the other; what each far end hears is recorded from
its speaker's monitor. The far end talks alone for FAR_SECONDS (its voice comes back
from the near end's speaker, ~60 ms later and 10 dB down, into the near mic), then the
near end alone, then both, NEAR_SECONDS each. The rig runs three times: with every
switch on (the default), with echo cancellation and noise suppression only (no gain
control), and with echo cancellation and gain control only (no noise suppression: the
configuration whose processing delay is under 10 ms).

- ERLE: the far-alone echo the far end hears, processing off against on (the second
  half of that phase: the canceller has converged by then);
- double talk: the near voice's level during double talk against near-alone, in the
  processed call, and against the unprocessed near-alone level;
- the processing's added latency: speech through the APM in 20 ms blocks as the
  microphone hands them (no devices), cross-correlated with what went in (and where it
  comes from: ``apm_delay_ms_*``, the APM driven directly part by part); and the
  mouth-to-ear delay of the near voice in both calls of the rig;
- the end-to-end gain of the near voice without processing (unity since the senders
  hand aiortc stereo frames; tests/media/test_gain.py asserts it on a tone).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from tests.media.echo_rig import NEAR_TEXT, lag, processing_delay_ms, run_rig, speech

from parley.media.processing import ProcessingOptions
from parley.media.synthetic import AUDIO_RATE

FAR_SECONDS = float(os.environ.get("PARLEY_BENCH_ECHO_FAR", "10"))
NEAR_SECONDS = float(os.environ.get("PARLEY_BENCH_ECHO_NEAR", "5"))


def db(a: float, b: float) -> float:
    return round(20 * math.log10(max(a, 1e-7) / max(b, 1e-7)), 1)


def _figures(prefix: str, rig: dict[str, Any]) -> dict[str, Any]:
    off, on = rig["off"], rig["on"]
    return {
        f"{prefix}_erle_db": db(off["echo_rms"], on["echo_rms"]),
        f"{prefix}_double_talk_vs_near_alone_db": db(on["double_rms"], on["near_rms"]),
        f"{prefix}_double_talk_vs_unprocessed_near_db": db(on["double_rms"], off["near_rms"]),
        f"{prefix}_near_alone_vs_unprocessed_db": db(on["near_rms"], off["near_rms"]),
        f"{prefix}_mouth_to_ear_ms_off_on": [off["mouth_to_ear_ms"], on["mouth_to_ear_ms"]],
        f"{prefix}_unprocessed_gain_db": db(off["near_rms"], off["said_near_rms"]),
    }


def apm_delays(voice: npt.NDArray[np.int16]) -> dict[str, float]:
    """Where the processing's delay comes from: libwebrtc's APM driven directly, at
    48 kHz with the high-pass filter alone (its 3-band split of 48 kHz audio runs
    whenever anything does), each part alone, everything; and everything on 16 kHz
    audio (no band split). Cross-correlation peak, at sample resolution."""
    from livekit import rtc

    def delay(rate: int, ec: bool, ns: bool, agc: bool) -> float:
        apm = rtc.AudioProcessingModule(echo_cancellation=ec, noise_suppression=ns,
                                        high_pass_filter=True, auto_gain_control=agc)
        x = voice if rate == AUDIO_RATE else voice[:: AUDIO_RATE // rate].copy()
        step, out = rate // 100, []
        for start in range(0, len(x) - step + 1, step):
            frame = rtc.AudioFrame(bytearray(x[start : start + step].tobytes()), rate, 1, step)
            apm.process_stream(frame)
            out.append(np.frombuffer(bytes(frame.data), np.int16))
        processed = np.concatenate(out)
        return round(lag(processed, x[: len(processed)], rate // 10) * 1000 / rate, 2)

    return {"48k_high_pass_only": delay(AUDIO_RATE, False, False, False),
            "48k_ec": delay(AUDIO_RATE, True, False, False),
            "48k_ns": delay(AUDIO_RATE, False, True, False),
            "48k_agc": delay(AUDIO_RATE, False, False, True),
            "48k_all": delay(AUDIO_RATE, True, True, True),
            "16k_all": delay(16000, True, True, True)}


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="parley-echo-") as scratch:
        where = Path(scratch)
        voice = speech(NEAR_TEXT, "en+f3", where / "voice.s16")
        delays = {name: round(processing_delay_ms(voice, options), 1) for name, options in {
            "all": ProcessingOptions(), "ec": ProcessingOptions(True, False, False),
            "ns": ProcessingOptions(False, True, False),
            "agc": ProcessingOptions(False, False, True)}.items()}
        every = run_rig(where / "all", FAR_SECONDS, NEAR_SECONDS, "ec,ns,agc")
        no_agc = run_rig(where / "ec_ns", FAR_SECONDS, NEAR_SECONDS, "ec,ns")
        no_ns = run_rig(where / "ec_agc", FAR_SECONDS, NEAR_SECONDS, "ec,agc")
    return {**_figures("all_on", every), **_figures("ec_ns", no_agc),
            **_figures("ec_agc", no_ns),
            **{f"processing_delay_ms_{name}": value for name, value in delays.items()},
            **{f"apm_delay_ms_{name}": value for name, value in apm_delays(voice).items()},
            "load_average": round(os.getloadavg()[0], 2),
            "phases_s": [FAR_SECONDS, NEAR_SECONDS, NEAR_SECONDS]}


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key}: {value}")
