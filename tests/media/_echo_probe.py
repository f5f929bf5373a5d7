"""Run in a child process by the echo rig (tests/media/echo_rig.py): two calls, each a
far and a near MediaMesh on the rig's devices, the near end's audio processing off in
one and on in the other. Both calls get the same speech at the same moments:

    0 .. F            the far end talks alone (its voice echoes at the near end)
    F .. F+N          the near end talks alone
    F+N .. F+2N       both talk (double talk; the near end says the same again)

and what each far end hears is recorded from its speaker's monitor. Prints JSON per
call: the RMS of what the far end heard in each phase (the far-alone one from its
middle on, once the echo canceller has converged), the near speech's mouth-to-ear
delay, and the whole recording's length."""

from __future__ import annotations

import asyncio
import dataclasses
import faulthandler
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from parley.media import MediaConfig, MediaMesh, MeshEvents
from parley.media.microphone import MicrophoneTrack
from parley.media.pacer import Pacer
from parley.media.playback import Playback
from parley.media.synthetic import AUDIO_RATE, AUDIO_SAMPLES, audio_frame
from parley.protocol.messages import Answer, Candidate, Offer
from tests.media import echo_rig

CALLS = echo_rig.CALLS
Samples = npt.NDArray[np.int16]


class Call:
    """One far/near pair on its own devices; ``processing`` turns the near end's switches
    on (all off without it)."""

    def __init__(self, name: str, processing: dict[str, bool]) -> None:
        self.name = name
        self.meshes: dict[str, MediaMesh] = {}
        self.connected: set[str] = set()
        self.heard: list[Samples] = []
        self.keeping = False
        loop = asyncio.get_running_loop()

        def sender(pid: str) -> Callable[[Offer | Answer | Candidate], None]:
            def send(msg: Offer | Answer | Candidate) -> None:
                target = self.meshes[msg.to or ""]
                loop.call_soon(target.handle_signal, dataclasses.replace(msg, sender=pid))
            return send

        off = dict(echo_cancellation=False, noise_suppression=False, auto_gain_control=False)
        near_switches = {**off, **processing}
        ends = {"far": dict(microphone=f"far_mic_{name}", speaker=f"far_ear_{name}", **off),
                "near": dict(microphone=f"near_mic_{name}", speaker=f"near_speaker_{name}",
                             **near_switches)}
        for pid, devices in ends.items():
            config = MediaConfig(video=False, **devices)  # type: ignore[arg-type]
            self.meshes[pid] = MediaMesh(pid, config, sender(pid), MeshEvents(
                on_peer_connected=lambda _other, me=pid: self.connected.add(me),
                on_device_error=lambda kind, message: print(
                    f"device error {kind}: {message}", file=sys.stderr)))
        self.far_mouth = Playback(f"far_mouth_{name}")
        self.near_mouth = Playback(f"near_mouth_{name}")
        self.ear = MicrophoneTrack(f"far_ear_rec_{name}")

    async def start(self) -> None:
        for mesh in self.meshes.values():
            await mesh.start()
        self.meshes["far"].add_peer("near")
        self.meshes["near"].add_peer("far")

    async def listen(self) -> None:
        """Read the far end's ear continuously (no backlog); keep blocks once keeping."""
        while True:
            frame = await self.ear.recv()
            if self.keeping:
                self.heard.append(frame.to_ndarray().reshape(-1).copy())

    async def close(self) -> None:
        self.ear.stop()
        self.far_mouth.close()
        self.near_mouth.close()
        await asyncio.gather(*(mesh.close() for mesh in self.meshes.values()))


def schedule(far: Samples, near: Samples, far_s: float, near_s: float
             ) -> tuple[Samples, Samples]:
    """The far and near mouths' whole programme, sample by sample."""
    n_far, n_near = int(far_s * AUDIO_RATE), int(near_s * AUDIO_RATE)
    total = n_far + 2 * n_near
    far_track = np.resize(far, total)  # repeats the recording when it is too short
    utterance = np.zeros(n_near, dtype=np.int16)
    utterance[: min(n_near, len(near))] = near[:n_near]
    near_track = np.concatenate((np.zeros(n_far, np.int16), utterance, utterance))
    return far_track.astype(np.int16), near_track


def rms(samples: npt.NDArray[Any]) -> float:
    return float(np.sqrt(np.mean(np.square(samples.astype(np.float64) / 32768.0))))


