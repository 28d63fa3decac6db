"""Load stage: read YAML safely and remember the line of every value.

Loading never writes. It refuses what a handout never needs and an attacker would
use: anchors and aliases (alias bombs), duplicate keys (a silently lost value),
tags (``!!python/...``, ``!!str``, ``!foo``: types are the model's business), nesting
deeper than ``MAX_YAML_DEPTH``, more than a node budget, values that cannot be read
(an impossible date, a number too large, ``.nan``/``.inf``) and files over a size cap.

Data is built from the parser's event stream with an explicit stack, not with
PyYAML's composer: the composer recurses once per nesting level (a deep file would
crash the interpreter) and builds every node before anything could be refused.
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from handoutgen.errors import Location, SourceError

MAX_YAML_BYTES = 512 * 1024
# A handout nests 4 levels (aftercare.normal[0].what_helps[0]); 32 leaves room for any real file.
MAX_YAML_DEPTH = 32
# Nodes (scalars, lists, mappings) allowed per KiB of the size cap: a real roster row takes
# about 12 bytes per node, a handout far more; a file of bare "[1,1,1,...]" would take 2.
YAML_NODES_PER_KIB = 200

# A path into loaded data: mapping keys and list indices, e.g. ("aftercare", "normal", 0).
DataPath = tuple[str | int, ...]


def dotted(loc: DataPath) -> str:
    """``("aftercare", "normal", 0, "what")`` → ``aftercare.normal[0].what``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


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

_YAML_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (_YAML_TAG + name for name in ("null", "bool", "int", "float", "timestamp"))


class _Mark(Protocol):
    """Where an event starts: a mark of PyYAML's pure-Python parser or of libyaml's."""

    line: int  # 0-based


class _Refused(Exception):
    """A YAML problem at an event's line (turned into a SourceError with the file's path)."""

    def __init__(self, message: str, mark: _Mark | None, data_path: DataPath | None = None):
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None
        self.data_path = data_path


@dataclass
class _Open:
    """A list or mapping still being read."""

    value: list[Any] | dict[str, Any]
    path: DataPath
    key: str | None = None  # a mapping's key waiting for its value
    key_mark: _Mark | None = None

    def child_path(self) -> DataPath:
        if isinstance(self.value, list):
            return (*self.path, len(self.value))
        assert self.key is not None  # a mapping's child is the value of the key just read
        return (*self.path, self.key)

    def add(self, child: Any) -> None:
        """A finished child: appended to a list, or set under the key waiting for it."""
        if isinstance(self.value, list):
            self.value.append(child)
        else:
            assert self.key is not None
            self.value[self.key] = child
            self.key = None


def _scalar(loader: Any, event: yaml.ScalarEvent, data_path: DataPath, read_dates: bool = True) -> Any:
    """The value of one untagged scalar, as YAML 1.1's implicit types read it."""
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _TIMESTAMP and not read_dates:
        return event.value  # the caller checks it, e.g. per roster row
    if tag not in (_NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP):
        return event.value  # text, and the oddities "<<" and "=" kept as the text they are
    # The stubs' nodes take only the pure-Python parser's marks; libyaml's serve the same.
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
    try:
        value = loader.construct_object(node)
    except (ValueError, OverflowError) as error:  # "2026-02-30", year 0, a 5,000-digit number
        if tag == _TIMESTAMP:
            problem = f"is not a real date ({error})"
        else:
            problem = "is too large a number; put text in quotes"
        raise _Refused(f"'{_clip(event.value)}' {problem}", event.start_mark, data_path) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused(f"'{_clip(event.value)}' is not a finite number; put text in quotes",
                       event.start_mark, data_path)
    return value


