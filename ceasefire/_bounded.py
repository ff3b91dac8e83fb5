"""A memo with a size limit, for caches whose keys come from outside (a date in a query, a
client address, a token): the least recently used entry goes when a new one would pass the limit,
so no sequence of requests can make the table grow without bound."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["BoundedMemo", "IdentityMemo"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """At most ``limit`` entries, least recently used dropped first; safe across threads."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}.")
        self.limit = limit
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``make()`` kept from now on (made outside the lock: two
        threads may both make it, and the later one is kept)."""
        found = self.get(key)
        return found if found is not None else self.put(key, make())

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._items))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class IdentityMemo(Generic[K, V]):
    """Values derived from objects, found by the object itself (its identity, not its equality:
    an incident compares by every field, which costs more than deriving).  The memo holds each
    object it answers for, so an id cannot be reused while its entry lives; past ``limit``
    entries it starts again empty.  Shared by the states of a cache that keep the same objects
    (the incidents an import did not touch), so what was derived once is not derived again."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}.")
        self.limit = limit
        self._items: dict[int, tuple[K, V]] = {}

    def get(self, obj: K) -> V | None:
        hit = self._items.get(id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    def get_many(self, objs: Iterable[K]) -> list[V | None]:
        """:meth:`get` for each object, in order (one call for a whole archive's incidents)."""
        items = self._items
        return [
            hit[1] if (hit := items.get(id(obj))) is not None and hit[0] is obj else None
            for obj in objs
        ]

    def put(self, obj: K, value: V) -> V:
        if len(self._items) >= self.limit:
            self._items = {}  # a fresh table: a reader holding the old one still finds its own
        self._items[id(obj)] = (obj, value)
        return value

    def __len__(self) -> int:
        return len(self._items)