def figures(call: Call, near_track: Samples, far_s: float, near_s: float) -> dict[str, Any]:
    heard = np.concatenate(call.heard) if call.heard else np.zeros(0, np.int16)
    n_far, n_near = int(far_s * AUDIO_RATE), int(near_s * AUDIO_RATE)
    lag = echo_rig.lag(heard[n_far : n_far + n_near + echo_rig.LAG_MOST],
                       near_track[n_far : n_far + n_near], most=echo_rig.LAG_MOST)
    margin = AUDIO_RATE // 5
    near_at = n_far + lag
    return {
        "echo_rms": rms(heard[n_far // 2 : n_far]),
        "near_rms": rms(heard[near_at + margin : near_at + n_near - margin]),
        "double_rms": rms(heard[near_at + n_near + margin : near_at + 2 * n_near - margin]),
        "said_near_rms": rms(near_track[n_far : n_far + n_near]),
        "mouth_to_ear_ms": round(lag * 1000 / AUDIO_RATE, 1),
        "heard_seconds": round(len(heard) / AUDIO_RATE, 2),
    }


SWITCHES = {"ec": "echo_cancellation", "ns": "noise_suppression", "agc": "auto_gain_control"}


async def probe(far: Samples, near: Samples, far_s: float, near_s: float,
                switches: str) -> dict[str, Any]:
    """``switches``: what runs at the "on" call's near end, e.g. "ec,ns,agc"."""
    on = {SWITCHES[s]: True for s in switches.split(",") if s}
    watchdog = asyncio.get_running_loop().create_task(
        _watchdog(40 + 2 * (far_s + 2 * near_s)))
    calls = {name: Call(name, on if name == "on" else {}) for name in CALLS}
    closed_in: dict[str, float] = {}
    listeners = [asyncio.get_running_loop().create_task(c.listen()) for c in calls.values()]
    try:
        for call in calls.values():
            await call.start()
        deadline = time.monotonic() + 20
        while any(len(c.connected) < 2 for c in calls.values()):
            assert time.monotonic() < deadline, "the calls did not connect"
            await asyncio.sleep(0.05)
        _say("connected")
        await asyncio.sleep(1.0)  # let the first packets through before the programme
        far_track, near_track = schedule(far, near, far_s, near_s)
        pacer = Pacer(AUDIO_SAMPLES / AUDIO_RATE)
        for call in calls.values():
            call.keeping = True
        for i in range(0, len(far_track), AUDIO_SAMPLES):
            await pacer.wait()
            for call in calls.values():
                call.far_mouth.push("far", audio_frame(far_track[i : i + AUDIO_SAMPLES], i))
                call.near_mouth.push("near", audio_frame(near_track[i : i + AUDIO_SAMPLES], i))
        for _ in range(echo_rig.LAG_MOST // AUDIO_SAMPLES):  # the last of it reaches the ears
            await pacer.wait()
        _say("programme done")
        result = {name: figures(c, near_track, far_s, near_s) for name, c in calls.items()}
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        _say("closing")
        started = time.monotonic()
        await asyncio.gather(*(c.close() for c in calls.values()))
        closed_in["s"] = time.monotonic() - started
        _say("closed")
        watchdog.cancel()
    # every device closed (what leave_session() waits for), both calls at once
    return {**result, "close_seconds": round(closed_in["s"], 2)}


def _say(what: str) -> None:
    print(f"{time.monotonic():.2f} {what}", file=sys.stderr, flush=True)


async def _watchdog(seconds: float) -> None:
    """A hang prints every task's stack (where the loop waits) before faulthandler's
    thread dump ends the process."""
    await asyncio.sleep(seconds)
    _say("hung; tasks:")
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=sys.stderr)
    sys.stderr.flush()


if __name__ == "__main__":
    far_path, near_path, far_seconds, near_seconds, on_switches = sys.argv[1:6]
    # a hang (closing devices, say) ends in every thread's traceback, not a silent timeout
    faulthandler.dump_traceback_later(50 + 2 * (float(far_seconds) + 2 * float(near_seconds)),
                                      exit=True)
    print(json.dumps(asyncio.run(probe(
        np.fromfile(far_path, dtype=np.int16), np.fromfile(near_path, dtype=np.int16),
        float(far_seconds), float(near_seconds), on_switches))))
