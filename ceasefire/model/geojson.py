"""GeoJSON as read, before shapely sees it: how many positions a geometry holds.

Readers refuse a geometry with too many vertices before building it (shapely, validity checks
and every later request would pay for each vertex); counting must itself be cheap, so a ring or
a line is counted by its length, not position by position."""

from __future__ import annotations

from typing import Any

__all__ = ["vertex_count"]


def vertex_count(coords: Any) -> int:
    """The positions in GeoJSON ``coordinates`` (anything nested deeper than a MultiPolygon, or
    not a list, counts for none: shapely refuses it later)."""
    count = 0
    stack: list[tuple[Any, int]] = [(coords, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, list) or not node or depth > 3:
            continue
        if not isinstance(node[0], list):
            count += 1  # one position
        elif node[0] and not isinstance(node[0][0], list):
            count += len(node)  # a ring or a line: a list of positions
        else:
            stack.extend((child, depth + 1) for child in node)
    return count
