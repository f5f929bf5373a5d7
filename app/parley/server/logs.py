"""Structured logs: one line per event, ``event=join room=standup participant=p_x``.

Callers pass only what is safe to log; tokens and secrets are never fields.
"""

from __future__ import annotations

import json
import logging
import sys

logger = logging.getLogger("parley.server")

_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:/@")


def format_value(value: object) -> str:
    """A value as it appears after ``key=``; quoted (JSON) when it has odd characters."""
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    if text and set(text) <= _PLAIN:
        return text
    return json.dumps(text, ensure_ascii=True)


def format_event(event: str, fields: dict[str, object]) -> str:
    """``event=<event> k=v ...`` with None values left out."""
    parts = [f"event={format_value(event)}"]
    parts.extend(f"{k}={format_value(v)}" for k, v in fields.items() if v is not None)
    return " ".join(parts)


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Log one event line at ``level``."""
    if logger.isEnabledFor(level):
        logger.log(level, format_event(event, fields))


def configure_logging(level: str = "info") -> None:
    """Send the server's logs to stderr as ``ts=... level=... event=...`` lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("ts=%(asctime)s level=%(levelname)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
