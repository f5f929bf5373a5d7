"""Signed tokens: the strict JWT codec (one encoding, HS256 only, aud/exp/kind required)
and resume tokens (round trip, expiry, kind confusion, the grant they carry)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.protocol.errors import ErrorCode, ProtocolError
from parley.protocol.grants import Grant, GrantKind, mint_identity, mint_invite, verify_grant
from parley.protocol.resume import ResumeClaim, mint_resume_token, verify_resume_token
from parley.protocol.tokens import check_canonical, sign, verify
from tests.protocol.strategies import non_canonical_spellings, token_with_url_safe_characters

KEY = b"k" * 32
NOW = 1_800_000_000.0


def _code(call: Callable[[], object]) -> ErrorCode:
    with pytest.raises(ProtocolError) as info:
        call()
    return info.value.code


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], claims: dict[str, Any], key: bytes = KEY) -> str:
    """A compact JWS built by hand, HMAC-SHA256-signed whatever ``header`` claims."""
    signing_input = (_b64(json.dumps(header).encode()) + "." +
                     _b64(json.dumps(claims).encode()))
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


def _claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"aud": "parley", "kind": "x", "iat": int(NOW), "exp": int(NOW) + 60}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


# ------------------------------------------------------------------ the codec


def test_sign_verify_round_trip_is_a_standard_jwt() -> None:
    token = sign(KEY, "x", {"n": [1, 2]}, NOW + 10, now=NOW)
    claims = verify(KEY, token, "x", now=NOW)
    assert claims == {"aud": "parley", "kind": "x", "iat": int(NOW), "exp": int(NOW) + 10,
                      "n": [1, 2]}
    # Any JWT library reads it: it is HS256 over the standard compact form.
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert jwt.decode(token, KEY, algorithms=["HS256"], audience="parley",
                      options={"verify_exp": False, "verify_iat": False}) == claims


def test_expiry_is_required_and_enforced() -> None:
    token = sign(KEY, "x", {}, NOW + 10, now=NOW)
    assert verify(KEY, token, "x", now=NOW + 9.9)["exp"] == int(NOW) + 10
    assert _code(lambda: verify(KEY, token, "x", now=NOW + 10)) == ErrorCode.TOKEN_EXPIRED
    for claims in (_claims(exp=None), _claims(exp="soon"), _claims(exp=True)):
        assert _code(lambda c=claims: verify(KEY, _forge({"alg": "HS256"}, c), "x", now=NOW)) \
            == ErrorCode.TOKEN_INVALID


def test_a_token_not_valid_yet_is_invalid() -> None:
    token = _forge({"alg": "HS256"}, _claims(nbf=int(NOW) + 5))
    assert _code(lambda: verify(KEY, token, "x", now=NOW)) == ErrorCode.TOKEN_INVALID
    assert verify(KEY, token, "x", now=NOW + 5)["nbf"] == int(NOW) + 5


@pytest.mark.parametrize("claims", [
    _claims(aud=None), _claims(aud="other"), _claims(aud=["parley", "other"]),
    _claims(aud=["parley"]),
], ids=["missing", "other", "list-with-parley", "list"])
def test_the_audience_must_be_exactly_parley(claims: dict[str, Any]) -> None:
    token = _forge({"alg": "HS256", "typ": "JWT"}, claims)
    assert _code(lambda: verify(KEY, token, "x", now=NOW)) == ErrorCode.TOKEN_INVALID


def test_the_kind_is_required_and_must_match() -> None:
    assert _code(lambda: verify(KEY, _forge({"alg": "HS256"}, _claims(kind=None)), "x",
                                now=NOW)) == ErrorCode.TOKEN_INVALID
    token = sign(KEY, "x", {}, NOW + 10, now=NOW)
    assert _code(lambda: verify(KEY, token, "y", now=NOW)) == ErrorCode.TOKEN_INVALID
    assert verify(KEY, token, ("y", "x"), now=NOW)["kind"] == "x"


@pytest.mark.filterwarnings("ignore:The HMAC key")  # HS384/HS512 with a 32-byte key
def test_only_hs256_verifies() -> None:
    claims = _claims()
    unsigned = _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
    attempts = {
        "none, empty signature": unsigned + ".",
        "none, some signature": unsigned + "." + _b64(b"x" * 32),
        "none, HMAC signature": _forge({"alg": "none"}, claims),
        "HS512 with the right key": jwt.encode(claims, KEY, algorithm="HS512"),
        "HS384 with the right key": jwt.encode(claims, KEY, algorithm="HS384"),
        "no alg": _forge({"typ": "JWT"}, claims),
    }
    for name, token in attempts.items():
        assert _code(lambda t=token: verify(KEY, t, "x", now=NOW)) == ErrorCode.TOKEN_INVALID, \
            name
    assert verify(KEY, _forge({"alg": "HS256"}, claims), "x", now=NOW)["kind"] == "x"


@pytest.mark.parametrize("spelling", list(non_canonical_spellings(
    token_with_url_safe_characters(KEY, NOW))))
def test_one_encoding_verifies(spelling: str) -> None:
    token = token_with_url_safe_characters(KEY, NOW)
    assert verify_grant(KEY, token, "room", now=NOW).user_id is not None
    other = non_canonical_spellings(token)[spelling]
    assert other != token
    # Refused by our own check, whatever the PyJWT version would make of it.
    with pytest.raises(ProtocolError) as info:
        check_canonical(other)
    assert info.value.code is ErrorCode.TOKEN_INVALID
    assert _code(lambda: verify(KEY, other, "identity", now=NOW)) == ErrorCode.TOKEN_INVALID
    assert _code(lambda: verify_grant(KEY, other, "room", now=NOW)) == ErrorCode.TOKEN_INVALID


@pytest.mark.parametrize("index", range(0, 300, 7))
def test_any_changed_character_is_invalid(index: int) -> None:
    token = mint_invite(KEY, "standup", 60, now=NOW)
    index %= len(token)
    if token[index] == ".":
        index += 1
    flipped = "B" if token[index] != "B" else "C"
    tampered = token[:index] + flipped + token[index + 1:]
    assert _code(lambda: verify_grant(KEY, tampered, "standup", now=NOW)) \
        == ErrorCode.TOKEN_INVALID


def test_forged_claims_with_a_reused_signature_are_invalid() -> None:
    real = mint_invite(KEY, "a", 60, now=NOW)
    forged_claims = mint_invite(b"attacker" * 4, "b", 60, now=NOW).split(".")[1]
    header, _, mac = real.split(".")
    assert _code(lambda: verify_grant(KEY, f"{header}.{forged_claims}.{mac}", "b", now=NOW)) \
        == ErrorCode.TOKEN_INVALID


def test_oversized_and_malformed_tokens_are_invalid() -> None:
    for token in ("", "nodot", "a.b", "a.b.c.d", "!!!.???.***", "x" * 5000 + ".y.z", "a.b.c"):
        assert _code(lambda t=token: verify(KEY, t, "x", now=NOW)) == ErrorCode.TOKEN_INVALID


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_strings_raise_only_protocol_error(token: str) -> None:
    for call in (lambda: verify_grant(KEY, token, "r", now=NOW),
                 lambda: verify_resume_token(KEY, token, now=NOW)):
        try:
            call()
        except ProtocolError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["room", "sub", "name", "host", "uses", "kind", "exp",
                                        "iat", "nbf", "aud", "grant", "grant_exp", "pid"]),
                       st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                       | st.lists(st.integers(), max_size=2)))
def test_arbitrary_signed_claims_raise_only_protocol_error(claims: dict[str, Any]) -> None:
    token = _forge({"alg": "HS256"}, claims)
    for call in (lambda: verify_grant(KEY, token, "r", now=NOW),
                 lambda: verify_resume_token(KEY, token, now=NOW)):
        try:
            call()
        except ProtocolError:
            pass


# ------------------------------------------------------------------ resume tokens


def test_resume_token_round_trip_and_expiry() -> None:
    claim = ResumeClaim("standup", "p_abc", "Ada", NOW + 23)
    token = mint_resume_token(KEY, claim, now=NOW)
    assert verify_resume_token(KEY, token, now=NOW) == claim
    assert _code(lambda: verify_resume_token(KEY, token, now=NOW + 23)) \
        == ErrorCode.RESUME_REFUSED


def test_a_resume_token_carries_the_seats_grant_but_not_its_uses() -> None:
    identity = Grant(GrantKind.IDENTITY, "standup", NOW + 600, user_id="ada", name="Ada",
                     host=True)
    invite = Grant(GrantKind.INVITE, "standup", NOW + 900, uses=3)
    for grant, expected in ((identity, identity), (invite, Grant(GrantKind.INVITE, "standup",
                                                                 NOW + 900))):
        token = mint_resume_token(KEY, ResumeClaim("standup", "p_1", "Ada", NOW + 23, grant),
                                  now=NOW)
        assert verify_resume_token(KEY, token, now=NOW).grant == expected


def test_kind_confusion_is_refused_both_ways() -> None:
    invite = mint_invite(KEY, "r", 60, now=NOW)
    identity = mint_identity(KEY, "r", "u", "U", 60, now=NOW)
    resume = mint_resume_token(KEY, ResumeClaim("r", "p_1", "U", NOW + 60), now=NOW)
    for grant in (invite, identity):
        assert _code(lambda g=grant: verify_resume_token(KEY, g, now=NOW)) \
            == ErrorCode.RESUME_REFUSED
    assert _code(lambda: verify_grant(KEY, resume, "r", now=NOW)) == ErrorCode.TOKEN_INVALID
