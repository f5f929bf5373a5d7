"""``parley-server``: run the call server, or mint a join token (``parley-server token``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from parley.protocol.errors import ProtocolError
from parley.protocol.ids import validate_session_id
from parley.protocol.messages import IceServer
from parley.protocol.tokens import mint_join_token
from parley.server.app import CallServer
from parley.server.config import ServerConfig
from parley.server.logs import configure_logging, log_event

SECRET_ENV = "PARLEY_SECRET"
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The ``parley-server`` (serve) argument parser."""
    d = ServerConfig()
    p = argparse.ArgumentParser(
        prog="parley-server",
        description="Run the Parley call server: rooms, presence, signalling relay, "
                    "heartbeats and resume over one WebSocket per participant (path /ws; "
                    "health at GET /health).",
        epilog="Mint a join token with: parley-server token --session ID --user NAME "
               "[--ttl 3600] [--secret S]  (see parley-server token --help).",
    )
    p.add_argument("--host", default=d.host, help="interface to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=d.port,
                   help="TCP port; 0 picks a free one (default %(default)s)")
    p.add_argument("--secret", default=None,
                   help=f"HMAC secret for join tokens (default: ${SECRET_ENV}, preferable: "
                        "command lines are visible to other users); without one, rooms are "
                        "open to anyone who can reach the server")
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
    p.add_argument("--ice-server", action="append", default=[], metavar="URL",
                   help="STUN/TURN URL handed to clients; repeatable "
                        "(e.g. stun:stun.l.google.com:19302)")
    p.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                   help="where resume.key is kept when there is no secret "
                        "(default $XDG_STATE_HOME/parley or ~/.local/state/parley)")
    p.add_argument("--allow-open-rooms", action="store_true",
                   help="allow listening on a non-loopback host without a secret")
    p.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error"],
                   help="log verbosity (default %(default)s)")
    return p


def build_token_parser() -> argparse.ArgumentParser:
    """The ``parley-server token`` argument parser."""
    p = argparse.ArgumentParser(
        prog="parley-server token",
        description="Print a join token that lets USER join session ID on a server "
                    "started with the same secret.",
    )
    p.add_argument("--session", required=True, metavar="ID", help="session id (room)")
    p.add_argument("--user", required=True, metavar="NAME", help="who the token is for")
    p.add_argument("--ttl", type=float, default=3600.0, metavar="S",
                   help="validity in seconds (default %(default)s)")
    p.add_argument("--secret", default=None, help=f"HMAC secret (default: ${SECRET_ENV})")
    return p


def _secret(arg: str | None) -> bytes | None:
    value = arg if arg is not None else os.environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else None


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """A validated config from parsed arguments (raises ValueError)."""
    return ServerConfig(
        host=args.host, port=args.port, secret=_secret(args.secret),
        departure_timeout=args.departure_timeout, max_participants=args.max_participants,
        max_rooms=args.max_rooms, heartbeat_interval=args.heartbeat_interval,
        heartbeat_timeout=args.heartbeat_timeout,
        ice_servers=tuple(IceServer(urls=(url,)) for url in args.ice_server),
        state_dir=args.state_dir, allow_open_rooms=args.allow_open_rooms,
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


def token_main(argv: Sequence[str]) -> int:
    """``parley-server token``: print one join token."""
    args = build_token_parser().parse_args(argv)
    secret = _secret(args.secret)
    if secret is None:
        return _fail(f"a secret is required (--secret or ${SECRET_ENV})")
    try:
        validate_session_id(args.session)
    except ProtocolError as exc:
        return _fail(exc.detail)
    if args.ttl <= 0:
        return _fail("--ttl must be positive")
    print(mint_join_token(secret, args.session, args.user, args.ttl))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``parley-server``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "token":
        return token_main(argv[1:])
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
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
