"""parley.web: the browser guest client, served by parley-server at ``/join/<room>``.

Plain ES modules, a page and a style sheet: no framework, no build step. The
client speaks exactly docs/protocol.md; this package holds no Python logic, only
where its files are (the server serves them, the wheel and the bundle carry them).
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent
"""The folder of the page, its modules and its style sheet (inside ``sys._MEIPASS``
when frozen: packaging/parley.spec lays them out there)."""

PAGE = "index.html"
ASSETS: dict[str, str] = {
    "app.js": "text/javascript",
    "call.js": "text/javascript",
    "chat.js": "text/javascript",
    "chatpanel.js": "text/javascript",
    "devices.js": "text/javascript",
    "heartbeat.js": "text/javascript",
    "mesh.js": "text/javascript",
    "peer.js": "text/javascript",
    "protocol.js": "text/javascript",
    "route.js": "text/javascript",
    "sfu.js": "text/javascript",
    "signaling.js": "text/javascript",
    "view.js": "text/javascript",
    "style.css": "text/css",
}
"""Every file the page loads, with its content type: nothing else is served."""
