"""Load stage: read YAML safely and remember the line of every value.

Loading never writes. It refuses what a handout never needs and an attacker would
use: anchors and aliases (alias bombs), duplicate keys (a silently lost value),
custom tags, and files over a size cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from handoutgen.errors import Location, SourceError

MAX_YAML_BYTES = 512 * 1024

# A path into loaded data: mapping keys and list indices, e.g. ("aftercare", "normal", 0).
DataPath = tuple[str | int, ...]


@dataclass
class Loaded:
    """Plain data from one YAML file plus the 1-based line of every value in it."""

    path: Path
    data: Any
    lines: dict[DataPath, int] = field(default_factory=dict)

    def line_of(self, data_path: DataPath) -> int:
        """Line of the deepest known value on ``data_path`` (a missing key points at its parent)."""
        for end in range(len(data_path), -1, -1):
            if (line := self.lines.get(tuple(data_path[:end]))) is not None:
                return line
        return 1


# libyaml's C parser when PyYAML has it (about 15x faster), else the pure-Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_anchors(text: str) -> None:
    """Stop at the first anchor or alias token, before anything could expand."""
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (&name, *name) are not allowed", problem_mark=token.start_mark
            )


def _to_data(loader: yaml.SafeLoader, node: yaml.Node, path: DataPath, lines: dict) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark
                )
            child = (*path, key)
            result[key] = _to_data(loader, value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_text(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", Location(path)) from None
    if size > max_bytes:
        raise SourceError(
            f"file is {size} bytes, over the {max_bytes}-byte limit", Location(path)
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text ({error.reason})", Location(path)) from None
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", Location(path)) from None


def load_yaml(path: Path, max_bytes: int = MAX_YAML_BYTES) -> Loaded:
    """Parse one YAML file into plain data with a line map; raise SourceError with a line."""
    text = read_text(path, max_bytes)
    loader = _Loader(text)
    try:
        _refuse_anchors(text)
        node = loader.get_single_node()
        lines: dict[DataPath, int] = {}
        data = {} if node is None else _to_data(loader, node, (), lines)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or "invalid YAML"
        if error.context and error.problem:
            problem = f"{error.context}: {error.problem}"
        raise SourceError(f"YAML syntax: {problem}", Location(path, line)) from None
    except yaml.YAMLError as error:
        raise SourceError(f"YAML syntax: {error}", Location(path)) from None
    finally:
        loader.dispose()
    return Loaded(path, data, lines)
