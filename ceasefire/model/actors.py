"""Actors: ids, dated names, lineage, coalitions, and name resolution at a date.

An exclusion in an agreement binds to an actor id, never to a string: Jabhat al-Nusra renamed
itself Jabhat Fateh al-Sham on 28 Jul 2016 and merged into Hay'at Tahrir al-Sham on 28 Jan 2017,
and all three share one *lineage*.  :meth:`ActorRegistry.resolve` turns a name seen in a source
at a date into an actor id with a confidence, following the lineage when the name is out of date.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ceasefire.errors import IntakeError

__all__ = ["Actor", "ActorRegistry", "Membership", "Resolution", "normalise_name"]

_ARTICLE = re.compile(r"\b(al|el|ad|an|ar|as|ash|at|az|ul)[- ]", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")


def normalise_name(name: str) -> str:
    """Fold case, accents, apostrophes, hyphens and Arabic articles so spellings meet."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("`", "'").replace("'", "")
    text = _ARTICLE.sub("", text.lower())
    return _NON_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Actor:
    id: str
    canonical_name: str
    type: str
    side: str
    aliases: tuple[str, ...] = ()
    arabic: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    predecessor: str | None = None
    successor: str | None = None
    lineage: str | None = None
    members: tuple[str, ...] = ()
    source_names: tuple[str, ...] = ()  # "ucdp:IS", "acled:Islamic State (Syria)"
    notes: str = ""
    sources: tuple[str, ...] = ()

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day >= self.valid_to)

    @property
    def lineage_key(self) -> str:
        return self.lineage or self.id


@dataclass(frozen=True)
class Membership:
    """A group's membership of a coalition between two dates: the member stays itself (Nour
    al-Din al-Zenki joined Hay'at Tahrir al-Sham in January 2017 and left it in July)."""

    member: str
    of: str
    joined: date
    left: date | None = None
    sources: tuple[str, ...] = ()

    def on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)


@dataclass(frozen=True)
class Resolution:
    name: str
    actor_ids: tuple[str, ...]
    confidence: float
    method: str  # exact | alias | lineage | member-split | unresolved

    @property
    def resolved(self) -> bool:
        return bool(self.actor_ids)


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return date(int(text[:4]), int(text[5:7]), 1)
    return date.fromisoformat(text)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


@dataclass
class ActorRegistry:
    actors: dict[str, Actor] = field(default_factory=dict)
    _names: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _source_names: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    memberships: list[Membership] = field(default_factory=list)

    def add(self, actor: Actor) -> None:
        if actor.id in self.actors:
            raise ValueError(f"duplicate actor id {actor.id}")
        self.actors[actor.id] = actor
        for name in (actor.id, actor.canonical_name, *actor.aliases, *actor.arabic):
            ids = self._names.setdefault(normalise_name(name), [])
            if actor.id not in ids:
                ids.append(actor.id)
        for tagged in actor.source_names:
            system, _, name = tagged.partition(":")
            self._source_names[(system, name)] = actor.id

    def add_alias(
        self, actor_id: str, names: Iterable[str], source_names: Iterable[str] = ()
    ) -> None:
        """More names for an existing actor (an agreement's own spellings)."""
        for name in names:
            ids = self._names.setdefault(normalise_name(name), [])
            if actor_id not in ids:
                ids.append(actor_id)
        for tagged in source_names:
            system, _, name = tagged.partition(":")
            self._source_names[(system, name)] = actor_id

    def add_membership(self, membership: Membership) -> None:
        for actor_id in (membership.member, membership.of):
            if actor_id not in self.actors:
                raise ValueError(f"membership names unknown actor {actor_id}")
        if membership.left is not None and membership.left <= membership.joined:
            raise ValueError(f"{membership.member} leaves {membership.of} before it joins")
        self.memberships.append(membership)

    def coalitions_of(self, actor_id: str, on: date) -> tuple[Membership, ...]:
        """The coalitions ``actor_id`` belonged to on ``on``."""
        return tuple(m for m in self.memberships if m.member == actor_id and m.on(on))

    def copy(self) -> ActorRegistry:
        """An independent copy, to extend with an agreement's own actors and names."""
        return ActorRegistry(
            dict(self.actors),
            {k: list(v) for k, v in self._names.items()},
            dict(self._source_names),
            list(self.memberships),
        )

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self.actors

    def __iter__(self) -> Iterator[Actor]:
        return iter(self.actors.values())

    def get(self, actor_id: str) -> Actor:
        return self.actors[actor_id]

    def lineage_members(self, actor_id: str) -> tuple[str, ...]:
        key = self.actors[actor_id].lineage_key
        return tuple(sorted(a.id for a in self.actors.values() if a.lineage_key == key))

    def resolve(self, name: str, on: date, system: str | None = None) -> Resolution:
        """Resolve one name (not a comma-joined list) seen at ``on``."""
        stripped = name.strip()
        if system is not None and (system, stripped) in self._source_names:
            actor_id = self._source_names[(system, stripped)]
            return Resolution(stripped, (self._at_date(actor_id, on),), 1.0, "exact")
        candidates = self._names.get(normalise_name(stripped), [])
        if not candidates:
            return Resolution(stripped, (), 0.0, "unresolved")
        valid = [c for c in candidates if self.actors[c].valid_on(on)]
        if len(valid) == 1:
            exact = normalise_name(self.actors[valid[0]].canonical_name) == normalise_name(stripped)
            return Resolution(stripped, (valid[0],), 1.0 if exact else 0.95, "alias")
        if len(valid) > 1:
            return Resolution(stripped, tuple(sorted(valid)), 0.5, "ambiguous")
        # the name exists but not at this date: follow the lineage to the holder at ``on``
        actor_id = self._at_date(candidates[0], on)
        return Resolution(stripped, (actor_id,), 0.9, "lineage")

    def resolve_list(self, names: str, on: date, system: str | None = None) -> Resolution:
        """Resolve a UCDP-style comma-joined coalition ("Ahrar al-Sham, Jabhat Fateh al-Sham")."""
        whole = self.resolve(names, on, system)
        if whole.resolved or "," not in names:
            return whole
        parts = [self.resolve(part, on, system) for part in names.split(",") if part.strip()]
        ids = tuple(dict.fromkeys(i for part in parts for i in part.actor_ids))
        unresolved = [p.name for p in parts if not p.resolved]
        if unresolved:
            # keep what resolved; the caller sees the confidence drop and the missing names
            confidence = 0.0 if not ids else 0.5
            return Resolution(names.strip(), ids, confidence, "member-split-partial")
        return Resolution(names.strip(), ids, min(p.confidence for p in parts), "member-split")

    def _at_date(self, actor_id: str, on: date) -> str:
        actor = self.actors[actor_id]
        seen = {actor_id}
        while not actor.valid_on(on):
            nxt = actor.successor if actor.valid_to and on >= actor.valid_to else actor.predecessor
            if not nxt or nxt in seen or nxt not in self.actors:
                return actor_id
            seen.add(nxt)
            actor = self.actors[nxt]
        return actor.id

    @classmethod
    def from_csv(cls, path: Path) -> ActorRegistry:
        registry = cls()
        with path.open(encoding="utf-8", newline="") as handle:
            for line_no, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    registry.add(_actor_from_row(row))
                except (ValueError, KeyError) as exc:
                    raise IntakeError(f"{path}:{line_no}: actor row is invalid: {exc}") from exc
        return registry

    def load_memberships(self, path: Path) -> None:
        """Add the dated memberships of a CSV (member, of, joined, left, sources)."""
        with path.open(encoding="utf-8", newline="") as handle:
            for line_no, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    joined = _parse_date(row["joined"])
                    if joined is None:
                        raise ValueError("'joined' is empty")
                    self.add_membership(
                        Membership(
                            member=row["member"].strip(),
                            of=row["of"].strip(),
                            joined=joined,
                            left=_parse_date(row.get("left", "")),
                            sources=_split(row.get("sources", "")),
                        )
                    )
                except (ValueError, KeyError) as exc:
                    raise IntakeError(
                        f"{path}:{line_no}: membership row is invalid: {exc}"
                    ) from exc

    @classmethod
    def from_actors(cls, actors: Iterable[Actor]) -> ActorRegistry:
        registry = cls()
        for actor in actors:
            registry.add(actor)
        return registry


def _actor_from_row(row: dict[str, str]) -> Actor:
    return Actor(
        id=row["id"].strip(),
        canonical_name=row["canonical_name"].strip(),
        type=row["type"].strip(),
        side=row["side"].strip(),
        aliases=_split(row.get("aliases", "")),
        arabic=_split(row.get("arabic", "")),
        valid_from=_parse_date(row.get("valid_from", "")),
        valid_to=_parse_date(row.get("valid_to", "")),
        predecessor=row.get("predecessor", "").strip() or None,
        successor=row.get("successor", "").strip() or None,
        lineage=row.get("lineage", "").strip() or None,
        members=_split(row.get("members", "")),
        source_names=_split(row.get("source_names", "")),
        notes=row.get("notes", "").strip(),
        sources=_split(row.get("sources", "")),
    )
