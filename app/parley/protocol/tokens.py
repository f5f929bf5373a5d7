"""Signed tokens: JWTs (RFC 7519) signed with HS256, decoded strictly.

Every Parley token - an invite or identity grant (:mod:`parley.protocol.grants`),
a resume token (:mod:`parley.protocol.resume`) - is a compact JWS whose claims
always carry ``aud: "parley"``, a ``kind`` (so one kind can never pass for
another), an integer ``exp`` and an ``iat``. A browser guest or a third-party
backend can mint and read them with any JWT library.

Decoding is strict, in the spirit of RFC 8725:

- only ``alg: HS256`` verifies (``none``, RS256, HS512 ... are refused);
- ``exp``, ``aud`` and ``kind`` are required, and ``aud`` must be exactly ``"parley"``;
- one encoding verifies: each segment must be canonical unpadded base64url
  (RFC 7515 section 2), so a re-padded token, one in the ``+/`` alphabet, one
  with blanks in it, or one whose last character differs only in unused bits
  is refused rather than read as the same token.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import jwt

from parley.protocol.errors import ErrorCode, ProtocolError

AUDIENCE = "parley"
"""The ``aud`` claim of every Parley token."""
ALGORITHM = "HS256"
"""The one signature algorithm that verifies."""
MAX_TOKEN_LENGTH = 4096
"""Longer strings are refused before any decoding."""

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_HS256_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid(detail: str) -> ProtocolError:
    return ProtocolError(ErrorCode.TOKEN_INVALID, detail)


@contextmanager
def _key_length_is_our_policy(key: bytes) -> Iterator[None]:
    """Silence PyJWT's short-key warning: the server refuses short secrets itself
    (``MIN_SECRET_BYTES``) unless its operator allowed them explicitly."""
    if len(key) >= _HS256_KEY_BYTES:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The HMAC key is")
        yield


def sign(key: bytes, kind: str, claims: Mapping[str, Any], expires_at: float,
         now: float | None = None) -> str:
    """A token of ``kind`` holding ``claims``, valid until ``expires_at`` (rounded up
    to a whole second, as JWT's NumericDate is written by most libraries)."""
    issued = time.time() if now is None else now
    body = {"aud": AUDIENCE, "kind": kind, "iat": int(issued),
            "exp": math.ceil(expires_at), **claims}
    with _key_length_is_our_policy(key):
        return jwt.encode(body, key, algorithm=ALGORITHM)


def check_canonical(token: object) -> str:
    """``token`` if it is a compact JWS in canonical base64url; raises TOKEN_INVALID."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid("token is not in the expected format")
    segments = token.split(".")
    if len(segments) != 3:
        raise _invalid("token is not in the expected format (header.claims.signature)")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            raise _invalid("token is not canonical base64url")
        try:
            canonical = _b64(_unb64(segment))
        except (binascii.Error, ValueError):
            raise _invalid("token is not valid base64url") from None
        if canonical != segment:
            raise _invalid("token is not canonical base64url")
    return token


def verify(key: bytes, token: str, kind: str | tuple[str, ...],
           now: float | None = None) -> dict[str, Any]:
    """Check a token's encoding, signature, audience, kind (one of ``kind`` when a
    tuple) and expiry; return its claims.

    Raises:
        ProtocolError: TOKEN_INVALID for a bad encoding, algorithm, signature,
            audience or kind; TOKEN_EXPIRED once ``exp`` has passed.
    """
    check_canonical(token)
    try:
        with _key_length_is_our_policy(key):
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                # The clock checks are ours (below), so that ``now`` can be given.
                options={"require": ["exp", "aud", "kind"], "verify_exp": False,
                         "verify_iat": False, "verify_nbf": False},
            )
    except jwt.InvalidTokenError as exc:
        raise _invalid(f"token refused: {exc}") from None
    if claims.get("aud") != AUDIENCE:  # PyJWT also accepts a list that contains it
        raise _invalid(f"token audience must be {AUDIENCE!r}")
    kinds = (kind,) if isinstance(kind, str) else kind
    if claims.get("kind") not in kinds:
        raise _invalid(f"not a {' or '.join(kinds)} token")
    when = time.time() if now is None else now
    exp = _numeric_date(claims, "exp")
    nbf = _numeric_date(claims, "nbf") if "nbf" in claims else None
    if nbf is not None and when < nbf:
        raise _invalid("token is not valid yet")
    if when >= exp:
        raise ProtocolError(ErrorCode.TOKEN_EXPIRED, "token has expired")
    return claims


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise _invalid(f"token claim {name} is not a number")
    return float(value)
