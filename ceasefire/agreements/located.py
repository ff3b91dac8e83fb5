"""YAML with line numbers: plain Python values plus a map from each value's path to its line.

Parsing is safe (no tags, no code) and bounded: a document with more than ``MAX_NODES`` values
(an alias bomb expands to millions) or nested deeper than ``MAX_DEPTH`` is refused with a
:class:`LocatedError` naming the line, before anything is built.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_NODES", "Located", "LocatedError", "load_located"]

Path_ = tuple[str | int, ...]
MAX_NODES = 200_000
MAX_DEPTH = 64


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


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if node.style in ("'", '"'):
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


class _Walker:
    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.count = 0

    def walk(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise LocatedError(
                f"the document has more than {MAX_NODES:,} values (aliases expanded)", line
            )
        if len(path) > MAX_DEPTH:
            raise LocatedError(f"the document is nested more than {MAX_DEPTH} levels deep", line)
        self.lines[path] = line
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                # a key is its text: YAML 1.1 would read `on:` or `no:` as a boolean
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                child = (*path, key)
                result[key] = self.walk(value_node, child)
                self.lines[child] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        return None


def load_located(text: str) -> Located:
    """Parse YAML safely keeping line numbers. Raises ``yaml.YAMLError`` or :class:`LocatedError`."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    walker = _Walker()
    data = None if node is None else walker.walk(node, ())
    return Located(data, walker.lines)
