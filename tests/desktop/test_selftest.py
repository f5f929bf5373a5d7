"""`parley --self-test` runs a whole headless call and reports it in one line."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys

import pytest

pytestmark = pytest.mark.slow


async def test_self_test_passes_without_display_or_devices() -> None:
    parley = shutil.which("parley", path=os.path.dirname(sys.executable))
    assert parley is not None, "the parley console script is not installed in the venv"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                             "QT_QPA_PLATFORM")}
    proc = await asyncio.create_subprocess_exec(
        parley, "--self-test", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    lines = out.decode().strip().splitlines()
    assert proc.returncode == 0, out.decode() + err.decode()
    assert len(lines) == 1
    assert lines[0].startswith("parley self-test: OK - video and audio both ways")
    assert "fps received" in lines[0] and "glass-to-glass" in lines[0]


async def test_self_test_failure_is_one_line_and_nonzero(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from parley.desktop import selftest

    async def broken() -> str:
        raise selftest.SelfTestFailed("Ada received no moving video from Bob")

    monkeypatch.setattr(selftest, "run", broken)
    assert await asyncio.to_thread(selftest.main) == 1
    assert capsys.readouterr().out == (
        "parley self-test: FAILED - Ada received no moving video from Bob\n")
