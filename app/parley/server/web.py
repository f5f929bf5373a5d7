"""The browser guest: ``GET /join/<room>`` serves the web client (parley.web), its
modules and style sheet under ``/web/``; docs/protocol.md, *Browser guests*.

The page is the web form of an invite link (``http(s)://host:port/join/<room>?token=...``).
It carries the token in its URL, so it is never cached and never sent on as a
referrer; its content security policy lets it load only its own files and talk only
to this server.
"""

from __future__ import annotations

from aiohttp import web

from parley.protocol.ids import is_valid_session_id
from parley.web import ASSETS, PAGE, STATIC_DIR

JOIN_PATH = "/join/{room}"
ASSET_PATH = "/web/{name}"

_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _policy(request: web.Request) -> str:
    host = request.host
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self'",
        "img-src 'self' data:", "media-src 'self' blob: mediastream:",
        f"connect-src 'self' ws://{host} wss://{host}",
        "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ])


async def _join_page(request: web.Request) -> web.StreamResponse:
    room = request.match_info["room"]
    if not is_valid_session_id(room):
        raise web.HTTPNotFound(text=f"{room!r} is not a call name: 1-64 of A-Z a-z 0-9 _ . -")
    return web.FileResponse(STATIC_DIR / PAGE, headers={
        **_COMMON_HEADERS, "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store", "Content-Security-Policy": _policy(request),
        "Permissions-Policy": "camera=(self), microphone=(self), display-capture=(self)"})


async def _asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    content_type = ASSETS.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC_DIR / name, headers={
        **_COMMON_HEADERS, "Content-Type": f"{content_type}; charset=utf-8",
        "Cache-Control": "no-cache"})


def add_web_routes(app: web.Application) -> None:
    """Serve the browser guest client on ``app``."""
    app.router.add_get(JOIN_PATH, _join_page)
    app.router.add_get(ASSET_PATH, _asset)
