"""Plain chat text as safe rich text: everything escaped, web links made clickable.

Only ``http``, ``https`` and ``mailto`` links become anchors, and only what the URL
pattern matches (no quotes, brackets or spaces); everything else - markup included - is
shown as the characters it is. The anchor's text is the URL itself, so a link never
hides where it goes.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QUrl

_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def links_in(text: str) -> list[str]:
    """The web links in ``text``, in order (trailing punctuation left out)."""
    return [match.group(0).rstrip(_TRAILING) for match in _URL.finditer(text)]


def to_html(text: str) -> str:
    """``text`` as HTML: escaped, line breaks kept, links as anchors."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out.append(html.escape(text[position:match.start()]))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


def is_safe_link(url: QUrl) -> bool:
    """Whether a clicked link may be opened (a web or mail link, nothing else)."""
    return url.isValid() and url.scheme().lower() in SAFE_SCHEMES
