"""The settings dialog's test sound is heard on the speaker: a real PulseAudio null sink,
recorded from its monitor, in a child process (PortAudio reads its devices once)."""

from __future__ import annotations

from pathlib import Path

from tests.media.pulse import null_sink_loop, run_child


def test_the_test_sound_reaches_the_speaker(tmp_path: Path) -> None:
    with null_sink_loop(tmp_path) as env:
        result = run_child({**env, "QT_QPA_PLATFORM": "offscreen"}, "tests.qt._test_sound_probe")
    assert result["outcome"] == "test"
    assert result["peak"] > 5000  # 0.25 of full scale is ~8200; silence is 0
