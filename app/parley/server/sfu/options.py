"""``parley-server``'s SFU options: ``--janus``, ``--janus-api-secret``,
``--janus-admin-key``, ``--sfu``, ``--mesh-max`` (docs/sfu.md)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from parley.server.config import SFU_MODES, ServerConfig

JANUS_SECRET_ENV = "PARLEY_JANUS_API_SECRET"
JANUS_ADMIN_KEY_ENV = "PARLEY_JANUS_ADMIN_KEY"



def sfu_arguments(p: argparse.ArgumentParser, d: ServerConfig) -> None:
    """Add the SFU options to the server's parser."""
    g = p.add_argument_group("SFU (Janus VideoRoom behind this server; see docs/sfu.md)")
    g.add_argument("--janus", dest="janus_urls", action="append", default=[], metavar="URL",
                   help="a Janus node's HTTP API on a private address "
                        "(http://10.0.0.5:8088/janus); repeatable: rooms go to the least "
                        "loaded node and move when theirs dies")
    g.add_argument("--janus-api-secret", default=None, metavar="S",
                   help=f"Janus's api_secret (default: ${JANUS_SECRET_ENV})")
    g.add_argument("--janus-admin-key", default=None, metavar="K",
                   help=f"VideoRoom's admin_key, needed to create rooms "
                        f"(default: ${JANUS_ADMIN_KEY_ENV})")
    g.add_argument("--sfu", choices=SFU_MODES, default=d.sfu,
                   help="always: every call through Janus; never: mesh only; auto: a mesh "
                        "up to --mesh-max, moved live to Janus above it and back at "
                        "--mesh-max - 1 (default %(default)s)")
    g.add_argument("--mesh-max", type=int, default=d.mesh_max, metavar="N",
                   help="with --sfu auto: the largest call kept as a mesh "
                        "(default %(default)s)")


def sfu_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerConfig fields of the SFU options."""
    return {"janus_urls": tuple(args.janus_urls),
            "janus_api_secret": args.janus_api_secret or os.environ.get(JANUS_SECRET_ENV),
            "janus_admin_key": args.janus_admin_key or os.environ.get(JANUS_ADMIN_KEY_ENV),
            "sfu": args.sfu, "mesh_max": args.mesh_max}
