"""Join grants: what lets someone into a room on a server that has a secret.

Two kinds, both JWTs signed with the server's secret (:mod:`parley.protocol.tokens`):

* an **invite** - a room, an expiry, optionally a use limit. Anyone holding it
  may join under a name of their choosing; the room shows them as a *guest*.
  Claims: ``{"kind": "invite", "room": R, "uses": N?, "jti": ..., "aud", "iat", "exp"}``.
* an **identity** - a room, a user id (``sub``) and a display name (``name``).
  The name shown is the token's, whatever the join says; the room shows it as
  *verified*. A second join with the same identity replaces the first seat.
  ``host: true`` makes its holder the call's host (it may end the call for
  everyone). Claims: ``{"kind": "identity", "room": R, "sub": U, "name": N,
  "host": bool?, "aud", "iat", "exp"}``.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.ids import SESSION_ID_RULE, is_valid_session_id
from parley.protocol.names import check_display_name
from parley.protocol.tokens import sign, verify

MIN_SECRET_BYTES = 32
"""Shorter secrets are refused (HS256's key size, RFC 7518 section 3.2): a grant
is in every guest's hands, and a short secret can be guessed offline from it."""
MAX_GRANT_LIFETIME = 30 * 24 * 3600.0
"""Grants that live longer are refused unless explicitly allowed."""
DEFAULT_INVITE_TTL = 24 * 3600.0
"""An invite link is valid for a day unless said otherwise."""
MAX_USER_ID_LENGTH = 256


class GrantKind(StrEnum):
    """The ``kind`` claim of a join grant."""

    INVITE = "invite"
    IDENTITY = "identity"


@dataclass(frozen=True)
class Grant:
    """A verified join grant.

    Raises:
        ValueError: the fields do not make a grant of ``kind``.
    """

    kind: GrantKind
    session_id: str
    """The one room it lets into."""
    expires_at: float
    """Unix time after which it lets nobody in (and a seat it gave cannot resume)."""
    uses: int | None = None
    """Invites: how many joins it allows in all (None = no limit)."""
    user_id: str | None = None
    """Identities: who it is for (the ``sub`` claim)."""
    name: str | None = None
    """Identities: the display name the room shows."""
    host: bool = False
    """Identities: the holder may end the call for everyone."""

    def __post_init__(self) -> None:
        if self.kind is GrantKind.INVITE:
            if self.user_id is not None or self.name is not None or self.host:
                raise ValueError("an invite names no user and makes no host")
            if self.uses is not None and (isinstance(self.uses, bool) or self.uses < 1):
                raise ValueError("uses must be at least 1")
        else:
            if self.uses is not None:
                raise ValueError("an identity has no use limit")
            if not isinstance(self.user_id, str) or not self.user_id \
                    or len(self.user_id) > MAX_USER_ID_LENGTH or not self.user_id.isprintable():
                raise ValueError(f"a user id is 1-{MAX_USER_ID_LENGTH} printable characters")
            check_display_name(self.name)

    @property
    def guest(self) -> bool:
        """The holder chose its own name (an invite)."""
        return self.kind is GrantKind.INVITE

    @property
    def verified(self) -> bool:
        """The name is the grant's (an identity)."""
        return self.kind is GrantKind.IDENTITY


_GRANT_KINDS = tuple(kind.value for kind in GrantKind)


def weak_secret_problem(secret: bytes) -> str | None:
    """Why ``secret`` is too weak to sign grants with, or None when it is fine."""
    if len(secret) < MIN_SECRET_BYTES:
        return (f"the secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed "
                "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return None


def _lifetime_checked(ttl: float, max_lifetime: float | None) -> float:
    if not (math.isfinite(ttl) and ttl > 0):
        raise ValueError("the lifetime must be a positive number of seconds")
    if max_lifetime is not None and ttl > max_lifetime:
        raise ValueError(f"a grant may live at most {max_lifetime / 86400:g} days")
    return ttl


def mint_invite(secret: bytes, session_id: str, ttl: float = DEFAULT_INVITE_TTL,
                uses: int | None = None, now: float | None = None,
                max_lifetime: float | None = MAX_GRANT_LIFETIME) -> str:
    """An invite to ``session_id`` valid for ``ttl`` seconds and ``uses`` joins.

    Raises:
        ValueError: a bad session id, lifetime or use count.
    """
    Grant(GrantKind.INVITE, session_id, 0.0, uses=uses)  # checks the use count
    _check_room(session_id)
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {"room": session_id, "jti": secrets.token_urlsafe(12)}
    if uses is not None:
        claims["uses"] = uses
    return sign(secret, GrantKind.INVITE.value, claims,
                issued + _lifetime_checked(ttl, max_lifetime), issued)


def mint_identity(secret: bytes, session_id: str, user_id: str, name: str, ttl: float,
                  host: bool = False, now: float | None = None,
                  max_lifetime: float | None = MAX_GRANT_LIFETIME) -> str:
    """An identity grant: ``user_id`` may join ``session_id`` as ``name`` for ``ttl`` s.

    Raises:
        ValueError: a bad session id, user id, name or lifetime.
    """
    Grant(GrantKind.IDENTITY, session_id, 0.0, user_id=user_id, name=name, host=host)
    _check_room(session_id)
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {"room": session_id, "sub": user_id, "name": name}
    if host:
        claims["host"] = True
    return sign(secret, GrantKind.IDENTITY.value, claims,
                issued + _lifetime_checked(ttl, max_lifetime), issued)


def _check_room(session_id: str) -> None:
    if not is_valid_session_id(session_id):
        raise ValueError(f"session id {session_id!r} must be {SESSION_ID_RULE}")


def verify_grant(secret: bytes, token: str, session_id: str, now: float | None = None,
                 max_lifetime: float | None = MAX_GRANT_LIFETIME) -> Grant:
    """Check a join grant for ``session_id``; raises ProtocolError with the reason.

    Raises:
        ProtocolError: TOKEN_INVALID (encoding, signature, kind, claims, or a
            lifetime over ``max_lifetime``), TOKEN_EXPIRED, TOKEN_WRONG_ROOM.
    """
    when = time.time() if now is None else now
    claims = verify(secret, token, _GRANT_KINDS, when)
    grant = _grant_of(GrantKind(claims["kind"]), claims)
    if max_lifetime is not None:
        iat = claims.get("iat")
        start = min(float(iat), when) if isinstance(iat, int | float) \
            and not isinstance(iat, bool) else when
        if grant.expires_at - start > max_lifetime:
            raise ProtocolError(ErrorCode.TOKEN_INVALID,
                                f"the grant lives longer than {max_lifetime / 86400:g} days")
    if grant.session_id != session_id:
        raise ProtocolError(ErrorCode.TOKEN_WRONG_ROOM, "token was minted for another session")
    return grant


def _grant_of(kind: GrantKind, claims: dict[str, Any]) -> Grant:
    room, uses = claims.get("room"), claims.get("uses")
    user_id, name, host = claims.get("sub"), claims.get("name"), claims.get("host", False)
    if not isinstance(room, str) or not isinstance(host, bool) \
            or (uses is not None and (isinstance(uses, bool) or not isinstance(uses, int))) \
            or (user_id is not None and not isinstance(user_id, str)) \
            or (name is not None and not isinstance(name, str)):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token claims are incomplete")
    try:
        if kind is GrantKind.INVITE:
            return Grant(kind, room, float(claims["exp"]), uses=uses)
        return Grant(kind, room, float(claims["exp"]), user_id=user_id, name=name, host=host)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, f"token claims are invalid: {exc}") \
            from None