def _short_tag(tag: str) -> str:
    """A tag as its author wrote it: ``tag:yaml.org,2002:str`` → ``!!str``."""
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _build(loader: Any, max_nodes: int, read_dates: bool = True) -> tuple[Any, dict[DataPath, int]]:
    """Read the event stream into plain data and a line map, refusing early what is not allowed."""
    lines: dict[DataPath, int] = {}
    stack: list[_Open] = []
    result: Any = {}  # an empty file is an empty mapping
    documents = nodes = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused("YAML syntax: only one document per file ('---' starts another)",
                               event.start_mark)
            continue
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML syntax: anchors and aliases (&name, *name) are not allowed", event.start_mark)
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            value = stack.pop().value
        elif isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            nodes += 1
            if nodes > max_nodes:
                raise _Refused(f"YAML: more than {max_nodes} values in one file", event.start_mark)
            parent = stack[-1] if stack else None
            is_key = isinstance(parent, _Open) and isinstance(parent.value, dict) and parent.key is None
            data_path = parent.child_path() if parent is not None and not is_key else ()
            if event.tag is not None:
                raise _Refused(f"YAML: tags such as '{_clip(_short_tag(event.tag))}' are not allowed; "
                               "write plain values (quote text that looks like a number or date)",
                               event.start_mark, data_path)
            if is_key:
                assert parent is not None and isinstance(parent.value, dict)  # what is_key means
                if not isinstance(event, yaml.ScalarEvent):
                    raise _Refused("YAML: a key must be plain text, not a list or mapping", event.start_mark)
                key = _scalar(loader, event, parent.path)
                key = key if isinstance(key, str) else str(key)
                if key in parent.value:
                    raise _Refused(f"YAML syntax: duplicate key '{_clip(key)}'", event.start_mark)
                parent.key, parent.key_mark = key, event.start_mark
                continue
            # A mapping value is on its key's line, where an author looks for it.
            mark = event.start_mark if parent is None or isinstance(parent.value, list) else parent.key_mark
            assert mark is not None  # the parser marks every event
            lines[data_path] = mark.line + 1
            if isinstance(event, yaml.ScalarEvent):
                value = _scalar(loader, event, data_path, read_dates)
            else:
                if len(stack) >= MAX_YAML_DEPTH:
                    raise _Refused(f"YAML: nesting deeper than {MAX_YAML_DEPTH} levels", event.start_mark)
                stack.append(_Open([] if isinstance(event, yaml.SequenceStartEvent) else {}, data_path))
                continue
        else:  # stream and document ends
            continue
        if not stack:
            result = value
        else:
            stack[-1].add(value)
    return result, lines


def read_text(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A regular file's UTF-8 text, line breaks as "\\n"; never more than ``max_bytes`` are read."""
    data = read_bytes(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text ({error.reason})", Location(path)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes; never more than ``max_bytes`` are read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block, /dev/zero would never end
            raise SourceError("not a regular file", Location(path))
        if info.st_size > max_bytes:
            raise SourceError(f"file is {info.st_size} bytes, over the {max_bytes}-byte limit", Location(path))
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", Location(path)) from None
    if len(data) > max_bytes:
        raise SourceError(f"file is over the {max_bytes}-byte limit", Location(path))
    return data


def load_yaml(path: Path, max_bytes: int = MAX_YAML_BYTES, max_nodes: int | None = None,
              read_dates: bool = True) -> Loaded:
    """Parse one YAML file into plain data with a line map; raise SourceError with a line.

    With ``read_dates`` false, date-like scalars stay text (a roster checks them row by row).

    ``max_nodes`` defaults to ``YAML_NODES_PER_KIB`` for every KiB of ``max_bytes``.
    """
    return parse_yaml(read_text(path, max_bytes), path, max_nodes or YAML_NODES_PER_KIB * max(1, max_bytes // 1024),
                      read_dates)


def parse_yaml(text: str, path: Path, max_nodes: int, read_dates: bool = True) -> Loaded:
    """``load_yaml`` for text already read (e.g. a document's front matter); errors name ``path``."""
    loader = _Loader(text)
    try:
        data, lines = _build(loader, max_nodes, read_dates)
    except _Refused as refused:
        field_name = dotted(refused.data_path) if refused.data_path else None
        raise SourceError(refused.message, Location(path, refused.line, field_name)) from None
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
