"""``parley-server``: run the call server, or mint grants (``token``, ``invite``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from parley.protocol.grants import (
    DEFAULT_INVITE_TTL,
    MAX_GRANT_LIFETIME,
    mint_identity,
    mint_invite,
    weak_secret_problem,
)
from parley.protocol.invites import format_invite
from parley.protocol.messages import IceServer
from parley.server.app import CallServer
from parley.server.config import ServerConfig
from parley.server.keys import UnsafeStateError
from parley.server.logs import configure_logging, log_event
from parley.server.sfu.options import sfu_arguments, sfu_options

SECRET_ENV = "PARLEY_SECRET"
TURN_SECRET_ENV = "PARLEY_TURN_SECRET"
ADMIN_TOKEN_ENV = "PARLEY_ADMIN_TOKEN"
EXIT_USAGE = 2
_DAYS = MAX_GRANT_LIFETIME / 86400

def build_parser() -> argparse.ArgumentParser:
    """The ``parley-server`` (serve) argument parser."""
    d = ServerConfig()
    p = argparse.ArgumentParser(
        prog="parley-server",
        description="Run the Parley call server: rooms, presence, signalling relay, "
                    "heartbeats and resume over one WebSocket per participant (path /ws; "
                    "health at GET /health).",
        epilog="Mint grants with: parley-server token --session ID [--identity USER "
               "--name NAME [--host]] [--uses N] [--ttl S], or a whole link with "
               "parley-server invite --session ID --server URL (see their --help).",
    )
    p.add_argument("--host", default=d.host, help="interface to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=d.port,
                   help="TCP port; 0 picks a free one (default %(default)s)")
    _secret_arguments(p)
    p.add_argument("--allow-long-tokens", action="store_true",
                   help=f"accept grants that live longer than {_DAYS:g} days")
    p.add_argument("--departure-timeout", type=float, default=d.departure_timeout,
                   metavar="S", help="seconds a dropped participant keeps its seat "
                                     "(default %(default)s)")
    p.add_argument("--max-participants", type=int, default=d.max_participants, metavar="N",
                   help="participants per room (default %(default)s)")
    p.add_argument("--max-rooms", type=int, default=d.max_rooms, metavar="N",
                   help="rooms per server (default %(default)s)")
    p.add_argument("--heartbeat-interval", type=float, default=d.heartbeat_interval,
                   metavar="S", help="seconds between client pings (default %(default)s)")
    p.add_argument("--heartbeat-timeout", type=float, default=d.heartbeat_timeout, metavar="S",
                   help="seconds of silence before a link counts as dead (default %(default)s)")
    p.add_argument("--stun-url", "--ice-server", dest="stun_urls", action="append",
                   default=[], metavar="URL",
                   help="STUN URL handed to clients; repeatable "
                        "(e.g. stun:stun.l.google.com:19302)")
    p.add_argument("--turn-url", dest="turn_urls", action="append", default=[], metavar="URL",
                   help="TURN URL handed to clients with ephemeral credentials; repeatable, "
                        "in the order to try (turn:HOST:3478?transport=udp, "
                        "turn:HOST:3478?transport=tcp, turns:HOST:443?transport=tcp)")
    p.add_argument("--turn-secret", default=None,
                   help=f"coturn's static-auth-secret (use-auth-secret) that signs the TURN "
                        f"credentials (default: ${TURN_SECRET_ENV})")
    p.add_argument("--turn-ttl", type=float, default=d.turn_ttl, metavar="S",
                   help="seconds TURN credentials stay valid (default %(default)s)")
    p.add_argument("--lobby", action="store_true",
                   help="ask to join: a join without a valid token waits for a host to "
                        "admit or deny it (needs --secret)")
    p.add_argument("--lobby-timeout", type=float, default=d.lobby_timeout, metavar="S",
                   help="seconds a joiner waits in the lobby (default %(default)s)")
    p.add_argument("--cert", type=Path, default=None, metavar="PEM",
                   help="serve wss:// and https:// with this certificate chain (with --key)")
    p.add_argument("--key", type=Path, default=None, metavar="PEM",
                   help="the certificate's private key")
    p.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                   help="where resume.key is kept when there is no secret "
                        "(default $XDG_STATE_HOME/parley or ~/.local/state/parley)")
    p.add_argument("--allow-open-rooms", action="store_true",
                   help="allow listening on a non-loopback host without a secret")
    _hardening_arguments(p, d)
    sfu_arguments(p, d)
    p.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error"],
                   help="log verbosity (default %(default)s)")
    return p


def _hardening_arguments(p: argparse.ArgumentParser, d: ServerConfig) -> None:
    """Limits against hostile clients (docs/security.md)."""
    g = p.add_argument_group("limits against hostile clients (see docs/security.md)")
    g.add_argument("--max-connections-per-ip", type=int, default=d.max_connections_per_ip,
                   metavar="N", help="open connections per address (default %(default)s)")
    g.add_argument("--joins-per-second-per-ip", type=float,
                   default=d.joins_per_second_per_ip, metavar="R",
                   help="joins per second per address, on average (default %(default)s)")
    g.add_argument("--max-rooms-per-ip", type=int, default=d.max_rooms_per_ip, metavar="N",
                   help="rooms one address may hold seats in (default %(default)s)")
    g.add_argument("--max-ghosts-per-ip", type=int, default=d.max_ghosts_per_ip, metavar="N",
                   help="dropped seats one address may leave waiting for a resume "
                        "(default %(default)s)")
    g.add_argument("--exempt-loopback", action="store_true",
                   help="exempt loopback addresses from the per-address limits")
    g.add_argument("--join-deadline", type=float, default=d.join_deadline, metavar="S",
                   help="seconds a connection has to join (default %(default)s)")
    g.add_argument("--header-timeout", type=float, default=d.header_timeout, metavar="S",
                   help="seconds to send a whole HTTP request (default %(default)s)")
    g.add_argument("--prejoin-max-bytes", type=int, default=d.prejoin_max_bytes, metavar="B",
                   help="largest frame before the join (default %(default)s)")
    g.add_argument("--relay-bytes-per-second", type=int, default=d.relay_bytes_per_second,
                   metavar="B", help="signalling bytes per second from one participant to "
                                     "one other (default %(default)s)")
    g.add_argument("--relay-burst-bytes", type=int, default=d.relay_burst_bytes, metavar="B",
                   help="... and at once (default %(default)s)")
    g.add_argument("--seat-relay-bytes-per-second", type=int,
                   default=d.seat_relay_bytes_per_second, metavar="B",
                   help="signalling bytes per second from one participant to everybody "
                        "(default %(default)s)")
    g.add_argument("--seat-relay-burst-bytes", type=int, default=d.seat_relay_burst_bytes,
                   metavar="B", help="... and at once (default %(default)s)")
    g.add_argument("--ws-compression", action="store_true",
                   help="offer permessage-deflate (off by default)")
    g.add_argument("--allow-origin", dest="allowed_origins", action="append", default=[],
                   metavar="ORIGIN",
                   help="a web origin (https://example.org) whose pages may connect, "
                        "besides the server's own; repeatable; * allows any")
    g.add_argument("--admin-token", default=None,
                   help=f"bearer token that makes /health report counts and the version "
                        f"(default: ${ADMIN_TOKEN_ENV}; none: /health says only ok)")


def _secret_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--secret", default=None,
                   help=f"the secret join grants are signed with, at least 32 bytes "
                        f"(default: ${SECRET_ENV}, preferable: command lines are visible to "
                        "other users)")
    p.add_argument("--allow-weak-secret", action="store_true",
                   help="accept a secret (or TURN secret) shorter than 32 bytes")


def _grant_parser(prog: str, description: str, ttl: float) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--session", required=True, metavar="ID", help="session id (room)")
    p.add_argument("--ttl", type=float, default=ttl, metavar="S",
                   help="validity in seconds (default %(default)s)")
    p.add_argument("--uses", type=int, default=None, metavar="N",
                   help="an invite lets in at most N joins (default: no limit)")
    p.add_argument("--allow-long-tokens", action="store_true",
                   help=f"allow a --ttl over {_DAYS:g} days")
    _secret_arguments(p)
    return p


def build_token_parser() -> argparse.ArgumentParser:
    """The ``parley-server token`` argument parser."""
    p = _grant_parser(
        "parley-server token",
        "Print a join grant for session ID, valid on a server started with the same "
        "secret: an invite (anyone holding it joins under a name of their choosing, "
        "shown as a guest), or with --identity an identity grant (the name shown is "
        "--name; a second join with it replaces the first).", 3600.0)
    p.add_argument("--identity", metavar="USER_ID", default=None,
                   help="mint an identity grant for this user id instead of an invite")
    p.add_argument("--name", default=None,
                   help="the identity's display name (default: the user id)")
    p.add_argument("--host", action="store_true",
                   help="the identity is the call's host: it may end the call for everyone")
    return p


def build_invite_parser() -> argparse.ArgumentParser:
    """The ``parley-server invite`` argument parser."""
    p = _grant_parser(
        "parley-server invite",
        "Print a complete invite link, parley://join/ID?server=URL&token=..., for a "
        "server started with the same secret.", DEFAULT_INVITE_TTL)
    p.add_argument("--server", required=True, metavar="URL",
                   help="the call server's address as the invitee reaches it "
                        "(e.g. wss://calls.example.org or 192.168.1.20:8787)")
    return p


def _secret(arg: str | None, env: str = SECRET_ENV) -> bytes | None:
    value = arg if arg is not None else os.environ.get(env)
    return value.encode("utf-8") if value else None


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """A validated config from parsed arguments (raises ValueError)."""
    for url in args.stun_urls:
        if not url.startswith(("stun:", "stuns:")):
            raise ValueError(f"--stun-url: not a STUN URL (stun: or stuns:): {url!r}")
    return ServerConfig(
        host=args.host, port=args.port, secret=_secret(args.secret),
        allow_weak_secret=args.allow_weak_secret, allow_long_tokens=args.allow_long_tokens,
        departure_timeout=args.departure_timeout, max_participants=args.max_participants,
        max_rooms=args.max_rooms, heartbeat_interval=args.heartbeat_interval,
        heartbeat_timeout=args.heartbeat_timeout,
        ice_servers=tuple(IceServer(urls=(url,)) for url in args.stun_urls),
        turn_urls=tuple(args.turn_urls), turn_secret=_secret(args.turn_secret, TURN_SECRET_ENV),
        turn_ttl=args.turn_ttl, lobby=args.lobby, lobby_timeout=args.lobby_timeout,
        tls_cert=args.cert, tls_key=args.key,
        state_dir=args.state_dir, allow_open_rooms=args.allow_open_rooms,
        max_connections_per_ip=args.max_connections_per_ip,
        joins_per_second_per_ip=args.joins_per_second_per_ip,
        max_rooms_per_ip=args.max_rooms_per_ip, max_ghosts_per_ip=args.max_ghosts_per_ip,
        exempt_loopback=args.exempt_loopback, join_deadline=args.join_deadline,
        header_timeout=args.header_timeout, ws_compression=args.ws_compression,
        prejoin_max_bytes=args.prejoin_max_bytes,
        relay_bytes_per_second=args.relay_bytes_per_second,
        relay_burst_bytes=args.relay_burst_bytes,
        seat_relay_bytes_per_second=args.seat_relay_bytes_per_second,
        seat_relay_burst_bytes=args.seat_relay_burst_bytes,
        allowed_origins=tuple(args.allowed_origins),
        admin_token=args.admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None,
        **sfu_options(args),
    )


async def serve(config: ServerConfig) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully (clients get ``going_away``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C raises instead
            pass
    server = CallServer(config)
    url = await server.start()
    print(f"Parley server listening on {url}", flush=True)
    try:
        await stop.wait()
        log_event("signal", action="shutdown")
    finally:
        await server.stop(graceful=True)


def _fail(message: str) -> int:
    print(f"parley-server: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _minting_secret(args: argparse.Namespace) -> bytes:
    """The secret to sign with; raises ValueError when it is missing or weak."""
    secret = _secret(args.secret)
    if secret is None:
        raise ValueError(f"a secret is required (--secret or ${SECRET_ENV})")
    problem = weak_secret_problem(secret)
    if problem and not args.allow_weak_secret:
        raise ValueError(f"{problem}, or pass --allow-weak-secret")
    return secret


def _max_lifetime(args: argparse.Namespace) -> float | None:
    if args.allow_long_tokens:
        return None
    if args.ttl > MAX_GRANT_LIFETIME:
        raise ValueError(f"--ttl is over {_DAYS:g} days; pass --allow-long-tokens to mint it")
    return MAX_GRANT_LIFETIME


def mint_from_args(args: argparse.Namespace) -> str:
    """The grant ``parley-server token``/``invite`` arguments ask for (raises ValueError)."""
    secret, max_lifetime = _minting_secret(args), _max_lifetime(args)
    identity = getattr(args, "identity", None)
    if identity is None:
        if getattr(args, "name", None) is not None or getattr(args, "host", False):
            raise ValueError("--name and --host need --identity (an invite names nobody)")
        return mint_invite(secret, args.session, args.ttl, args.uses,
                           max_lifetime=max_lifetime)
    if args.uses is not None:
        raise ValueError("--uses is for invites; an identity replaces its own seat instead")
    return mint_identity(secret, args.session, identity, args.name or identity, args.ttl,
                         host=args.host, max_lifetime=max_lifetime)


def token_main(argv: Sequence[str]) -> int:
    """``parley-server token``: print one join grant."""
    args = build_token_parser().parse_args(argv)
    try:
        print(mint_from_args(args))
    except ValueError as exc:
        return _fail(str(exc))
    return 0


def invite_main(argv: Sequence[str]) -> int:
    """``parley-server invite``: print one complete invite link."""
    args = build_invite_parser().parse_args(argv)
    try:
        print(format_invite(args.session, args.server, mint_from_args(args)))
    except ValueError as exc:
        return _fail(str(exc))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``parley-server``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "token":
        return token_main(argv[1:])
    if argv and argv[0] == "invite":
        return invite_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        return _fail(str(exc))
    configure_logging(args.log_level)
    try:
        asyncio.run(serve(config))
    except KeyboardInterrupt:  # only where signal handlers are unavailable
        pass
    except (UnsafeStateError, ValueError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
