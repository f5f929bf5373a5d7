"""The departed list on disk: who left for good survives a restart.

A participant who left (or timed out, or was replaced, or whose room the host
closed) must never resume, even with a resume token still valid for a few
seconds after a restart. The list is written to ``<state_dir>/departed.json``
(0600, atomically) after every change, coalesced per loop iteration, and read
back at start; entries whose tokens have expired are dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from parley.server.keys import check_private
from parley.server.logs import log_event

DEPARTED_FILE = "departed.json"
_VERSION = 1

Entry = tuple[str, str, float, str]
"""(room, participant, remembered until (wall clock), why)."""


def load_departed(directory: Path) -> list[Entry]:
    """The stored departed list ([] when none, or when it is unreadable).

    Raises:
        UnsafeStateError: the file is not private to the server's user.
    """
    path = directory / DEPARTED_FILE
    if not path.exists():
        return []
    check_private(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [(str(r), str(p), float(u), str(w)) for r, p, u, w in data["departed"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log_event("departed_unreadable", logging.WARNING, path=str(path), error=str(exc)[:80])
        return []
    return entries


class DepartedStore:
    """Writes the departed list whenever it changes (at most once per loop iteration)."""

    def __init__(self, directory: Path, snapshot: Callable[[], list[Entry]]) -> None:
        self._path = directory / DEPARTED_FILE
        self._snapshot = snapshot
        self._scheduled = False

    def changed(self) -> None:
        """The list changed: write it soon (now, without a running loop)."""
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write the list now (atomically: a crash leaves the old or the new one)."""
        self._scheduled = False
        body = json.dumps({"v": _VERSION, "departed": self._snapshot()})
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(tmp, self._path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log_event("departed_unwritable", logging.WARNING, path=str(self._path),
                      error=exc.strerror or str(exc))
