"""One incident across feeds: a news incident, a UCDP/ACLED row and a monitor's or party's report
of the same event become one linked incident, counted once.

A pair from two different feeds (``source_system``) is linked only when every criterion holds:
their time windows overlap (each at most :data:`MAX_WINDOW` long), their points lie within the
sum of their precision radii (a stated ``radius_m``, else the UCDP ``where_prec`` radius; a place
known only to a district or coarser, over :data:`MAX_RADIUS_M`, never links), an
actor of one is an actor of the other (same id or lineage, or a coalition of both), or both have
an actor on the same party side (government or opposition), and their types are compatible
(:func:`ceasefire.compliance.engine.incident_codes`: the same code, or an attack whose means the
source did not code beside any attack).  A doubtful pair (a missing point, an unresolved actor,
a window longer than a week) is not linked.  Two incidents of one feed are never linked: that
is de-duplication, a different thing.

An incident that meets every criterion with two incidents of one other feed is linked to neither
(it cannot say which event it reports; linking both would merge two events that feed counts
apart), and a group that would hold two incidents of one feed is not merged.

Candidates come, per other feed, from the incidents sorted by start (a window ends at most
:data:`MAX_WINDOW` after it starts) and near in space, never from all pairs.  The linked group's representative is
the member with the best place precision, then the narrowest window, then the most sources; the
others are listed in its ``linked``, their sources added to its own.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from ceasefire.compliance.engine import incident_codes
from ceasefire.geo.zones import EARTH_RADIUS_M, precision_radius_m
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.incidents import Axis, Incident, Judgement
from ceasefire.model.timewindow import micros

__all__ = [
    "LINKABLE",
    "MAX_RADIUS_M",
    "MAX_WINDOW",
    "LinkCheck",
    "apply_links",
    "check_pair",
    "find_links",
    "near_box",
]

LINKABLE = frozenset({"news", "ucdp", "acled", "report"})  # the feeds that report events
MAX_WINDOW = timedelta(days=7)  # a longer window cannot say two reports are one event
MAX_RADIUS_M = 25_000.0  # a coarser place (a district, a governorate) cannot say it either
PARTY_SIDES = frozenset({"government", "opposition"})  # a side that is one party of the conflict
LINKED_BY = "incident linking"


@dataclass(frozen=True)
class LinkCheck:
    """Every criterion of one pair, with what was measured; ``linked`` only when all hold."""

    a: str
    b: str
    criteria: dict[str, bool]
    detail: dict[str, Any]

    @property
    def linked(self) -> bool:
        return all(self.criteria.values())

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "linked": self.linked, "criteria": dict(self.criteria),
                "detail": dict(self.detail)}  # fmt: skip


def _radius(incident: Incident) -> float:
    place = incident.place
    return place.radius_m if place.radius_m is not None else precision_radius_m(place.precision)


def _distance_m(a: Incident, b: Incident) -> float | None:
    """Great-circle distance between the two points (``None`` when either has none)."""
    if None in (a.place.lat, a.place.lon, b.place.lat, b.place.lon):
        return None
    lat1, lon1 = math.radians(a.place.lat or 0.0), math.radians(a.place.lon or 0.0)
    lat2, lon2 = math.radians(b.place.lat or 0.0), math.radians(b.place.lon or 0.0)
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)  # fmt: skip
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _actor_ids(incident: Incident, registry: ActorRegistry) -> tuple[str, ...]:
    """The registry ids of the incident's actors (news names are ids already)."""
    on = incident.window.start.date()
    out: list[str] = []
    for actor in incident.actors:
        if actor.name in registry:
            out.append(actor.name)
            continue
        res = registry.resolve_list(actor.name, on, incident.source_system)
        out.extend(res.actor_ids)
    return tuple(dict.fromkeys(out))


def _affinities(ids: Iterable[str], registry: ActorRegistry, on: date) -> set[str]:
    """What an actor shares with another it is one with: id, lineage, coalitions, party side."""
    out: set[str] = set()
    for actor_id in ids:
        actor = registry.get(actor_id)
        out.add(f"actor:{actor_id}")
        out.add(f"lineage:{actor.lineage_key}")
        out.update(f"coalition:{m.of}" for m in registry.coalitions_of(actor_id, on))
        if actor.side in PARTY_SIDES:
            out.add(f"side:{actor.side}")
    return out


