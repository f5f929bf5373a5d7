"""Resume tokens: who may take a seat back after its link dropped.

A resume token is a JWT like the grants (:mod:`parley.protocol.tokens`), of kind
``resume``, signed with the server's resume key (which survives a restart;
see ``parley.server.keys``), never with the grant secret itself, so neither
can pass for the other even before ``kind`` is read. It is self-contained - a
restarted server recreates the seat from it - so it carries what the seat was
let in with: the grant's kind, user id, host flag and expiry (``grant``,
``sub``, ``host``, ``grant_exp``). A seat outlives its grant only while its
link stays up: once ``grant_exp`` has passed, the resume is refused.

Tokens rotate: ``gen`` is the seat's generation. A resume with the current one
is accepted and moves the seat to the next (the welcome's token carries it). The
one just spent stays good until the client shows it got the welcome (it speaks on
that link), for a welcome lost with its link, but not while that link holds the
seat; any other older one is a copy used after its successor - theft - and the
server closes the seat for good (OAuth refresh-token rotation with reuse
detection; docs/protocol.md, *Resume tokens rotate*).

Claims: ``{"kind": "resume", "room": R, "pid": P, "name": N, "gen": G, "grant":
"invite" | "identity"?, "sub": U?, "host": bool?, "grant_exp": T?, "aud", "iat",
"exp"}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant, GrantKind
from parley.protocol.tokens import sign, verify

KIND = "resume"


@dataclass(frozen=True)
class ResumeClaim:
    """Who a resume token lets back in: participant ``participant_id`` of ``session_id``."""

    session_id: str
    participant_id: str
    name: str
    expires_at: float
    grant: Grant | None = None
    """What the seat was admitted with (None: an open room, no grant needed).
    Its ``uses`` are not carried: a resume is not a use."""
    generation: int = 0
    """The seat's token generation when it was minted (see the module docstring)."""


def mint_resume_token(key: bytes, claim: ResumeClaim, now: float | None = None) -> str:
    """A resume token for ``claim``, valid until ``claim.expires_at``."""
    claims: dict[str, Any] = {"room": claim.session_id, "pid": claim.participant_id,
                              "name": claim.name, "gen": claim.generation}
    grant = claim.grant
    if grant is not None:
        claims.update({"grant": grant.kind.value, "grant_exp": grant.expires_at})
        if grant.user_id is not None:
            claims["sub"] = grant.user_id
        if grant.host:
            claims["host"] = True
    return sign(key, KIND, claims, claim.expires_at, now)


def verify_resume_token(key: bytes, token: str, now: float | None = None) -> ResumeClaim:
    """Check a resume token; a bad or expired one is RESUME_REFUSED."""
    try:
        claims = verify(key, token, KIND, now)
    except ProtocolError as exc:
        raise ProtocolError(ErrorCode.RESUME_REFUSED, exc.detail) from None
    sid, pid, name = claims.get("room"), claims.get("pid"), claims.get("name")
    gen = claims.get("gen", 0)
    if not (isinstance(sid, str) and isinstance(pid, str) and isinstance(name, str)) \
            or isinstance(gen, bool) or not isinstance(gen, int) or gen < 0:
        raise ProtocolError(ErrorCode.RESUME_REFUSED, "resume token claims are incomplete")
    return ResumeClaim(sid, pid, name, float(claims["exp"]), _grant(sid, name, claims), gen)


def _grant(session_id: str, name: str, claims: dict[str, Any]) -> Grant | None:
    kind, expires = claims.get("grant"), claims.get("grant_exp")
    if kind is None:
        return None
    try:
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise ValueError("grant_exp is not a number")
        grant_kind = GrantKind(kind)
        if grant_kind is GrantKind.INVITE:
            return Grant(grant_kind, session_id, float(expires))
        return Grant(grant_kind, session_id, float(expires), user_id=claims.get("sub"),
                     name=name, host=claims.get("host") is True)
    except (ValueError, TypeError):
        raise ProtocolError(ErrorCode.RESUME_REFUSED,
                            "resume token claims are invalid") from None
