"""The screen-share picker on a real X server: the screen and other apps' windows with
thumbnails, Parley's own window last, and a window captured by id (x11grab)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.xvfb import private_display

REPO = Path(__file__).resolve().parents[2]


def test_the_picker_lists_the_screen_and_real_windows_with_thumbnails(tmp_path: Path) -> None:
    with private_display("1024x768") as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "XDG_RUNTIME_DIR": str(tmp_path)}
        helper = subprocess.Popen([sys.executable, "-m", "tests.desktop._x11_helper"], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert helper.stdout is not None and helper.stdout.readline().strip() == "READY"
            done = subprocess.run([sys.executable, "-m", "tests.desktop._share_probe"],
                                  cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=60)
        finally:
            helper.kill()
            helper.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    titles = found["titles"]
    assert titles[0] == "Entire screen" and found["kinds"][0] == "screen"
    assert {"Notes - Editor", "Terminal"} <= set(titles)
    assert titles[-1] == "Parley"  # your own window is offered last
    assert all(w == 240 and h > 0 for w, h in found["thumbnails"])
    assert found["notes_pixel"] == "#2fbf71"  # the thumbnail is that window's picture
    assert found["captured"] == [400, 300]  # x11grab captured that window, not the screen
