"""YAML with line numbers: `yaml.safe_load`'s data plus where each value stood.

`load_located(text)` returns (data, lines) where `lines` maps a field path such
as ("pages", 1, "articles", 2, "source") to its 1-based line. Only the safe
loader's constructors are used, so nothing but plain data can be built.

The loader is bounded, because edition files come from many hands: aliases
may not expand a document past `MAX_VALUES` values (the "billion laughs"),
nesting stops at `MAX_DEPTH`, a key must be a plain scalar, numbers must be
finite and of a sane size, and a scalar that cannot be built (2026-02-30) is
an error on its own line — never an exception.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import yaml

Path = tuple

MAX_VALUES = 50_000        # values in one document, aliases counted each time they are used
MAX_DEPTH = 40             # nesting of mappings and lists
MAX_NUMBER = 2 ** 53       # larger whole numbers mean nothing in an edition (and lose precision as floats)


class YamlError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and
# marks, parsed in C — the pure-Python scanner was most of the load stage of a
# 430-article edition. Only the safe constructors run either way.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_located(text: str) -> tuple[Any, dict[Path, int]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        data = _Builder(loader, lines).build(node, (), 0) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every parser error is marked
        raise YamlError(f"invalid YAML: {exc}", 0) from None
    except RecursionError:  # libyaml nests deeper than Python's stack before our depth check
        raise YamlError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", 0) from None
    finally:
        loader.dispose()
    return data, lines


@functools.lru_cache(maxsize=2)
def load_located_kept(text: str) -> tuple[Any, dict[Path, int]]:
    """`load_located`, remembered for the last texts: `banmian watch` builds an edition
    again after each save, and edition.yaml (a 64-page edition's ~900 lines take ~12 ms)
    has most often not changed. The data is shared between the calls that ask for the
    same text: it is read, never changed (the loader builds its own objects from it). An
    error is raised again each time (lru_cache keeps no exceptions)."""
    return load_located(text)


class _Builder:
    """Nodes to plain data, counting every value built (an alias costs what it expands to)."""

    def __init__(self, loader, lines: dict):
        self.loader = loader
        self.lines = lines
        self.values = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlError(f"the document expands to more than {MAX_VALUES:,} values "
                            "(aliases repeating aliases?)", line)
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", line)
        self.lines[path] = line
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                if key in out:
                    raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
                out[key] = self.build(value_node, path + (key,), depth + 1)
                self.lines[path + (key,)] = key_node.start_mark.line + 1  # report the key's line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlError("a key must be plain text, not a list or a mapping", node.start_mark.line + 1)
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError) as exc:
            # 2026-02-30 (a timestamp the calendar does not have), a 5,000-digit number …
            raise YamlError(f"cannot read {node.value[:40]!r}: {exc}", line) from None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and abs(value) > MAX_NUMBER:
            raise YamlError(f"number too large: {node.value[:40]}", line)
        if isinstance(value, float) and not math.isfinite(value):
            raise YamlError(f"not a finite number: {node.value}", line)
        return value


def field_name(path: Path) -> str:
    """("pages", 1, "articles", 2, "source") -> "pages[1].articles[2].source"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
