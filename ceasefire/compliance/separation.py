"""Separation monitoring: where areas held by covered groups meet areas held by excluded ones.

It describes areas held and never designates anything as open to attack.

The Sept 2016 arrangement obliges the armed opposition to separate from groups the agreement
excludes (obligation ``O6_separate_from_excluded`` in the bundled agreement). This module reads
the areas held as recorded on a :class:`~ceasefire.geo.control.ControlMap` and measures how
closely the areas of bound (or possibly bound) groups lie against or on top of the areas of
excluded groups on a day. It is a monitoring aid for that obligation only: no output here says
that any place, area, group or person may be targeted. A shared front or an overlap is a fact
about recorded control, with the sources of the versions it comes from; it is not a finding that
anyone or anything is a lawful target.

What is compared, on a day ``D`` (the winning version of each area, :meth:`ControlMap.snapshot`):

* Each area's actors are resolved with :func:`~ceasefire.compliance.coverage.coverage_of`:
  ``covered`` and ``unknown`` actors are reported separately; ``excluded`` actors are the other
  side of every pair. Actors that are not parties (or protected) take no part and are listed.
  An actor missing from the agreement's registry counts as ``unknown``, never as excluded.
* Areas with status ``unknown`` are not held by anyone on record and are skipped. An area with
  another status but no actors (e.g. ``contested`` with the sides only in a note) counts as held
  by an *unknown* holder, never as excluded.
* Point areas have no extent: they are listed as not measured.

Measures (for each pair: covered-or-unknown actor, excluded actor):

``front_m``
    Length of the shared front, in metres. Both outlines are projected into one
    :class:`~ceasefire.geo.zones.LocalFrame` (azimuthal-equidistant, centred on the pair). The
    excluded area's outline is buffered by half the tolerance (25 m for the default 50 m: the
    band is 50 m wide), and the length of the other area's outline inside that band is measured.
    Where an outline leaves the contact, the band also catches its first metres *beyond the end*
    of the other outline (up to 25 m at each end of every stretch of front, +5 % on a 1 km
    front); those pieces are dropped. A piece of outline counts where it lies on the other
    outline (< 0.5 m) or where the way across to the other outline is more sideways than along
    its own direction, judged on pieces of at most :data:`SAMPLE_M` metres.
``overlap_km2``
    Area both sides are recorded on, in km²: the intersection of two areas' polygons (two
    records claiming the same ground; :meth:`ControlMap.at` would answer with the smaller
    area), or a whole area whose version lists both actors (status ``mixed``, ``contested`` or
    a joint ``held``).

Accuracy: the projection's scale error is below 0.002 % within 50 km of its centre; areas on the
azimuthal-equidistant plane are within ~0.01 % of the sphere's for areas tens of km across. The
real limit is the digitised outlines and the dates the control labels carry forward.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.compliance.coverage import coverage_of
from ceasefire.geo.control import ControlMap, ControlVersion
from ceasefire.geo.zones import EARTH_RADIUS_M, LocalFrame
from ceasefire.model.agreement import Agreement, Coverage

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "SAMPLE_M",
    "STATEMENT",
    "over_time",
    "separation_report",
]

DEFAULT_TOLERANCE_M = 50.0
SAMPLE_M = 5.0  # longest piece of outline judged as one when trimming the ends of a front
STATEMENT = (
    "Describes areas held by groups on the control map and where they meet; "
    "it never designates anything as open to attack."
)
_ON_LINE_M = 0.5
_GROUPS = (Coverage.COVERED, Coverage.UNKNOWN)


@dataclass(frozen=True)
class _Holder:
    label: str  # actor id, or a placeholder for an unrecorded holder
    coverage: Coverage
    reason: str


@dataclass(frozen=True)
class _Area:
    version: ControlVersion
    holders: tuple[_Holder, ...]

    @property
    def area_id(self) -> str:
        return self.version.area_id


def _holders(
    version: ControlVersion, agreement: Agreement, memo: dict[str, tuple[Coverage, str]]
) -> tuple[_Holder, ...]:
    if not version.actors:
        label = f"({version.status}: actors not recorded)"
        why = (
            f"status {version.status} with no actors recorded: counted as unknown, "
            "never as excluded"
        )
        return (_Holder(label, Coverage.UNKNOWN, why),)
    out = []
    for actor in version.actors:
        if actor not in memo:
            if actor in agreement.registry:
                memo[actor] = coverage_of(agreement, actor)
            else:
                memo[actor] = (
                    Coverage.UNKNOWN,
                    f"{actor} is not in the actor registry: counted as unknown",
                )
        cov, why = memo[actor]
        out.append(_Holder(actor, cov, why))
    return tuple(out)


def _metric_km2(geom: BaseGeometry) -> float:
    if geom.is_empty or geom.area == 0.0:
        return 0.0
    frame = LocalFrame.around(geom)
    return float(frame.to_metric(geom).area) / 1e6


def _front_m(covered: BaseGeometry, excluded: BaseGeometry, tolerance_m: float) -> float:
    """Length (m) of ``covered``'s outline alongside ``excluded``'s outline (see module doc)."""
    frame = LocalFrame.around(shapely.union(covered.envelope, excluded.envelope))
    edge_a = frame.to_metric(covered.boundary)
    edge_b = frame.to_metric(excluded.boundary)
    near = shapely.intersection(edge_a, shapely.buffer(edge_b, tolerance_m / 2.0))
    if near.is_empty or near.length == 0.0:
        return 0.0
    fine = shapely.segmentize(near, SAMPLE_M)
    total = 0.0
    for part in shapely.get_parts(fine):
        if part.geom_type != "LineString":
            continue  # points where the outlines only touch have no length
        xy = np.asarray(part.coords, dtype=np.float64)
        if len(xy) < 2:
            continue
        seg = np.diff(xy, axis=0)
        length = np.hypot(seg[:, 0], seg[:, 1])
        keep = length > 0.0
        seg, length, start = seg[keep], length[keep], xy[:-1][keep]
        if len(seg) == 0:
            continue
        mid = start + seg / 2.0
        nearest = shapely.shortest_line(shapely.points(mid), edge_b)
        ends = shapely.get_coordinates(shapely.get_point(nearest, 1))
        across_v = ends - mid
        dist = np.hypot(across_v[:, 0], across_v[:, 1])
        unit = seg / length[:, None]
        along = np.abs(across_v[:, 0] * unit[:, 0] + across_v[:, 1] * unit[:, 1])
        across = np.abs(across_v[:, 0] * unit[:, 1] - across_v[:, 1] * unit[:, 0])
        counted = (dist < _ON_LINE_M) | (along <= across)
        total += float(length[counted].sum())
    return total


def _candidate_deg(areas: Sequence[_Area], tolerance_m: float) -> float:
    """A distance in degrees surely larger than ``tolerance_m`` anywhere among ``areas``."""
    max_lat = max(abs(b) for a in areas for b in (a.version.geometry.bounds[1::2]))
    cos_lat = max(math.cos(math.radians(min(max_lat, 89.0))), 0.01)
    return 2.0 * math.degrees(tolerance_m / EARTH_RADIUS_M) / cos_lat


def _round(x: float, nd: int) -> float:
    return round(x, nd) + 0.0  # no negative zero


def separation_report(
    control: ControlMap,
    agreement: Agreement,
    on: date,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> dict[str, Any]:
    """Where, on ``on``, areas of covered/unknown groups meet or overlap excluded groups' areas.

    Returns a JSON-ready dict: ``covered`` and ``unknown`` (lists of pairs, each with
    ``actor``, ``excluded_actor``, ``front_m``, ``overlap_km2``, ``area_ids`` and the
    ``contacts`` between single areas), ``totals`` per group, the ``actors`` with their coverage
    and reason, the area ids per role, and a ``note`` when there is nothing to compare. Ordering
    is deterministic (actor ids, then area ids). Describes areas held only; it never designates
    anything as open to attack.
    """
    return _report(control, agreement, on, tolerance_m, {})


def _report(
    control: ControlMap,
    agreement: Agreement,
    on: date,
    tolerance_m: float,
    memo: dict[str, tuple[Coverage, str]],
) -> dict[str, Any]:
    if not tolerance_m > 0:
        raise ValueError(f"tolerance_m must be positive, not {tolerance_m}.")
    snapshot = control.snapshot(on)
    held: list[_Area] = []
    not_held: list[str] = []
    points: list[str] = []
    for v in snapshot:
        if v.status == "unknown":
            not_held.append(v.area_id)
        elif v.geometry.geom_type == "Point":
            points.append(v.area_id)
        else:
            held.append(_Area(v, _holders(v, agreement, memo)))

    def ids_with(*covs: Coverage) -> list[str]:
        return sorted(a.area_id for a in held if any(h.coverage in covs for h in a.holders))

    excluded_areas = [a for a in held if any(h.coverage == Coverage.EXCLUDED for h in a.holders)]
    other_areas = [a for a in held if any(h.coverage in _GROUPS for h in a.holders)]
    actors = {
        h.label: {"coverage": h.coverage.value, "reason": h.reason} for a in held for h in a.holders
    }
    obligation = next(
        (o for o in agreement.terms if o.action == "separate"),
        None,
    )
    report: dict[str, Any] = {
        "date": on.isoformat(),
        "agreement": agreement.id,
        "obligation": (
            {"id": obligation.id, "title": obligation.title, "bearers": list(obligation.bearers)}
            if obligation is not None
            else None
        ),
        "statement": STATEMENT,
        "tolerance_m": tolerance_m,
        "actors": dict(sorted(actors.items())),
        "areas": {
            "excluded": ids_with(Coverage.EXCLUDED),
            "covered": ids_with(Coverage.COVERED),
            "unknown": ids_with(Coverage.UNKNOWN),
            "other": ids_with(Coverage.NOT_PARTY, Coverage.PROTECTED),
            "status_unknown": sorted(not_held),
            "points_not_measured": sorted(points),
        },
        "covered": [],
        "unknown": [],
        "totals": {g.value: {"pairs": 0, "front_m": 0.0, "overlap_km2": 0.0} for g in _GROUPS},
        "note": "",
    }
    if not snapshot:
        report["note"] = (
            f"the control map has no version covering {on.isoformat()}; "
            f"no areas held by excluded groups are mapped on {on.isoformat()}"
        )
        return report
    if not excluded_areas:
        report["note"] = f"no areas held by excluded groups are mapped on {on.isoformat()}"
        return report
    if not other_areas:
        report["note"] = (
            f"no areas held by covered or unknown-coverage groups are mapped on {on.isoformat()}"
        )
        return report

    # candidate area pairs by bounding distance (degrees, generous), measured in metres below
    tree = shapely.STRtree([a.version.geometry for a in excluded_areas])
    reach = _candidate_deg(held, tolerance_m)
    contacts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    measured: dict[tuple[str, str], tuple[float, float, str]] = {}
    for a in sorted(other_areas, key=lambda x: x.area_id):
        hits = tree.query(a.version.geometry, predicate="dwithin", distance=reach)
        for j in sorted(hits.tolist(), key=lambda j: excluded_areas[j].area_id):
            b = excluded_areas[j]
            key = (a.area_id, b.area_id)
            if key not in measured:
                if a.area_id == b.area_id:
                    basis = f"one area lists both (status {a.version.status})"
                    measured[key] = (0.0, _metric_km2(a.version.geometry), basis)
                else:
                    front = _front_m(a.version.geometry, b.version.geometry, tolerance_m)
                    inter = shapely.intersection(a.version.geometry, b.version.geometry)
                    measured[key] = (front, _metric_km2(inter), "neighbouring areas")
            front, overlap, basis = measured[key]
            if front <= 0.0 and overlap <= 0.0:
                continue
            for h in a.holders:
                if h.coverage not in _GROUPS:
                    continue
                for x in b.holders:
                    if x.coverage != Coverage.EXCLUDED or x.label == h.label:
                        continue
                    contacts.setdefault((h.label, x.label), []).append(
                        {
                            "area_id": a.area_id,
                            "excluded_area_id": b.area_id,
                            "basis": basis,
                            "front_m": _round(front, 1),
                            "overlap_km2": _round(overlap, 6),
                            "versions": [a.version.version, b.version.version],
                            "sources": sorted(set(a.version.sources) | set(b.version.sources)),
                        }
                    )
    for (actor, excl), found in sorted(contacts.items()):
        group = actors[actor]["coverage"]
        front = sum(c["front_m"] for c in found)
        overlap = sum(c["overlap_km2"] for c in found)
        report[group].append(
            {
                "actor": actor,
                "excluded_actor": excl,
                "front_m": _round(front, 1),
                "overlap_km2": _round(overlap, 6),
                "area_ids": sorted({c["area_id"] for c in found}),
                "excluded_area_ids": sorted({c["excluded_area_id"] for c in found}),
                "contacts": found,
            }
        )
        tot = report["totals"][group]
        tot["pairs"] += 1
        tot["front_m"] = _round(tot["front_m"] + front, 1)
        tot["overlap_km2"] = _round(tot["overlap_km2"] + overlap, 6)
    if not contacts:
        report["note"] = (
            f"areas held by excluded groups are mapped on {on.isoformat()}, but none lies within "
            f"{tolerance_m / 2.0:g} m of, or overlaps, an area of a covered or unknown group"
        )
    return report


def over_time(
    control: ControlMap,
    agreement: Agreement,
    dates: Iterable[date],
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> list[dict[str, Any]]:
    """:func:`separation_report` for each date, in the order given (a series)."""
    memo: dict[str, tuple[Coverage, str]] = {}
    return [_report(control, agreement, d, tolerance_m, memo) for d in dates]
