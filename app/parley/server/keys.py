"""The server's private state directory, and the key resume tokens are signed with.

With a secret the resume key is derived from it, so every node sharing the
secret agrees. Without one, a random key is kept in ``<state_dir>/resume.key``
(created once, mode 0600). The state directory also keeps the departed list
(:mod:`parley.server.state`).

OpenSSH's rule: the directory and every file in it must belong to the server's
user and be closed to everybody else, or the server refuses to start and says
why. A key another user could read (or plant) is no secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from parley.server.config import ServerConfig, default_state_dir

KEY_FILE = "resume.key"
_KEY_BYTES = 32


class UnsafeStateError(RuntimeError):
    """The state directory or a file in it is not private to the server's user."""


def state_dir(config: ServerConfig) -> Path:
    """The state directory, created (0700) when missing and checked to be private.

    Raises:
        UnsafeStateError: it belongs to another user or others may use it.
    """
    path = config.state_dir if config.state_dir is not None else default_state_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_private(path)
    return path


def check_private(path: Path) -> None:
    """Refuse ``path`` unless the server's user owns it and nobody else may read,
    write or enter it (no-op where there are no POSIX owners, e.g. Windows).

    Raises:
        UnsafeStateError: with the reason and the fix.
    """
    if os.name != "posix":
        return
    info = os.lstat(path)
    what = "directory" if stat.S_ISDIR(info.st_mode) else "file"
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeStateError(f"refusing to use {path}: it is a symbolic link")
    if info.st_uid != os.geteuid():
        raise UnsafeStateError(
            f"refusing to use the state {what} {path}: it belongs to uid {info.st_uid}, "
            f"not to this server's user (uid {os.geteuid()})")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        private = "700" if what == "directory" else "600"
        raise UnsafeStateError(
            f"refusing to use the state {what} {path}: its mode {mode:04o} lets other "
            f"users in; run: chmod {private} {path}")


def resume_key(config: ServerConfig) -> bytes:
    """The resume-token key for ``config`` (derived from the secret, or read/created on disk).

    Raises:
        UnsafeStateError: the state directory or the key file is not private.
    """
    if config.secret is not None:
        return hmac.new(config.secret, b"parley-resume-key", hashlib.sha256).digest()
    return load_or_create_key(state_dir(config) / KEY_FILE)


def load_or_create_key(path: Path) -> bytes:
    """Read the hex key at ``path``; create it (0600) when missing.

    The new key is written to a private temporary file and hard-linked into
    place, so two servers starting at once agree on one complete key.

    Raises:
        UnsafeStateError: the directory or an existing key is not private.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_private(path.parent)
    if path.exists():
        check_private(path)
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
    check_private(path)
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
