"""YAML with line numbers: `yaml.safe_load`'s data plus where each value stood.

`load_located(text)` returns (data, lines) where `lines` maps a field path such
as ("pages", 1, "articles", 2, "source") to its 1-based line. Only the safe
loader's constructors are used, so nothing but plain data can be built.
"""
from __future__ import annotations

from typing import Any

import yaml

Path = tuple


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
        data = _construct(loader, node, (), lines) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every parser error is marked
        raise YamlError(f"invalid YAML: {exc}", 0) from None
    finally:
        loader.dispose()
    return data, lines


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: Path, lines: dict) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            out[key] = _construct(loader, value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1  # report the key's line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, path + (i,), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def field_name(path: Path) -> str:
    """("pages", 1, "articles", 2, "source") -> "pages[1].articles[2].source"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
