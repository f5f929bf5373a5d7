"""The field codec under the messages: dataclasses to JSON values and back, typed.

Decoding checks every field against its type hint (bool is not int, numbers are
finite, tuples come from arrays, nested dataclasses from objects) and raises only
:class:`~parley.protocol.errors.ProtocolError` (INVALID_FIELD, MALFORMED).
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, Union

from parley.protocol.errors import ErrorCode, ProtocolError


def _json_key(f: Any) -> str:
    return str(f.metadata.get("json", f.name))


def to_json(value: Any) -> Any:
    """A dataclass (or tuple of them, or a plain value) as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {_json_key(f): to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _bad(path: str, expected: str, value: Any) -> ProtocolError:
    return ProtocolError(
        ErrorCode.INVALID_FIELD, f"{path}: expected {expected}, got {type(value).__name__}"
    )


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _bad(path, "array", value)
        (inner, _ellipsis) = typing.get_args(tp)
        return tuple(_convert(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise _bad(path, "boolean", value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(path, "integer", value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(path, "number", value)
        try:
            number = float(value)  # an int too big for a float raises OverflowError
        except OverflowError:
            raise _bad(path, "finite number", value) from None
        if not math.isfinite(number):
            raise _bad(path, "finite number", value)
        return number
    if tp is str:
        if not isinstance(value, str):
            raise _bad(path, "string", value)
        return value
    if isinstance(tp, type) and is_dataclass(tp):
        if not isinstance(value, dict):
            raise _bad(path, "object", value)
        return build(tp, value, path)
    raise TypeError(f"unsupported field type {tp!r}")  # a bug in this module


def build(cls: type, obj: dict[str, Any], path: str) -> Any:
    """A ``cls`` from a JSON object, every field checked against its hint (``path``
    names where it sits, for error messages)."""
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        key = _json_key(f)
        where = f"{path}.{key}" if path else key
        if key in obj:
            kwargs[f.name] = _convert(hints[f.name], obj[key], where)
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"{where}: missing")
    return cls(**kwargs)


def reject_constant(name: str) -> Any:
    """``json.loads``'s ``parse_constant``: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")
