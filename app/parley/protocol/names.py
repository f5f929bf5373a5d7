"""The display-name rule: what a participant may be called, on the wire and in the SDK.

:func:`check_display_name` is the one place that decides. It returns the name
as it is to be sent and shown (today the name unchanged); a canonical form
(Unicode normalisation, trimming, refusing look-alikes) belongs in it, so that
every caller that uses its result gets it at once.
"""

from __future__ import annotations

from parley.protocol.errors import ErrorCode, ProtocolError

MAX_NAME_LENGTH = 64
DISPLAY_NAME_RULE = f"1-{MAX_NAME_LENGTH} printable characters"
"""The rule in words, for messages."""


def check_display_name(name: object) -> str:
    """The display name to use for ``name``.

    Raises:
        ValueError: ``name`` is not a string of 1-64 printable characters, not all
            of them blank.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH \
            or not name.isprintable():
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}")
    return name


def validate_display_name(name: object) -> None:
    """Raise ProtocolError(INVALID_FIELD) unless :func:`check_display_name` accepts ``name``."""
    try:
        check_display_name(name)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.INVALID_FIELD, str(exc)) from None
