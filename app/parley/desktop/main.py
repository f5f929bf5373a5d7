"""``parley``: the desktop app's entry point (arguments, display check, self-test).

    parley [--session ID|LINK [--name NAME] [--join]] [--server URL] [--token T]
           [--fake-media] [--theme light|dark|system] [--port N]
    parley --new-call --name NAME
    parley --self-test
    parley --version

``--session`` shows the join screen filled in from the link (``--join`` also joins,
when a name is known); ``--new-call`` hosts a call at once and prints its invite line.
A Parley already running gets the link (or the new call) instead. Without
``--server`` it starts the call server in this process on 127.0.0.1 and uses it.
Where there is no display it says so in one line and exits with 2 instead of letting
Qt abort.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from parley.protocol.defaults import DEFAULT_PORT
from parley.protocol.urls import normalize_server_url

EXIT_NO_DISPLAY = 2
# Platform plugins that need no window system (QT_QPA_PLATFORM=offscreen etc.).
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs",
                                "linuxfb", "vkkhrdisplay"})


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="parley", description="Parley: video calls with a built-in call server."
    )
    parser.add_argument("--session", metavar="ID",
                        help="open this session or invite link on the join screen "
                             "(in the Parley already running, if there is one)")
    parser.add_argument("--name", metavar="NAME", help="your display name")
    parser.add_argument("--new-call", action="store_true",
                        help="host a new call on this computer at once (as New call does) "
                             "and print its invite link: 'invite: parley://join/...'")
    parser.add_argument("--join", action="store_true",
                        help="with --session: join at once (when a name is known)")
    parser.add_argument("--server", metavar="URL",
                        help="call server (ws://host:port/ws); default: start one here")
    parser.add_argument("--token", metavar="T", help="join token, when the server needs one")
    parser.add_argument("--fake-media", action="store_true",
                        help="synthetic camera and microphone instead of real devices")
    parser.add_argument("--theme", choices=("light", "dark", "system"),
                        help="colour theme (system: follow the desktop's light or dark)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"preferred port of the built-in server (default {DEFAULT_PORT}; "
                             "any free port if taken)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this machine (audio, video, network) without a display")
    parser.add_argument("--version", action="version", version=f"parley {_version()}")
    return parser.parse_args(argv)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("parley")
    except metadata.PackageNotFoundError:  # a tree that was never installed
        return "unknown"


def missing_display(env: Mapping[str, str] | None = None,
                    platform: str | None = None) -> str | None:
    """Why Qt could not open a window here, or None if it can.

    Only Linux (and other X11/Wayland systems) can lack a display; macOS and
    Windows always have one for a logged-in user.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform in ("darwin", "win32", "cygwin"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in HEADLESS_PLATFORMS:
        return None
    if qpa.startswith("wayland"):
        return None if env.get("WAYLAND_DISPLAY") else "WAYLAND_DISPLAY is not set"
    if qpa == "xcb":
        return None if env.get("DISPLAY") else "DISPLAY is not set"
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "neither DISPLAY nor WAYLAND_DISPLAY is set"


def main(argv: Sequence[str] | None = None) -> int:
    """Run Parley; the return value is the process exit code."""
    args = parse_args(argv)
    if args.server:
        try:
            args.server = normalize_server_url(args.server)
        except ValueError as exc:
            print(f"parley: --server: {exc}", file=sys.stderr)
            return EXIT_NO_DISPLAY  # argparse's usage-error code, too
    if args.self_test:
        from parley.desktop import selftest  # only on this path: it pulls in media

        return selftest.main()
    reason = missing_display()
    if reason is not None:
        print(f"parley: no display to open a window on ({reason}); "
              "run `parley --self-test` to check this machine without one.", file=sys.stderr)
        return EXIT_NO_DISPLAY
    from parley.desktop.app import run  # imports Qt: only once a display is known

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
