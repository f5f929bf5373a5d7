"""Hypothesis strategies and helpers for the protocol's addresses, ids and tokens."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from parley.protocol.grants import mint_identity

session_ids = st.from_regex(r"\A[A-Za-z0-9_.-]{1,64}\Z")

_label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
hosts = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    st.sampled_from(["[::1]", "[fe80::1]", "[2001:db8::8787]"]),
)
ports = st.none() | st.integers(1, 65535)
# Characters a URL path or query may hold as typed (RFC 3986 unreserved, sub-delims,
# ':' '@' and '%'-escapes); no blanks, '#', or '?' in a path.
_URL_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%"
paths = st.none() | st.just("/") | st.lists(
    st.text(alphabet=_URL_CHARS, max_size=8), min_size=1, max_size=4
).map(lambda segments: "/" + "/".join(segments))
queries = st.none() | st.text(alphabet=_URL_CHARS + "/?", max_size=20)
schemes = st.sampled_from([None, "ws", "wss", "http", "https", "WS", "Https"])
fragments = st.none() | st.text(alphabet=_URL_CHARS + "/?#", max_size=10)


@st.composite
def typed_servers(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A call server address as a person might type it, and what it is made of."""
    scheme, host, port = draw(schemes), draw(hosts), draw(ports)
    path, query, fragment = draw(paths), draw(queries), draw(fragments)
    text = f"{scheme}://" if scheme else ""
    text += host + (f":{port}" if port is not None else "") + (path or "")
    text += (f"?{query}" if query is not None else "") + (f"#{fragment}" if fragment else "")
    if not scheme and "://" in text:
        # Without a scheme, a "://" further on would read as one: not how anyone types.
        text = text.replace("://", ":/")
        path = path.replace("://", ":/") if path else path
        query = query.replace("://", ":/") if query else query
    parts = {"scheme": (scheme or "ws").lower(), "host": host, "port": port,
             "path": path, "query": query}
    return text, parts


# A join token is a JWT (base64url segments), but nothing in an invite may depend on that:
# any text without lone surrogates (which no URL can carry) must survive.
tokens = st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=40) \
    | st.text(alphabet="&=?#%+/ :;@!$'()*,~", min_size=1, max_size=12)


_B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def token_with_url_safe_characters(key: bytes, now: float, room: str = "room") -> str:
    """A valid identity grant for ``room`` holding both '-' and '_', which the ``+/``
    alphabet spells differently (found by trying user ids: deterministic)."""
    for i in range(1000):
        token = mint_identity(key, room, f"user-{i}", "Ada", 60, now=now)
        if "-" in token and "_" in token:
            return token
    raise AssertionError("no token with - and _ in 1000 tries")


def non_canonical_spellings(token: str) -> dict[str, str]:
    """Other spellings of ``token`` that lax base64 decoders read as the same bytes
    (or nearly): each must be refused."""
    header, claims, mac = token.split(".")
    # 32 bytes of MAC take 43 characters, whose last two bits are unused: flip one.
    unused_bits = _B64URL[_B64URL.index(mac[-1]) ^ 1]
    return {
        "padded signature": f"{header}.{claims}.{mac}=",
        "padded claims": f"{header}.{claims}{'=' * (-len(claims) % 4 or 4)}.{mac}",
        "+/ alphabet": token.replace("-", "+").replace("_", "/"),
        "space inside": f"{header}.{claims[:5]} {claims[5:]}.{mac}",
        "newline inside": f"{header}.{claims}.{mac[:10]}\n{mac[10:]}",
        "trailing newline": token + "\n",
        "leading space": " " + token,
        "unused bits set": f"{header}.{claims}.{mac[:-1]}{unused_bits}",
        "four segments": token + ".",
        "empty claims": f"{header}..{mac}",
    }
