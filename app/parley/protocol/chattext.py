"""The chat-text rule: what a chat message may say, on the wire and in the SDK.

Chat is plain text: 1-2000 characters, not all blank, with no control characters
but line breaks and tabs. Clients render it as plain text (links are found in it,
never markup), so the rule only has to keep frames small and text printable.
"""

from __future__ import annotations

import unicodedata

from parley.protocol.errors import ErrorCode, ProtocolError

MAX_CHAT_LENGTH = 2000
"""Characters in one chat message."""
CHAT_TEXT_RULE = f"1-{MAX_CHAT_LENGTH} characters of plain text, not all blank"
_ALLOWED_CONTROLS = frozenset("\n\t")


def check_chat_text(text: object) -> str:
    """The chat text to send and show for ``text`` (today the text unchanged).

    Raises:
        ValueError: ``text`` is not a string of 1-2000 characters, is all blank, or
            holds a control character other than a line break or a tab.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT_LENGTH:
        raise ValueError(f"chat text must be {CHAT_TEXT_RULE}")
    for char in text:
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            raise ValueError(f"chat text must not hold control characters ({char!r})")
    return text


def validate_chat_text(text: object) -> None:
    """Raise ProtocolError(INVALID_FIELD) unless :func:`check_chat_text` accepts ``text``."""
    try:
        check_chat_text(text)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.INVALID_FIELD, str(exc)) from None