def _types_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same code, or an attack whose means the source did not code (UCDP's ``ATK.UNSPEC``,
    one-sided ``CIV.ATTACK``) beside any attack."""
    if set(a) & set(b):
        return True
    unspecified = {"ATK.UNSPEC", "CIV.ATTACK"}

    def attack(code: str) -> bool:
        return code.startswith("ATK.") or code == "CIV.ATTACK"

    return any(
        (x in unspecified and attack(y)) or (y in unspecified and attack(x)) for x in a for y in b
    )


def check_pair(a: Incident, b: Incident, registry: ActorRegistry) -> LinkCheck:
    """Every criterion of the pair (a, b), measured; see the module docstring."""
    if b.key < a.key:
        a, b = b, a
    overlap = min(a.window.end, b.window.end) - max(a.window.start, b.window.start)
    distance = _distance_m(a, b)
    within = _radius(a) + _radius(b)
    on = max(a.window.start, b.window.start).date()
    ids_a, ids_b = _actor_ids(a, registry), _actor_ids(b, registry)
    shared = sorted(_affinities(ids_a, registry, on) & _affinities(ids_b, registry, on))
    codes_a, codes_b = incident_codes(a), incident_codes(b)
    criteria = {
        "different_feeds": a.source_system != b.source_system
        and {a.source_system, b.source_system} <= LINKABLE,
        "time_overlap": overlap > timedelta(0)
        and a.window.end - a.window.start <= MAX_WINDOW
        and b.window.end - b.window.start <= MAX_WINDOW,
        "place_within_precision": distance is not None
        and max(_radius(a), _radius(b)) <= MAX_RADIUS_M
        and distance <= within,
        "actors_compatible": bool(shared),
        "type_compatible": bool(codes_a) and bool(codes_b) and _types_compatible(codes_a, codes_b),
    }
    detail = {
        "feeds": [a.source_system, b.source_system],
        "overlap_hours": round(max(overlap, timedelta(0)).total_seconds() / 3600, 2),
        "distance_m": None if distance is None else round(distance),
        "within_m": round(within) if math.isfinite(within) else None,
        "actors": [list(ids_a), list(ids_b)],
        "shared": shared,
        "types": [list(codes_a), list(codes_b)],
    }
    return LinkCheck(a.key, b.key, criteria, detail)


# the distance under which a pair is checked: the most two places within MAX_RADIUS_M each can
# be apart, with room for rounding (check_pair measures it again exactly)
_PREFILTER_M = 2 * MAX_RADIUS_M + 1.0


class _Feed:
    """One feed's candidates in start order: starts and ends (µs), points (radians), their
    places in the pool."""

    def __init__(self, members: list[tuple[int, Incident]]) -> None:
        self.order = np.array([n for n, _ in members], dtype=np.int64)
        self.starts = [micros(i.window.start) for _, i in members]
        self.ends = np.array([micros(i.window.end) for _, i in members], dtype=np.int64)
        self.lat = np.radians(np.array([i.place.lat for _, i in members], dtype=np.float64))
        self.lon = np.radians(np.array([i.place.lon for _, i in members], dtype=np.float64))
        self.cos_lat = np.cos(self.lat)

    def distance(self, lat: float, lon: float, lo: int, hi: int) -> Any:
        """Great-circle distances (m) from the point to members ``lo``–``hi`` (as _distance_m)."""
        h = (np.sin((self.lat[lo:hi] - lat) / 2) ** 2
             + math.cos(lat) * self.cos_lat[lo:hi] * np.sin((self.lon[lo:hi] - lon) / 2) ** 2)  # fmt: skip
        return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def near_box(
    box: tuple[float, float, float, float],
) -> tuple[float, float, float, float] | None:
    """The box (south, north, west, east; degrees) holding every point close enough to link with
    a point of ``box`` (within 2 × :data:`MAX_RADIUS_M`), with a tenth more room; ``None`` where a
    box cannot say it (near a pole, across the antimeridian)."""
    reach = math.degrees(_PREFILTER_M / EARTH_RADIUS_M) * 1.1
    south, north, west, east = box[0] - reach, box[1] + reach, box[2], box[3]
    widest = max(abs(south), abs(north))
    if widest >= 80.0:
        return None
    spread = reach / math.cos(math.radians(widest))
    west, east = west - spread, east + spread
    if west < -180.0 or east > 180.0:
        return None
    return south, north, west, east


def find_links(
    incidents: Sequence[Incident], registry: ActorRegistry, only: Iterable[str] | None = None
) -> list[LinkCheck]:
    """The pairs that meet every criterion, in key order; ``only``: pairs with one of these keys.

    Candidates come per feed from the incidents sorted by start: a pair can link only when the
    windows overlap and each is at most :data:`MAX_WINDOW` long, so the other one starts less than
    that before this one does and before this one ends (two bisections); then the cheap
    criterion, the distance, over those candidates at once; :func:`check_pair` for what is left.
    The work grows with the incidents of the other feeds near in time (with ``only``: near the
    wanted ones), never with all pairs."""
    wanted = set(only) if only is not None else None
    pool = sorted(
        (i for i in incidents
         if i.source_system in LINKABLE and i.window.end - i.window.start <= MAX_WINDOW
         and i.place.lat is not None and i.place.lon is not None),
        key=lambda i: (i.window.start, i.key),
    )  # fmt: skip
    feeds = {
        name: _Feed([(n, i) for n, i in enumerate(pool) if i.source_system == name])
        for name in sorted({i.source_system for i in pool})
    }
    probes = range(len(pool)) if wanted is None else [
        n for n, i in enumerate(pool) if i.key in wanted
    ]  # fmt: skip
    week = MAX_WINDOW // timedelta(microseconds=1)
    out: list[LinkCheck] = []
    seen: set[tuple[int, int]] = set()
    for n in probes:
        incident = pool[n]
        start, end = micros(incident.window.start), micros(incident.window.end)
        lat, lon = math.radians(incident.place.lat or 0.0), math.radians(incident.place.lon or 0.0)
        for name, candidates in feeds.items():
            if name == incident.source_system:
                continue
            lo = bisect_right(candidates.starts, start - week)
            hi = bisect_left(candidates.starts, end)
            if lo >= hi:
                continue
            near = np.nonzero(
                (candidates.ends[lo:hi] > start)
                & (candidates.distance(lat, lon, lo, hi) <= _PREFILTER_M)
            )[0]
            for m in near.tolist():
                other = int(candidates.order[lo + m])
                pair = (min(n, other), max(n, other))
                if pair in seen:
                    continue
                seen.add(pair)
                check = check_pair(pool[pair[0]], pool[pair[1]], registry)
                if check.linked:
                    out.append(check)
    # an incident that matches two of one other feed's incidents cannot say which it is: neither
    # pair is linked (else two events that feed counts apart would be merged through it)
    matches: dict[tuple[str, str], int] = {}
    for c in out:
        for mine, theirs in ((c.a, c.b), (c.b, c.a)):
            feed = theirs.split(":", 1)[0]
            matches[(mine, feed)] = matches.get((mine, feed), 0) + 1

    def unique(c: LinkCheck) -> bool:
        return (matches[(c.a, c.b.split(":", 1)[0])] == 1
                and matches[(c.b, c.a.split(":", 1)[0])] == 1)  # fmt: skip

    return sorted((c for c in out if unique(c)), key=lambda c: (c.a, c.b))


def _rank(incident: Incident) -> tuple[float, float, int, str]:
    return (_radius(incident), (incident.window.end - incident.window.start).total_seconds(),
            -len(incident.sources), incident.key)  # fmt: skip


def apply_links(incidents: Sequence[Incident], pairs: Iterable[tuple[str, str]]) -> list[Incident]:
    """The incidents with each linked group (pairs among ``incidents``; others are ignored) as
    one: its representative, listing the others in ``linked`` and carrying their sources; known
    from the first member known; corroborated when two feeds report it and its own coding said
    only alleged.  Order as given, the representative in its own place."""
    by_key = {i.key: i for i in incidents}
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for a, b in pairs:
        if a in by_key and b in by_key:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    if not parent:
        return list(incidents)
    groups: dict[str, list[Incident]] = {}
    for key in sorted(by_key):
        groups.setdefault(root(key), []).append(by_key[key])
    merged: dict[str, Incident] = {}
    dropped: set[str] = set()
    for members in groups.values():
        if len(members) < 2 or len({m.source_system for m in members}) < len(members):
            continue  # two of one feed joined through links recorded apart: doubtful, not merged
        rep = min(members, key=_rank)
        others = [m for m in members if m is not rep]
        dropped.update(m.key for m in others)
        merged[rep.key] = _merge(rep, others)
    return [merged.get(i.key, i) for i in incidents if i.key not in dropped]


def _merge(rep: Incident, others: list[Incident]) -> Incident:
    members = [rep, *others]
    sources = list(rep.sources)
    for other in others:
        sources.extend(s for s in other.sources if s not in sources)
    knowns = [m.known_from for m in members]
    known = None if any(k is None for k in knowns) else min(k for k in knowns if k is not None)
    judgements = rep.judgements
    latest = rep.latest(Axis.OCCURRENCE, None)
    first_by_feed: dict[str, Any] = {}
    for m in sorted(members, key=lambda m: (m.known_from is not None, m.known_from, m.key)):
        first_by_feed.setdefault(m.source_system, m.known_from)
    feeds = sorted(first_by_feed)
    if latest is None or latest.value == "alleged":
        dates = sorted(d for d in first_by_feed.values() if d is not None)
        at = dates[1] if len(dates) >= 2 else (known or rep.window.start)
        judgements = (*judgements, Judgement(
            Axis.OCCURRENCE, "corroborated", at, LINKED_BY,
            note=f"reported by {len(feeds)} independent feeds ({', '.join(feeds)}): "
                 + ", ".join(sorted(m.key for m in members)),
            sources=tuple(sorted(m.key for m in others)),
        ))  # fmt: skip
    return replace(
        rep,
        sources=tuple(sources),
        known_from=known,
        judgements=judgements,
        linked=tuple(sorted(m.key for m in others)),
    )
