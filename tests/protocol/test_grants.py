"""Join grants: invites and identities, their rooms, expiry, lifetimes and secrets."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import (
    MAX_GRANT_LIFETIME,
    MIN_SECRET_BYTES,
    Grant,
    GrantKind,
    mint_identity,
    mint_invite,
    verify_grant,
    weak_secret_problem,
)

KEY = b"k" * 32
NOW = 1_800_000_000.0
DAY = 86400.0


def _code(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(ProtocolError) as info:
        call()
    return info.value.code


def test_an_invite_grants_its_room_until_expiry_to_any_name() -> None:
    token = mint_invite(KEY, "standup", ttl=60, uses=3, now=NOW)
    grant = verify_grant(KEY, token, "standup", now=NOW + 59)
    assert grant == Grant(GrantKind.INVITE, "standup", NOW + 60, uses=3)
    assert grant.guest and not grant.verified and not grant.host and grant.name is None
    assert _code(lambda: verify_grant(KEY, token, "standup", now=NOW + 60)) \
        == ErrorCode.TOKEN_EXPIRED
    assert _code(lambda: verify_grant(KEY, token, "other", now=NOW)) \
        == ErrorCode.TOKEN_WRONG_ROOM
    assert _code(lambda: verify_grant(b"o" * 32, token, "standup", now=NOW)) \
        == ErrorCode.TOKEN_INVALID


def test_two_invites_with_the_same_claims_are_two_grants() -> None:
    # Uses are counted per token: two invites minted alike must not share a count.
    assert mint_invite(KEY, "r", 60, now=NOW) != mint_invite(KEY, "r", 60, now=NOW)


def test_an_identity_carries_its_user_name_and_host_flag() -> None:
    token = mint_identity(KEY, "standup", "ada@example.org", "Ada Lovelace", 60, host=True,
                          now=NOW)
    grant = verify_grant(KEY, token, "standup", now=NOW)
    assert (grant.kind, grant.user_id, grant.name, grant.host) == \
        (GrantKind.IDENTITY, "ada@example.org", "Ada Lovelace", True)
    assert grant.verified and not grant.guest
    plain = verify_grant(KEY, mint_identity(KEY, "standup", "bob", "Bob", 60, now=NOW),
                         "standup", now=NOW)
    assert not plain.host


def test_a_third_party_minted_grant_is_read() -> None:
    """A backend with the secret and any JWT library can mint one (LiveKit-style)."""
    token = jwt.encode({"aud": "parley", "kind": "identity", "room": "standup",
                        "sub": "u1", "name": "Ada", "exp": int(NOW) + 60}, KEY,
                       algorithm="HS256")
    assert verify_grant(KEY, token, "standup", now=NOW).name == "Ada"


@pytest.mark.parametrize("claims", [
    {"kind": "identity", "room": "r", "name": "Ada"},                   # no sub
    {"kind": "identity", "room": "r", "sub": "u"},                      # no name
    {"kind": "identity", "room": "r", "sub": "u", "name": " "},         # a blank name
    {"kind": "identity", "room": "r", "sub": "u", "name": "x" * 65},    # too long
    {"kind": "identity", "room": "r", "sub": "", "name": "Ada"},        # empty user id
    {"kind": "identity", "room": "r", "sub": 7, "name": "Ada"},         # not a string
    {"kind": "identity", "room": "r", "sub": "u", "name": "A", "host": "yes"},
    {"kind": "invite", "room": "r", "uses": 0},
    {"kind": "invite", "room": "r", "uses": True},
    {"kind": "invite", "room": "r", "uses": 1.5},
    {"kind": "invite"},                                                  # no room
    {"kind": "resume", "room": "r", "pid": "p_1", "name": "A"},          # not a grant
], ids=lambda c: repr(c)[:60])
def test_grants_with_bad_claims_are_invalid(claims: dict[str, object]) -> None:
    token = jwt.encode({"aud": "parley", "exp": int(NOW) + 60, **claims}, KEY,
                       algorithm="HS256")
    assert _code(lambda: verify_grant(KEY, token, "r", now=NOW)) == ErrorCode.TOKEN_INVALID


def test_a_grant_living_over_30_days_is_refused_unless_allowed() -> None:
    long_lived = jwt.encode({"aud": "parley", "kind": "invite", "room": "r",
                             "iat": int(NOW), "exp": int(NOW + 31 * DAY)}, KEY,
                            algorithm="HS256")
    with pytest.raises(ProtocolError, match="30 days") as info:
        verify_grant(KEY, long_lived, "r", now=NOW)
    assert info.value.code is ErrorCode.TOKEN_INVALID
    assert verify_grant(KEY, long_lived, "r", now=NOW, max_lifetime=None).session_id == "r"
    # An iat in the future does not shorten the lifetime that is judged.
    sneaky = jwt.encode({"aud": "parley", "kind": "invite", "room": "r",
                         "iat": int(NOW + 30 * DAY), "exp": int(NOW + 31 * DAY)}, KEY,
                        algorithm="HS256")
    assert _code(lambda: verify_grant(KEY, sneaky, "r", now=NOW)) == ErrorCode.TOKEN_INVALID
    exactly = mint_invite(KEY, "r", ttl=MAX_GRANT_LIFETIME - 1, now=NOW)
    assert verify_grant(KEY, exactly, "r", now=NOW).kind is GrantKind.INVITE


def test_minting_refuses_long_lifetimes_bad_rooms_and_bad_counts() -> None:
    with pytest.raises(ValueError, match="30 days"):
        mint_invite(KEY, "r", ttl=31 * DAY)
    assert mint_invite(KEY, "r", ttl=31 * DAY, max_lifetime=None)
    with pytest.raises(ValueError, match="30 days"):
        mint_identity(KEY, "r", "u", "U", ttl=31 * DAY)
    with pytest.raises(ValueError, match="positive"):
        mint_invite(KEY, "r", ttl=0)
    with pytest.raises(ValueError, match="session id"):
        mint_invite(KEY, "no spaces", ttl=60)
    with pytest.raises(ValueError, match="uses"):
        mint_invite(KEY, "r", ttl=60, uses=0)
    with pytest.raises(ValueError, match="display_name"):
        mint_identity(KEY, "r", "u", "", ttl=60)
    with pytest.raises(ValueError, match="user id"):
        mint_identity(KEY, "r", "", "Ada", ttl=60)


def test_secrets_under_32_bytes_are_weak() -> None:
    assert MIN_SECRET_BYTES == 32
    problem = weak_secret_problem(b"x" * 31)
    assert problem is not None and "31 bytes" in problem and "32" in problem
    assert weak_secret_problem(b"x" * 32) is None
