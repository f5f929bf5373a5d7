"""The display-name rule: what a participant may be called, on the wire and in the SDK.

:func:`check_display_name` is the one place that decides, and it returns the
canonical form every caller sends and shows:

- normalised to NFC and trimmed of blanks at both ends;
- 1-64 printable characters (no control, format or bidi characters);
- at least one visible character: a name of only fillers (U+3164 HANGUL FILLER,
  U+2800 BRAILLE PATTERN BLANK ...) or combining marks is refused;
- no word that mixes scripts with look-alike letters ("Аda" with a Cyrillic А):
  Unicode's confusables data (the ``confusable-homoglyphs`` package) decides;
- no label the app itself adds after a name, such as "(you)" or the verified mark.

Within one room two names that look alike are told apart by the server with
:func:`distinct_name` ("Ada", "Ada (2)"), comparing :func:`name_skeleton`: the
confusables skeleton of UTS #39, case-folded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

from confusable_homoglyphs import confusables

from parley.protocol.errors import ErrorCode, ProtocolError

MAX_NAME_LENGTH = 64
DISPLAY_NAME_RULE = f"1-{MAX_NAME_LENGTH} printable characters"
"""The rule in words, for messages."""

_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5\u034f\u2060\ufeff")
"""Letters and symbols that draw nothing (Hangul fillers, the Braille blank ...)."""
_INVISIBLE_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Zs", "Cc"})
VERIFIED_MARK = "\u2713"
"""What the app shows after a name an identity grant vouches for (✓)."""
_RESERVED_LABELS = ("(you)", "(verified)", "(host)", "(guest)", VERIFIED_MARK, "\u2714",
                    "\u2611", "\u2705", "\U0001f5f8", "\U0001f5f9")
"""What the app writes after a name itself (and marks like it); a name that ends with one
is refused."""
_BIDI_MARKS = "\u200e\u200f"


def check_display_name(name: object) -> str:
    """The display name to use for ``name``: NFC, trimmed, checked.

    Raises:
        ValueError: ``name`` is not a string of 1-64 printable characters with a
            visible one among them, or it passes for another script's letters, or
            it ends with a label the app adds ("(you)").
    """
    if not isinstance(name, str):
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}")
    text = unicodedata.normalize("NFC", name).strip()
    if not text or len(text) > MAX_NAME_LENGTH or not text.isprintable():
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}")
    if not any(_visible(c) for c in text):
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}, one of them visible")
    if any(_passes_for_another_script(word) for word in text.split()):
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}, without letters of "
                         "one script passing for another's")
    folded = name_skeleton(text).replace(" ", "")
    if any(folded.endswith(name_skeleton(label)) for label in _RESERVED_LABELS):
        raise ValueError(f"display_name must be {DISPLAY_NAME_RULE}, not ending with a "
                         "label the app adds, such as (you) or (verified)")
    return text


def validate_display_name(name: object) -> None:
    """Raise ProtocolError(INVALID_FIELD) unless :func:`check_display_name` accepts ``name``."""
    try:
        check_display_name(name)
    except ValueError as exc:
        raise ProtocolError(ErrorCode.INVALID_FIELD, str(exc)) from None


def name_skeleton(name: str) -> str:
    """What ``name`` looks like: two names with one skeleton are confusable.

    UTS #39's skeleton (NFD, each character replaced by its confusables
    prototype, NFD again), then case-folded and with blanks collapsed, so "Ada",
    "ADA", "Аda" (Cyrillic А) and "Ada " share one.
    """
    text = unicodedata.normalize("NFD", name)
    mapped = "".join(_prototype(c) for c in text if c not in _FILLERS)
    skeleton = unicodedata.normalize("NFD", mapped).casefold()
    return " ".join(skeleton.split())


def distinct_name(name: str, taken: Iterable[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)`` ... whose skeleton no name in ``taken`` has.

    The base is shortened when needed so that the result stays within 64 characters.
    """
    skeletons = {name_skeleton(t) for t in taken}
    if name_skeleton(name) not in skeletons:
        return name
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[:MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix
        if name_skeleton(candidate) not in skeletons:
            return candidate
        n += 1


def _passes_for_another_script(word: str) -> bool:
    """``confusables.is_dangerous``, but combining marks (script INHERITED) belong to the
    letter they sit on: "A̋" is one script, not two."""
    return bool(confusables.is_mixed_script(word, allowed_aliases=["COMMON", "INHERITED"])
                and confusables.is_confusable(word, preferred_aliases=[]))


def _visible(char: str) -> bool:
    return char not in _FILLERS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


@cache
def _prototype(char: str) -> str:
    """``char``'s confusables prototype (itself when it has none).

    The package's table lists each pair both ways: a character that is a source
    in Unicode's confusables.txt has exactly one entry, its prototype; a
    prototype lists all its sources. A lone pair that lists each other is
    mapped to the smaller of the two, so that both sides agree.
    """
    entries = _table().get(char)
    if not entries or len(entries) != 1:
        return char
    target = str(entries[0]["c"]).strip(_BIDI_MARKS)
    back = _table().get(target)
    if back is not None and len(back) == 1 and str(back[0]["c"]).strip(_BIDI_MARKS) == char:
        return min(char, target)
    return target


@cache
def _table() -> dict[str, list[dict[str, str]]]:
    data: dict[str, list[dict[str, str]]] = confusables.confusables_data
    return data

