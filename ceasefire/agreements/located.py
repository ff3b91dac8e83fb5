"""YAML with line numbers: plain Python values plus a map from each value's path to its line.

Parsing is safe (no tags, no code) and bounded in time and memory: the document is built from
the parser's events as they come (libyaml's parser when PyYAML has it, PyYAML's own otherwise),
and reading stops at the first event past a bound, with a :class:`LocatedError` naming its line
— more than ``MAX_NODES`` values counting every alias as the values it repeats (an alias bomb
expands to millions), or nesting deeper than ``MAX_DEPTH``.  Nothing is composed first: PyYAML's
composer took two minutes over a 2.6 MB file before any bound could be checked, and libyaml's
recursed without limit (a segmentation fault at 100,000 levels).

An alias is read as a copy of its anchor's value; the lines of the values inside it are the
alias's own line.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_NODES", "Located", "LocatedError", "load_located"]

Path_ = tuple[str | int, ...]
MAX_NODES = 200_000
MAX_DEPTH = 64
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: 20 × faster


class LocatedError(ValueError):
    """The document cannot be read as data (too large, too deep); ``line`` says where."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class Located:
    """The parsed document and where each part of it stands in the file."""

    def __init__(self, data: Any, lines: dict[Path_, int]) -> None:
        self.data = data
        self.lines = lines

    def line(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that exists in the file."""
        probe = tuple(path)
        while probe not in self.lines and probe:
            probe = probe[:-1]
        return self.lines.get(probe, 1)


_FLOAT_WORDS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


_RESOLVER = yaml.resolver.Resolver()


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    value = event.value
    if event.style in ("'", '"'):
        return value
    if tag == "tag:yaml.org,2002:int":
        digits = value.replace("_", "")
        try:
            return int(digits, 0)
        except ValueError:
            return value  # "017" (a YAML 1.1 octal) stays text: the validator says what it wants
    if tag == "tag:yaml.org,2002:float":
        word = value.lower()
        if word in _FLOAT_WORDS:
            return _FLOAT_WORDS[word]  # the validator refuses non-finite numbers
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:null":
        return None
    return value  # timestamps and strings stay text; the validator parses them with context


@dataclass
class _Open:
    """A mapping or sequence being read: its value, path, anchor, and what it holds so far."""

    value: Any
    path: Path_
    anchor: str | None
    first_count: int  # values read before it (its size is the difference at its end)
    depth_below: int = 0  # how deep its contents go below it
    key: str | None = None  # a mapping's key waiting for its value
    key_line: int = 0
    in_key: int = 0  # > 0 while inside a complex key (its content is skipped)
    items: int = 0


@dataclass
class _Builder:
    lines: dict[Path_, int] = field(default_factory=dict)
    anchors: dict[str, tuple[Any, int, int]] = field(default_factory=dict)  # value, size, depth
    stack: list[_Open] = field(default_factory=list)
    count: int = 0
    documents: int = 0
    root: Any = None

    def _count(self, n: int, depth: int, line: int) -> None:
        self.count += n
        if self.count > MAX_NODES:
            raise LocatedError(
                f"the document has more than {MAX_NODES:,} values (aliases expanded)", line
            )
        if depth > MAX_DEPTH:
            raise LocatedError(f"the document is nested more than {MAX_DEPTH} levels deep", line)

    def _slot(self, line: int) -> Path_ | None:
        """The path of the value about to be read, or None for a mapping key (or inside one)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.in_key:
            return None
        if isinstance(top.value, list):
            return (*top.path, top.items)
        if top.key is None:
            return None  # this value is a key
        return (*top.path, top.key)

    def _place(self, path: Path_, value: Any, line: int) -> None:
        """Put a finished value where it belongs (the root, a list, a mapping's key)."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            top.items += 1
            self.lines[path] = line
        else:
            assert top.key is not None
            top.value[top.key] = value
            self.lines[path] = top.key_line  # a mapping's value stands on its key's line
            top.key = None

    def _depth(self, path: Path_, below: int) -> None:
        for frame in self.stack:
            frame.depth_below = max(frame.depth_below, len(path) + below - len(frame.path))

    def feed(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise LocatedError("expected a single document in the file", line)
            return
        if not isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
            return
        top = self.stack[-1] if self.stack else None
        if top is not None and top.in_key:  # a complex key: counted, never kept
            if isinstance(event, yaml.CollectionStartEvent):
                top.in_key += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                top.in_key -= 1
                if top.in_key == 0:
                    top.key, top.key_line = "?", line
            self._count(1, 0, line)
            return
        if isinstance(event, yaml.CollectionEndEvent):
            done = self.stack.pop()
            size = self.count - done.first_count
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.value, size, done.depth_below)
            self._place(done.path, done.value, self.lines.get(done.path, line))
            return
        path = self._slot(line)
        if path is None:  # a mapping key
            assert top is not None
            if isinstance(event, yaml.ScalarEvent):
                top.key, top.key_line = str(event.value), line
            elif isinstance(event, yaml.AliasEvent):
                top.key, top.key_line = "?", line
            else:
                top.in_key = 1
                self._count(1, 0, line)
            return
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise LocatedError(f"the alias *{event.anchor} names no anchor before it", line)
            value, size, below = self.anchors[event.anchor]
            self._count(size, len(path) + below, line)
            self._depth(path, below)
            self.lines[path] = line
            self._place(path, copy.deepcopy(value), line)
            return
        self._count(1, len(path), line)
        self._depth(path, 0)
        self.lines[path] = line
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
            if event.anchor is not None:
                self.anchors[event.anchor] = (value, 1, 0)
            self._place(path, value, line)
        else:
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            self.stack.append(_Open(container, path, event.anchor, self.count - 1))


def load_located(text: str) -> Located:
    """Parse YAML safely keeping line numbers. Raises ``yaml.YAMLError`` or :class:`LocatedError`."""
    builder = _Builder()
    for event in yaml.parse(text, Loader=_LOADER):
        builder.feed(event)
    return Located(builder.root, builder.lines)
