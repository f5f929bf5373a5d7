"""Echo cancellation on real audio devices, through a real call: the echo rig
(tests/media/echo_rig.py) runs one call with the near end's processing off and one
with it on, side by side, and records what each far end hears. `make bench`
(bench/echo.py) runs it longer for the figures in docs/performance.md."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.media.echo_rig import run_rig


@pytest.fixture(scope="module")
def heard(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = run_rig(tmp_path_factory.mktemp("echo"), far_seconds=6.0, near_seconds=2.5)
    print(f"\necho rig: {result}")
    return result


def db(a: float, b: float) -> float:
    return 20 * math.log10(max(a, 1e-6) / max(b, 1e-6))


def test_without_processing_the_far_end_hears_its_own_voice_back(
        heard: dict[str, Any]) -> None:
    off = heard["off"]
    assert off["heard_seconds"] > 10.5
    assert off["echo_rms"] > 0.003, off  # about -10 dB of the far voice, not silence


def test_echo_cancellation_removes_the_echo_the_far_end_would_hear(
        heard: dict[str, Any]) -> None:
    erle = db(heard["off"]["echo_rms"], heard["on"]["echo_rms"])
    assert erle >= 15, f"ERLE {erle:.1f} dB: {heard}"


def test_the_near_voice_survives_processing_alone_and_in_double_talk(
        heard: dict[str, Any]) -> None:
    off, on = heard["off"], heard["on"]
    assert off["near_rms"] > 0.02, off  # the near voice reached the far end at all
    assert db(on["near_rms"], off["near_rms"]) > -6, heard
    assert db(on["double_rms"], off["near_rms"]) > -6, heard


def test_closing_both_calls_real_devices_and_all_takes_under_2_s(heard: dict[str, Any]) -> None:
    assert heard["close_seconds"] < 2.0, heard
