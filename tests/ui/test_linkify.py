"""Chat text to safe rich text: escaped, line breaks kept, only web and mail links."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl

from parley.ui.linkify import is_safe_link, links_in, to_html


def test_markup_is_shown_as_text_and_links_become_anchors() -> None:
    html = to_html('<script>x</script> & "q" https://a.example/p?x=1&y=2.\nnext')
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;" in html
    assert '<a href="https://a.example/p?x=1&amp;y=2">https://a.example/p?x=1&amp;y=2</a>.' in html
    assert html.endswith("<br>next")


@pytest.mark.parametrize("text,links", [
    ("see http://x.org, and (https://y.org/a)!", ["http://x.org", "https://y.org/a"]),
    ("mail mailto:ada@example.org", ["mailto:ada@example.org"]),
    ("javascript:alert(1) file:///etc/passwd ftp://h", []),
    ('https://x.org/"onmouseover="alert(1)', ["https://x.org/"]),
])
def test_links_found(text: str, links: list[str]) -> None:
    assert links_in(text) == links


@pytest.mark.parametrize("url,safe", [
    ("https://x.org", True), ("HTTP://x.org", True), ("mailto:a@b.c", True),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False), ("data:text/html,x", False),
])
def test_only_web_and_mail_links_open(url: str, safe: bool) -> None:
    assert is_safe_link(QUrl(url)) is safe
