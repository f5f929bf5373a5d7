"""HMAC-signed, self-contained tokens: room-scoped join tokens and resume tokens.

A token is ``base64url(json claims) + "." + base64url(HMAC-SHA256(key, claims))``.
Claims carry a ``kind`` so that a resume token can never be used as a join
token, nor the reverse. Signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from parley.protocol.errors import ErrorCode, ProtocolError

_MAX_TOKEN_LENGTH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, claims: dict[str, Any]) -> str:
    """Sign a JSON object of claims with ``key``."""
    body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8")
    mac = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def verify(key: bytes, token: str, kind: str, now: float | None = None) -> dict[str, Any]:
    """Check a token's signature, kind and expiry; return its claims.

    Raises:
        ProtocolError: TOKEN_INVALID for a bad format, signature or kind;
            TOKEN_EXPIRED when ``exp`` has passed.
    """
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token is not in the expected format")
    body_part, mac_part = token.split(".")
    try:
        body = _unb64(body_part)
        mac = _unb64(mac_part)
    except (binascii.Error, ValueError):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token is not valid base64") from None
    expected = hmac.new(key, body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token signature does not match")
    try:
        claims = json.loads(body)
    except ValueError:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token claims are not JSON") from None
    if not isinstance(claims, dict) or claims.get("kind") != kind:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, f"not a {kind} token")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token has no expiry")
    if (time.time() if now is None else now) >= exp:
        raise ProtocolError(ErrorCode.TOKEN_EXPIRED, "token has expired")
    return claims


@dataclass(frozen=True)
class JoinGrant:
    """What a valid join token allows: ``user`` may join ``session_id``."""

    session_id: str
    user: str
    expires_at: float


def mint_join_token(secret: bytes, session_id: str, user: str, ttl: float,
                    now: float | None = None) -> str:
    """A join token for one room, valid for ``ttl`` seconds."""
    exp = (time.time() if now is None else now) + ttl
    return sign(secret, {"kind": "join", "sid": session_id, "sub": user, "exp": int(exp)})


def verify_join_token(secret: bytes, token: str, session_id: str,
                      now: float | None = None) -> JoinGrant:
    """Check a join token for ``session_id``; raises ProtocolError with the reason."""
    claims = verify(secret, token, "join", now)
    sid, sub = claims.get("sid"), claims.get("sub")
    if not isinstance(sid, str) or not isinstance(sub, str):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "token claims are incomplete")
    if not hmac.compare_digest(sid.encode(), session_id.encode()):
        raise ProtocolError(ErrorCode.TOKEN_WRONG_ROOM, "token was minted for another session")
    return JoinGrant(sid, sub, float(claims["exp"]))


@dataclass(frozen=True)
class ResumeClaim:
    """Who a resume token lets back in: participant ``participant_id`` of ``session_id``."""

    session_id: str
    participant_id: str
    name: str
    expires_at: float


def mint_resume_token(key: bytes, claim: ResumeClaim) -> str:
    return sign(key, {
        "kind": "resume", "sid": claim.session_id, "pid": claim.participant_id,
        "name": claim.name, "exp": round(claim.expires_at, 3),
    })


def verify_resume_token(key: bytes, token: str, now: float | None = None) -> ResumeClaim:
    """Check a resume token; a bad or expired one is RESUME_REFUSED."""
    try:
        claims = verify(key, token, "resume", now)
    except ProtocolError as exc:
        raise ProtocolError(ErrorCode.RESUME_REFUSED, exc.detail) from None
    sid, pid, name = claims.get("sid"), claims.get("pid"), claims.get("name")
    if not (isinstance(sid, str) and isinstance(pid, str) and isinstance(name, str)):
        raise ProtocolError(ErrorCode.RESUME_REFUSED, "resume token claims are incomplete")
    return ResumeClaim(sid, pid, name, float(claims["exp"]))
