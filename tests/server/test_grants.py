"""Invite and identity grants on a real server: who gets in, under which name, how often,
for how long; strict decoding over the wire; identity replacement; weak secrets."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable

import jwt
import pytest

from parley.protocol.closecodes import CloseCode
from parley.protocol.errors import ErrorCode
from parley.protocol.grants import mint_identity, mint_invite
from parley.protocol.messages import (
    Error,
    Join,
    Leave,
    Offer,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantReconnecting,
    ParticipantRestored,
    Ping,
    Pong,
)
from parley.server import CallServer, ServerConfig
from tests.protocol.strategies import non_canonical_spellings, token_with_url_safe_characters
from tests.server.conftest import Client, Connect

SECRET = b"grants-test-secret-32-bytes-long"
DAY = 86400.0
Servers = Callable[..., Awaitable[CallServer]]


class Clock:
    """A wall clock the test moves forward (the server's seam for expiry)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
async def secured(servers: Servers) -> CallServer:
    return await servers(secret=SECRET)


def invite(uses: int | None = None, ttl: float = 600, room: str = "room") -> str:
    return mint_invite(SECRET, room, ttl, uses)


def identity(user: str, name: str, host: bool = False, ttl: float = 600,
             now: float | None = None) -> str:
    return mint_identity(SECRET, "room", user, name, ttl, host=host, now=now)


async def refused(client: Client, token: str | None, code: ErrorCode,
                  close: int = CloseCode.AUTH) -> Error:
    await client.send(Join(session_id="room", display_name="Intruder", token=token))
    error = await client.expect(Error)
    assert (error.code, error.ref) == (code.value, "join"), error
    assert await client.closed() == close
    return error


# ------------------------------------------------------------------ the two kinds


async def test_an_invite_lets_anyone_in_under_their_own_name_shown_as_guest(
        secured: CallServer, connect: Connect) -> None:
    token = invite()
    ada, bob = await connect(secured), await connect(secured)
    await ada.join("room", "Ada", token=token)
    welcome = await bob.join("room", "Bob", token=token)
    me = welcome.participants[-1]
    assert (me.name, me.guest, me.verified, me.host) == ("Bob", True, False, False)
    joined = (await ada.expect(ParticipantJoined)).participant
    assert (joined.name, joined.guest, joined.verified) == ("Bob", True, False)


async def test_an_identity_shows_the_tokens_name_as_verified(
        secured: CallServer, connect: Connect) -> None:
    guest, ada = await connect(secured), await connect(secured)
    await guest.join("room", "Guest", token=invite())
    welcome = await ada.join("room", "Not Ada", token=identity("ada@example.org", "Ada L."))
    me = next(p for p in welcome.participants if p.id == ada.pid)
    assert (me.name, me.verified, me.guest, me.host) == ("Ada L.", True, False, False)
    joined = (await guest.expect(ParticipantJoined)).participant
    assert (joined.name, joined.verified, joined.guest) == ("Ada L.", True, False)


async def test_open_rooms_show_neither_guest_nor_verified(server: CallServer,
                                                          connect: Connect) -> None:
    client = await connect(server)
    welcome = await client.join("room", "Ada", token="ignored without a secret")
    (me,) = welcome.participants
    assert (me.guest, me.verified, me.host) == (False, False, False)


# ------------------------------------------------------------------ strict decoding


@pytest.mark.parametrize("spelling", list(non_canonical_spellings(
    token_with_url_safe_characters(SECRET, time.time()))))
async def test_only_the_canonical_spelling_gets_in(secured: CallServer, connect: Connect,
                                                   spelling: str) -> None:
    token = token_with_url_safe_characters(SECRET, time.time())
    other = non_canonical_spellings(token)[spelling]
    await refused(await connect(secured), other, ErrorCode.TOKEN_INVALID)
    assert (await (await connect(secured)).join("room", "Ada", token=token)).participants


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {"aud": "parley", "kind": "invite", "room": "room",
                                 "exp": int(time.time()) + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("make", [
    lambda: _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(_claims()).encode())
    + ".",
    lambda: _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(json.dumps(_claims()).encode())
    + "." + _b64(b"sig"),
    lambda: jwt.encode(_claims(), SECRET + SECRET, algorithm="HS512"),
    lambda: jwt.encode(_claims(aud="livekit"), SECRET, algorithm="HS256"),
    lambda: jwt.encode(_claims(aud=None), SECRET, algorithm="HS256"),
    lambda: jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"),
    lambda: jwt.encode(_claims(kind=None), SECRET, algorithm="HS256"),
    lambda: jwt.encode(_claims(kind="resume"), SECRET, algorithm="HS256"),
], ids=["alg-none", "alg-none-signed", "hs512", "wrong-audience", "no-audience", "no-expiry",
        "no-kind", "resume-kind"])
async def test_wrong_algorithm_audience_expiry_or_kind_is_refused(
        secured: CallServer, connect: Connect, make: Callable[[], str]) -> None:
    await refused(await connect(secured), make(), ErrorCode.TOKEN_INVALID)


async def test_an_expired_grant_is_refused(secured: CallServer, connect: Connect) -> None:
    late = mint_invite(SECRET, "room", 60, now=time.time() - 61)
    await refused(await connect(secured), late, ErrorCode.TOKEN_EXPIRED)
    late_identity = identity("ada", "Ada", ttl=60, now=time.time() - 61)
    await refused(await connect(secured), late_identity, ErrorCode.TOKEN_EXPIRED)


async def test_a_grant_for_another_room_is_refused(secured: CallServer,
                                                   connect: Connect) -> None:
    await refused(await connect(secured), invite(room="elsewhere"), ErrorCode.TOKEN_WRONG_ROOM)


# ------------------------------------------------------------------ use limits


async def test_an_invite_lets_in_its_uses_ghost_seats_included(
        secured: CallServer, connect: Connect) -> None:
    token = invite(uses=2)
    ghost, bob = await connect(secured), await connect(secured)
    ghost_welcome = await ghost.join("room", "Ghost", token=token)
    await bob.join("room", "Bob", token=token)
    await ghost.expect(ParticipantJoined)
    await ghost.drop()  # no leave: the seat is held, and its use is spent
    await bob.expect(ParticipantReconnecting)
    error = await refused(await connect(secured), token, ErrorCode.TOKEN_USED_UP)
    assert "2" in error.message
    # A resume is no use: the ghost takes its seat back.
    back = await connect(secured)
    assert (await back.join("room", "Ghost", resume_token=ghost_welcome.resume_token)).resumed
    await bob.expect(ParticipantRestored)
    # Uses are counted per invite: another one still lets in.
    assert (await (await connect(secured)).join("room", "Cy", token=invite(uses=1))).participants


async def test_a_refused_join_spends_no_use(servers: Servers,
                                                       connect: Connect) -> None:
    server = await servers(secret=SECRET, max_participants=1)
    first = await connect(server)
    await first.join("room", "First", token=invite())
    token = invite(uses=1)
    await refused(await connect(server), token, ErrorCode.ROOM_FULL, CloseCode.FULL)
    await first.send(Leave())
    assert await first.closed() == CloseCode.NORMAL
    second = await connect(server)
    assert (await second.join("room", "Second", token=token)).participants
    await refused(await connect(server), token, ErrorCode.TOKEN_USED_UP)


# ------------------------------------------------------------------ identity replacement


async def test_a_second_join_with_the_same_identity_replaces_the_first_seat(
        secured: CallServer, connect: Connect) -> None:
    bob, first = await connect(secured), await connect(secured)
    await bob.join("room", "Bob", token=invite())
    first_welcome = await first.join("room", "x", token=identity("ada", "Ada"))
    await bob.expect(ParticipantJoined)
    second = await connect(secured)
    welcome = await second.join("room", "x", token=identity("ada", "Ada"))
    assert welcome.participant_id != first.pid
    assert [p.id for p in welcome.participants] == [bob.pid, second.pid]
    assert await first.closed() == CloseCode.DUPLICATE_IDENTITY == 4012
    left = await bob.expect(ParticipantLeft)
    assert (left.participant_id, left.reason) == (first.pid, "replaced")
    assert (await bob.expect(ParticipantJoined)).participant.id == second.pid
    await bob.send(Offer(sdp="to the new seat", to=second.pid))
    assert (await second.expect(Offer)).sender == bob.pid
    # The replaced seat cannot come back and evict the new one.
    again = await connect(secured)
    await again.send(Join(session_id="room", display_name="x",
                          resume_token=first_welcome.resume_token))
    error = await again.expect(Error)
    assert error.code == ErrorCode.RESUME_REFUSED.value and "same identity" in error.message
    assert await again.closed() == CloseCode.RESUME_REFUSED
    await second.roundtrip()


async def test_a_dropped_identity_seat_is_replaced_at_once(secured: CallServer,
                                                           connect: Connect) -> None:
    bob, first = await connect(secured), await connect(secured)
    await bob.join("room", "Bob", token=invite())
    await first.join("room", "x", token=identity("ada", "Ada"))
    await bob.expect(ParticipantJoined)
    await first.drop()
    await bob.expect(ParticipantReconnecting)
    second = await connect(secured)
    await second.join("room", "x", token=identity("ada", "Ada"))
    assert (await bob.expect(ParticipantLeft)).reason == "replaced"
    assert (await bob.expect(ParticipantJoined)).participant.id == second.pid


async def test_other_identities_do_not_replace_each_other(secured: CallServer,
                                                          connect: Connect) -> None:
    ada, bob = await connect(secured), await connect(secured)
    await ada.join("room", "x", token=identity("ada", "Ada"))
    welcome = await bob.join("room", "x", token=identity("bob", "Ada"))  # same name only
    assert len(welcome.participants) == 2
    await ada.expect(ParticipantJoined)
    await ada.roundtrip()


# ------------------------------------------------------------------ secrets and lifetimes


def test_weak_secrets_are_refused_unless_allowed(tmp_path: object) -> None:
    for field in ("secret", "turn_secret"):
        extra = {"turn_urls": ("turn:127.0.0.1:3478",), "secret": SECRET} \
            if field == "turn_secret" else {}
        config = {**extra, field: b"x" * 31}
        with pytest.raises(ValueError, match="31 bytes.*--allow-weak-secret"):
            ServerConfig(**config)  # type: ignore[arg-type]
        ServerConfig(**config, allow_weak_secret=True)  # type: ignore[arg-type]
    ServerConfig(secret=b"x" * 32)


async def test_a_weak_secret_works_once_allowed(servers: Servers, connect: Connect) -> None:
    server = await servers(secret=b"short", allow_weak_secret=True)
    token = mint_invite(b"short", "room", 60)
    assert (await (await connect(server)).join("room", "Ada", token=token)).participants


async def test_grants_living_over_30_days_are_refused_unless_allowed(
        servers: Servers, connect: Connect) -> None:
    long_lived = mint_invite(SECRET, "room", 31 * DAY, max_lifetime=None)
    strict = await servers(secret=SECRET)
    error = await refused(await connect(strict), long_lived, ErrorCode.TOKEN_INVALID)
    assert "30 days" in error.message
    lenient = await servers(secret=SECRET, allow_long_tokens=True)
    assert (await (await connect(lenient)).join("room", "Ada", token=long_lived)).participants


# ------------------------------------------------------------------ grant expiry and resume


async def test_a_seat_outlives_its_grant_only_while_its_link_is_up(
        servers: Servers, connect: Connect) -> None:
    clock = Clock()
    server = await servers(secret=SECRET, clock=clock)
    bob, ada = await connect(server), await connect(server)
    await bob.join("room", "Bob", token=invite())
    welcome = await ada.join("room", "x", token=identity("ada", "Ada", ttl=60))
    await bob.expect(ParticipantJoined)
    # Within the grant's life a dropped link resumes.
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    ada = await connect(server)
    assert (await ada.join("room", "x", resume_token=welcome.resume_token)).resumed
    await bob.expect(ParticipantRestored)
    # Past it, the link that is up keeps its seat: relay and heartbeats go on.
    clock.advance(61)
    await ada.send(Ping(t=5.0))
    pong = await ada.expect(Pong, skip=())
    assert pong.resume_token is not None
    await bob.send(Offer(sdp="still here", to=ada.pid))
    assert (await ada.expect(Offer)).sdp == "still here"
    # But once it drops, the fresh resume token cannot bring it back.
    await ada.drop()
    await bob.expect(ParticipantReconnecting)
    late = await connect(server)
    await late.send(Join(session_id="room", display_name="x", resume_token=pong.resume_token))
    error = await late.expect(Error)
    assert error.code == ErrorCode.RESUME_REFUSED.value and "expired" in error.message
    assert await late.closed() == CloseCode.RESUME_REFUSED
