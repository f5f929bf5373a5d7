"""How much of a lossy link's lost voice the receiver gets back from Opus's FEC (issue 13).

    python -m bench opus_fec          # ~10 s, offline, one core

Speech made by espeak-ng (two sentences, 16 kHz, resampled to 48 kHz stereo as a
microphone's frames are), and Parley's synthetic microphone tone, each encoded by
Parley's sender (:class:`~parley.media.opus.ParleyOpusEncoder`, its in-band FEC on, as
after a receiver reported loss) in 20 ms packets; packets lost at random (2, 5, 10 %,
the same seeds for both decoders); the rest decoded in order, once by aiortc's
``OpusDecoder`` (FFmpeg's libopus wrapper: the baseline) and once by Parley's
:class:`~parley.media.opus_fec.FecOpusDecoder`. Per case: the share of the stream's
20 ms frames the listener gets (decoded, or recovered), the share of the lost frames
recovered and of those concealed (made up by libopus's concealment, not counted as
heard), and the recovered frames' SNR against the same frames decoded without loss.
"""

from __future__ import annotations

import fractions
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from parley.media.opus import ParleyOpusEncoder
from parley.media.opus_fec import FecOpusDecoder, concealed, libopus

RATE, SAMPLES = 48_000, 960
LOSSES = (0.02, 0.05, 0.10)
SEEDS = (1, 2, 3)
TEXT = ("Parley keeps the call going when the network drops a packet. "
        "Can you still hear me clearly at the back of the room?")


def _speech() -> npt.NDArray[np.int16]:
    """espeak-ng's speech of :data:`TEXT`, 48 kHz mono s16."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), TEXT], check=True,
                       capture_output=True, timeout=30)
        with av.open(str(wav)) as container:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks = [r.to_ndarray().reshape(-1) for f in container.decode(audio=0)
                      for r in resampler.resample(f)]
    return np.concatenate(chunks)


def _tone(seconds: float = 6.0) -> npt.NDArray[np.int16]:
    from parley.media.synthetic import TONE_AMPLITUDE

    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * TONE_AMPLITUDE * 32767).astype(np.int16)


def _packets(mono: npt.NDArray[np.int16]) -> list[tuple[bytes, int]]:
    clock = [0.0]
    encoder = ParleyOpusEncoder(clock=lambda: clock[0])
    encoder.report_loss(0.1)
    out: list[tuple[bytes, int]] = []
    for k in range(len(mono) // SAMPLES):
        chunk = mono[k * SAMPLES:(k + 1) * SAMPLES]
        frame = av.AudioFrame.from_ndarray(np.column_stack([chunk, chunk]).reshape(1, -1),
                                           format="s16", layout="stereo")
        frame.sample_rate, frame.pts = RATE, k * SAMPLES
        frame.time_base = fractions.Fraction(1, RATE)
        clock[0] += 0.02
        payloads, timestamp = encoder.encode(frame)
        out += [(payload, timestamp) for payload in payloads]
    return out


def _decode(decoder: Any, packets: list[tuple[bytes, int]],
            lost: set[int]) -> dict[int, npt.NDArray[np.float64]]:
    heard: dict[int, npt.NDArray[np.float64]] = {}
    for i, (payload, timestamp) in enumerate(packets):
        if i in lost:
            continue
        for frame in decoder.decode(JitterFrame(payload, timestamp)):
            if not concealed(frame):  # made up, not received: counted apart
                heard[int(frame.pts)] = frame.to_ndarray().reshape(-1)[::2].astype(
                    np.float64)
    return heard


def _snr_db(got: npt.NDArray[np.float64], want: npt.NDArray[np.float64]) -> float:
    noise = float(np.mean((got - want) ** 2))
    power = float(np.mean(want ** 2))
    return 10 * np.log10(power / noise) if noise > 0 and power > 0 else float("inf")


def _case(packets: list[tuple[bytes, int]], loss: float) -> dict[str, Any]:
    lib = libopus()
    assert lib is not None, "no libopus with FEC calls in this process"
    reference = _decode(FecOpusDecoder(lib), packets, set())
    due = lost_n = up_heard = fec_heard = recovered = made_up = 0
    snrs: list[float] = []
    for seed in SEEDS:
        rng = random.Random(seed)
        lost = {i for i in range(len(packets)) if rng.random() < loss}
        stamps = {packets[i][1] for i in lost}
        upstream = _decode(OpusDecoder(), packets, lost)
        decoder = FecOpusDecoder(lib)
        parley = _decode(decoder, packets, lost)
        made_up += decoder.concealed
        due += len(packets)
        lost_n += len(lost)
        up_heard += len(upstream)
        fec_heard += len(parley)
        back = [ts for ts in stamps if ts in parley]
        recovered += len(back)
        snrs += [_snr_db(parley[ts], reference[ts]) for ts in back if ts in reference]
    return {
        "lost": round(lost_n / due, 3),
        "heard_upstream": round(up_heard / due, 3),
        "heard_parley": round(fec_heard / due, 3),
        "ratio": round(fec_heard / up_heard, 3) if up_heard else None,
        "lost_recovered": round(recovered / lost_n, 3) if lost_n else None,
        "lost_concealed": round(made_up / lost_n, 3) if lost_n else None,
        "recovered_snr_db_median": round(float(np.median(snrs)), 1) if snrs else None,
    }


def main() -> dict[str, Any]:
    sources = {"speech (espeak-ng)": _speech(), "synthetic microphone tone": _tone()}
    out: dict[str, Any] = {}
    for name, mono in sources.items():
        packets = _packets(mono)
        lib = libopus()
        with_fec = sum(1 for p, _ in packets if lib is not None
                       and lib.opus_packet_has_lbrr(p, len(p)) == 1)
        out[name] = {"packets": len(packets),
                     "packets_with_fec_data": round(with_fec / len(packets), 3),
                     **{f"loss_{round(loss * 100)}pct": _case(packets, loss)
                        for loss in LOSSES}}
    return out
