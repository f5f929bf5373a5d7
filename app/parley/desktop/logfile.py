"""Where the app logs: a rotated file in the user's state directory, and stderr.

Linux: ``$XDG_STATE_HOME/parley/parley.log`` (``~/.local/state/parley``); macOS:
``~/Library/Logs/Parley``; Windows: ``%LOCALAPPDATA%\\Parley\\Logs``. The file is
rotated at 1 MB, three old ones kept. A directory that cannot be written leaves only
stderr, with a warning - the app still starts.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_NAME = "parley.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_dir(env: dict[str, str] | None = None, platform: str | None = None) -> Path:
    """The directory of Parley's log on this platform."""
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Logs" / "Parley"
    if platform == "win32":
        base = env.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "Parley" / "Logs"
    state = env.get("XDG_STATE_HOME")
    return (Path(state) if state else home / ".local" / "state") / "parley"


def setup_logging() -> Path | None:
    """Log Parley's INFO and everyone's WARNING to stderr and to the rotated file; the
    file's path (None when it could not be opened)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("parley").setLevel(logging.INFO)  # ours; aiortc/aioice stay quiet
    path = log_dir() / LOG_NAME
    try:
        # 0700: on Linux the built-in server keeps its keys in the same directory and
        # refuses one that others may enter (server/keys.py state_dir).
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file (%s): logging to stderr only", exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.getLogger().addHandler(handler)
    return path
