"""The key resume tokens are signed with; it survives a server restart.

With a secret the key is derived from it, so every node sharing the secret
agrees. Without one, a random key is kept in ``<state_dir>/resume.key``
(created once, mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from parley.server.config import ServerConfig, default_state_dir

KEY_FILE = "resume.key"
_KEY_BYTES = 32


def resume_key(config: ServerConfig) -> bytes:
    """The resume-token key for ``config`` (derived from the secret, or read/created on disk)."""
    if config.secret is not None:
        return hmac.new(config.secret, b"parley-resume-key", hashlib.sha256).digest()
    state_dir = config.state_dir if config.state_dir is not None else default_state_dir()
    return load_or_create_key(state_dir / KEY_FILE)


def load_or_create_key(path: Path) -> bytes:
    """Read the hex key at ``path``; create it (0600) when missing.

    The new key is written to a private temporary file and hard-linked into
    place, so two servers starting at once agree on one complete key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        return _read_key(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES).hex() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another server won the race; use its key
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path} does not hold a hex key") from None
    if len(key) < 16:
        raise ValueError(f"{path} holds a key shorter than 16 bytes")
    return key
