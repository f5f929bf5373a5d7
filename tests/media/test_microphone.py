"""The microphone on a real PulseAudio device: stopping its reader always stops it.

On Python 3.11, asyncio.wait_for returns the inner result when a cancellation meets a
result that is ready, so a microphone read cancelled just as a block reached it went
on reading, the switchable track's pump never stopped, and leave_session() hung (once
in 21 calls with real devices). The probe (tests/media/_cancel_probe.py) cancels a read
just as the next block reaches it, at each of the loop iterations where that can meet;
with wait_for it swallowed 22 of 30."""

from __future__ import annotations

from pathlib import Path

from tests.media.pulse import null_sink_loop, run_child


def test_a_read_cancelled_as_a_block_arrives_is_cancelled(tmp_path: Path) -> None:
    with null_sink_loop(tmp_path) as env:
        result = run_child(env, "tests.media._cancel_probe", "40")
    print(f"\ncancel probe: {result}")
    assert result["hung"] == 0 and result["rounds"] == 40, result
    assert result["swallowed"] == 0, result
