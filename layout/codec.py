"""A data format for what banmian keeps between builds: JSON that can only build data.

The build cache lives in OUT, a folder anyone may copy, share or edit, so
what is read back from it must not be able to run code (pickle can: any
callable may be named in a pickle). `encode(obj)` writes plain JSON in
which a value of one of the registered types is `{"o": name, "v": [its
fields in order]}`; `decode(data)` builds back only those types (and
tuples, sets, bytes, paths, dates, enums) — an unknown name, a wrong number
of fields or malformed JSON is `CodecError`, never anything else.

Floats survive exactly (JSON writes Python's shortest round-tripping repr),
so a page drawn from decoded blocks is byte-identical to one drawn from the
originals.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path


class CodecError(ValueError):
    """The data is not something `encode` wrote."""


_BY_NAME: dict[str, type] = {}
_FIELDS: dict[type, tuple[str, tuple[str, ...] | None]] = {}   # type -> (name, dataclass fields | None: a NamedTuple)
_ENUMS: dict[str, type] = {}


def register(*classes: type) -> None:
    """Allow `classes` (frozen or plain dataclasses whose fields are all init fields,
    NamedTuples, Enums) in encoded data."""
    for cls in classes:
        name = cls.__qualname__
        if _BY_NAME.get(name, cls) is not cls or _ENUMS.get(name, cls) is not cls:
            raise ValueError(f"two registered types are called {name}")
        if issubclass(cls, enum.Enum):
            _ENUMS[name] = cls
        elif dataclasses.is_dataclass(cls):
            fields = tuple(f.name for f in dataclasses.fields(cls))
            if not all(f.init for f in dataclasses.fields(cls)):
                raise ValueError(f"{name}: every field must be an init field")
            _BY_NAME[name], _FIELDS[cls] = cls, (name, fields)
        elif issubclass(cls, tuple) and hasattr(cls, "_fields"):
            _BY_NAME[name], _FIELDS[cls] = cls, (name, None)
        else:
            raise ValueError(f"{name}: only dataclasses, NamedTuples and Enums can be registered")


def _enc(o):
    t = type(o)
    if t is str or t is int or t is float or t is bool or o is None:
        return o
    if t is list:
        return [_enc(x) for x in o]
    spec = _FIELDS.get(t)
    if spec is not None:
        name, fields = spec
        values = o if fields is None else [getattr(o, f) for f in fields]
        return {"o": name, "v": [_enc(x) for x in values]}
    if t is tuple:
        return {"t": [_enc(x) for x in o]}
    if t is dict:
        return {"m": [[_enc(k), _enc(v)] for k, v in o.items()]}
    if t is set or t is frozenset:
        return {"s" if t is set else "f": sorted((_enc(x) for x in o), key=repr)}
    if t is bytes:
        return {"b": base64.b64encode(o).decode("ascii")}
    if isinstance(o, Path):
        return {"p": str(o)}
    if t is dt.date:
        return {"d": o.isoformat()}
    if isinstance(o, enum.Enum) and type(o).__qualname__ in _ENUMS:
        return {"e": [type(o).__qualname__, o.value]}
    raise TypeError(f"cannot encode {t.__qualname__}")


def _hook(d: dict):
    if len(d) == 1:
        ((tag, value),) = d.items()
        if tag == "t":
            return tuple(value)
        if tag == "m":
            return {_hashable(k): v for k, v in value}
        if tag == "s":
            return {_hashable(x) for x in value}
        if tag == "f":
            return frozenset(_hashable(x) for x in value)
        if tag == "b":
            return base64.b64decode(value, validate=True)
        if tag == "p":
            return Path(value)
        if tag == "d":
            return dt.date.fromisoformat(value)
        if tag == "e":
            return _ENUMS[value[0]](value[1])
    elif len(d) == 2 and "o" in d and "v" in d:
        cls = _BY_NAME[d["o"]]
        if _FIELDS[cls][1] is None:
            return cls._make(d["v"])
        return cls(*d["v"])
    raise CodecError(f"not an encoded value: {sorted(d)[:4]}")


def _hashable(x):
    if isinstance(x, list):
        raise CodecError("a list cannot be a key")
    return x


def encode(obj) -> bytes:
    return json.dumps(_enc(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode("utf-8")


def decode(data: bytes):
    try:
        return json.loads(data, object_hook=_hook)
    except CodecError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # malformed JSON, an unknown type name, a wrong number of fields, bad base64 …
        raise CodecError(f"{type(exc).__name__}: {exc}") from None
