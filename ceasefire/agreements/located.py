"""YAML with line numbers: plain Python values plus a map from each value's path to its line."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["Located", "load_located"]

Path_ = tuple[str | int, ...]


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


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if node.style in ("'", '"'):
        return value
    if tag == "tag:yaml.org,2002:int":
        return int(value.replace("_", ""), 0)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:null":
        return None
    return value  # timestamps and strings stay text; the validator parses them with context


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*path, key)
            result[key] = _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), lines) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    return None


def load_located(text: str) -> Located:
    """Parse YAML safely (no tags, no code) keeping line numbers. Raises ``yaml.YAMLError``."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}
    data = None if node is None else _walk(node, (), lines)
    return Located(data, lines)
