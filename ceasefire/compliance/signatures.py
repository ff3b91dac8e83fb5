"""Judgement signatures: what of an incident the rules read, for a whole batch at once.

The rules read an incident only through its kind, window, actors, sources' names, notes,
judgements, self-defence claims and place; and its place only through the footprint's relation
to the agreement's zones and the ground's control.  Incidents with the same *signature* get the
same finding but for their own key and their own words (see
:func:`ceasefire.compliance.engine.judge_many`).

Where the place's disc certainly misses every mapped zone and every area the control map ever had
(``_far``), the signature holds the disc's shape instead of the place, and the window as
its ends' places among the instants the rules compare it with (:func:`instants`); every other
incident keeps its exact place and window.

:func:`group` computes the signature's parts as integer columns over the batch — the window's
ends as microseconds placed with :func:`numpy.searchsorted`, names and words as codes (the place
of the first equal value, found while each value is read), sequences (actors, sources) as padded
rows of codes — and numbers the groups by their first incident.  Each incident's fields are read
in one pass: at this scale the time goes to reaching each object, not to the arithmetic.  Only
each group's first incident is given its signature as a tuple (:func:`signature`), the key judged templates are kept under across batches.  The columns
split the batch at least as finely as the tuples do, so a group never holds two signatures; two
groups of one signature share one template through that key.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain, count
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire.compliance.case import Context
from ceasefire.compliance.territory import MAX_DAYS
from ceasefire.geo.areas import disc_radius, discs_miss, zone_shapes
from ceasefire.geo.zones import precision_radius_m
from ceasefire.model.incidents import Axis, Incident, Place
from ceasefire.model.timewindow import TimeWindow, micros

__all__ = ["Groups", "group", "instants", "signature"]

_LONG_AFTER = timedelta(days=MAX_DAYS - 1)
_LONG_MICROS = _LONG_AFTER // timedelta(microseconds=1)


@dataclass(frozen=True)
class Groups:
    """A batch's incidents grouped by signature, the groups numbered by their first incident."""

    of: NDArray[np.intp]  # per incident: its group
    first: list[int]  # per group: its first incident, in batch order
    signatures: list[tuple[Any, ...]]  # per group: the signature (the same in every batch)
    timed: list[bool]  # per group: whether its window entered as places among the instants
    # per incident, read once for the grouping and kept for the findings
    keys: tuple[str, ...]
    windows: tuple[TimeWindow, ...]
    places: tuple[Place, ...]
    ends: NDArray[np.int64]  # the window's end, microseconds since 1970 (UTC)


# every field of an incident the signature reads, in one pass over the batch
_FIELDS = attrgetter("key", "source_system", "category", "sub_category", "notes", "continuing",
                     "self_defence_claims", "judgements", "actors", "sources", "window", "place")  # fmt: skip
_PLACE = attrgetter("lat", "lon", "radius_m", "precision")
_WINDOW = attrgetter("start", "end", "precision")
_NAME = attrgetter("name")
_NAME_ROLE = attrgetter("name", "role")


def group(
    ctx: Context,
    incidents: Sequence[Incident],
    reported_position: Callable[[Incident], bool],
    spatial: bool = True,
) -> Groups:
    """The batch (not empty) grouped by signature.  ``reported_position(incident)``: whether its
    kind is a reported weapon position (read at its exact place and time), asked once per kind.
    ``spatial=False`` keeps every place exact (for a small batch the bounding test would cost
    more than it saves)."""
    n = len(incidents)
    (keys, systems, categories, subs, notes, continuing, claims, judgements, actor_lists,
     source_lists, windows, places) = zip(*map(_FIELDS, incidents), strict=True)  # fmt: skip
    occurrence = Axis.OCCURRENCE
    judged = (js[0].value if len(js) == 1 and js[0].axis is occurrence else js for js in judgements)
    words, met = _codes(
        zip(systems, categories, subs, notes, continuing, claims, judged, strict=True), n
    )
    # whether the kind is a reported position, asked of the first incident of each code
    position = np.zeros(n, dtype=np.bool_)
    for k in met.values():
        position[k] = reported_position(incidents[k])
    cast = list(chain.from_iterable(actor_lists))
    actors = _sequences(actor_lists, _codes(map(_NAME_ROLE, cast), len(cast))[0])
    cited = list(chain.from_iterable(source_lists))
    sources = _sequences(source_lists, _codes(map(_NAME, cited), len(cited))[0])

    lats, lons, radii, place_precisions = zip(*map(_PLACE, places), strict=True)
    shape, shapes = _codes(zip(radii, place_precisions, strict=True), n)
    far = _far(ctx, lons, lats, shape, shapes) if spatial else np.zeros(n, dtype=np.bool_)
    timed = far & ~position[words]
    exact = np.flatnonzero(~timed)

    starts, ends, precisions = zip(*map(_WINDOW, windows), strict=True)
    start_us, end_us = _micros(starts), _micros(ends)
    precision, _ = _codes(precisions, n)
    moments = np.asarray(instants(ctx), dtype=np.int64)
    when = [np.searchsorted(moments, start_us, "left"), np.searchsorted(moments, start_us, "right"),
            np.searchsorted(moments, end_us, "left"), np.searchsorted(moments, end_us, "right"),
            precision, np.zeros(n, dtype=np.int64)]  # fmt: skip
    if ctx.control is not None:
        for k in np.flatnonzero(timed & (end_us - start_us >= _LONG_MICROS)).tolist():
            when[5][k] = _long(ctx, windows[k])
    for column in when:
        column[exact] = -1
    # the others keep their window and place as they are
    picked = exact.tolist()
    exact_window = np.full(n, -1, dtype=np.int64)
    exact_window[exact] = _codes(map(windows.__getitem__, picked), len(picked))[0]
    where = shape.copy()
    where[exact] = -1
    exact_place = np.full(n, -1, dtype=np.int64)
    exact_place[exact] = _codes(map(places.__getitem__, picked), len(picked))[0]

    # a window is also its instants: two equal windows of one zone may lie an hour apart (a wall
    # time the zone lives twice, told apart by fold), and a finding states its window's instants
    exact_instants = [np.where(timed, -1, start_us), np.where(timed, -1, end_us)]
    columns = [words, actors, sources, *when, exact_window, *exact_instants, where, exact_place]
    determined = ctx.determinations
    if determined:
        numbered = {key: k for k, key in enumerate(determined)}
        columns.append(np.fromiter((numbered.get(key, -1) for key in keys), np.int64, n))
    as_of = ctx.as_of
    if as_of is not None:
        # how many of its judgements were known then (Incident.judgement_times, bisected)
        counted = (bisect_right(i.judgement_times, as_of) for i in incidents)
        columns.append(np.fromiter(counted, np.int64, n))
    _, first, inverse = np.unique(_combined(columns, n), return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    reps = first[order].tolist()
    moments_list = moments.tolist()
    return Groups(
        of=rank[inverse.reshape(-1)],
        first=reps,
        signatures=[signature(ctx, incidents[k], bool(timed[k]), moments_list) for k in reps],
        timed=[bool(timed[k]) for k in reps],
        keys=keys,
        windows=windows,
        places=places,
        ends=end_us,
    )


def _far(
    ctx: Context,
    lons: tuple[float | None, ...],
    lats: tuple[float | None, ...],
    shape: NDArray[np.int64],
    shapes: dict[tuple[float | None, int | None], int],
) -> NDArray[np.bool_]:
    """Per place: whether it is a disc that certainly misses every mapped zone the terms name
    and every area of the control map (decided for the batch at once).  ``shape``: per place, a
    code of its stated radius and precision (``shapes``: each pair's code), which alone decide
    its disc's radius."""
    n = len(shape)
    disc = np.full(n, np.inf)
    ground = np.full(n, np.inf)
    for (stated, precision), k in shapes.items():
        probe = Place("", 0.0, 0.0, precision, radius_m=stated)  # a disc needs a point
        radius = disc_radius(probe)
        if radius is not None:
            disc[k] = radius
            ground[k] = stated if stated is not None else precision_radius_m(precision)
    x = np.array(lons, dtype=np.float64)  # None: NaN
    y = np.array(lats, dtype=np.float64)
    unplaced = np.isnan(x) | np.isnan(y)
    discs = np.where(unplaced, np.inf, disc[shape])
    far = np.isfinite(discs)
    agreement = ctx.agreement
    by_id = zone_shapes(agreement)
    for zone_id in sorted({z for t in agreement.terms for z in (*t.inside, *t.outside)}):
        zs = by_id.get(zone_id)
        if zs is not None and zs.possible is not None:
            far &= discs_miss(zs.possible.bounds, x, y, discs)
    if ctx.control is not None:
        from ceasefire.compliance.territory import far_from_map

        far &= far_from_map(ctx.control, x, y, np.where(unplaced, np.inf, ground[shape]))
    return far


def _micros(moments: tuple[datetime, ...]) -> NDArray[np.int64]:
    """Each aware instant as microseconds since 1970 (UTC), worked out once per distinct value.
    Two equal date-times of one zone may still be two instants (a wall time the zone passes
    twice, or skips, told apart by ``fold``): those are worked out one by one."""
    codes, met = _codes(moments, len(moments))
    values = np.zeros(len(moments), dtype=np.int64)
    twofold: list[int] = []
    for moment, k in met.items():
        values[k] = micros(moment)
        if micros(moment.replace(fold=1 - moment.fold)) != values[k]:
            twofold.append(k)
    out = values[codes]
    if twofold:
        for k in np.flatnonzero(np.isin(codes, twofold)).tolist():
            out[k] = micros(moments[k])
    return out


def signature(ctx: Context, incident: Incident, timed: bool, moments: list[int]) -> tuple[Any, ...]:
    """One incident's signature as a tuple: ``timed`` — its place is far from every zone and
    mapped area and it is no reported position, so its window enters as its ends' places among
    ``moments`` (:func:`instants`) and its place as its disc's shape."""
    when: Any = incident.window
    place = incident.place
    if timed:
        where: Any = (place.radius_m, place.precision)
        w = incident.window
        start, end = micros(w.start), micros(w.end)
        when = (
            bisect_left(moments, start), bisect_right(moments, start),
            bisect_left(moments, end), bisect_right(moments, end), w.precision,
            ctx.control is not None and w.end - w.start >= _LONG_AFTER and _long(ctx, w),
        )  # fmt: skip
    else:
        where = place
        # equal windows of one zone may be an hour apart (a wall time lived twice): the instants
        when = (when, micros(when.start), micros(when.end))
    key = incident.key
    as_of = ctx.as_of
    return (
        incident.source_system, incident.category, incident.sub_category, when,
        incident.actors, incident.notes, _judged(incident), incident.continuing,
        incident.self_defence_claims, tuple(s.name for s in incident.sources), where,
        key if key in ctx.determinations else None,
        None if as_of is None else bisect_right(incident.judgement_times, as_of),
    )  # fmt: skip


def _judged(incident: Incident) -> Any:
    """The incident's judgements as the rules read them: a lone occurrence judgement only by its
    value (the finding states the level; when it became known counts only against ``as_of``, and
    the signature carries how many judgements were known then)."""
    js = incident.judgements
    if len(js) == 1 and js[0].axis is Axis.OCCURRENCE:
        return js[0].value
    return js


def _codes(values: Iterable[Hashable], n: int) -> tuple[NDArray[np.int64], dict[Any, int]]:
    """The ``n`` values as codes (equal values, equal codes): the place of the first equal
    value, in one pass (each value is read while it is at hand); and each value's code."""
    table: dict[Any, int] = {}
    return np.fromiter(map(table.setdefault, values, count()), np.int64, n), table


def _sequences(lists: Sequence[Sequence[Any]], items: NDArray[np.int64]) -> NDArray[np.int64]:
    """Per list, a code for its sequence of items (``items``: every list's items' codes, in
    order)."""
    n = len(lists)
    lengths = np.fromiter(map(len, lists), np.int64, n)
    width = int(lengths.max()) if n else 0
    if width == 0:
        return np.zeros(n, dtype=np.int64)
    rows = np.full((n, width), -1, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    row = np.repeat(np.arange(n), lengths)
    rows[row, np.arange(len(items)) - starts[row]] = items
    return _combined(list(rows.T), n)


def _combined(columns: list[NDArray[np.int64]], n: int) -> NDArray[np.int64]:
    """One code per row of the columns (equal rows, equal codes), each column's values ≥ -1."""
    out = np.zeros(n, dtype=np.int64)
    span = 1
    for column in columns:
        width = int(column.max()) + 2 if n else 1
        if span * width >= 2**62:  # renumber before the product could overflow
            out = np.unique(out, return_inverse=True)[1].reshape(-1).astype(np.int64)
            span = int(out.max()) + 1
        out = out * width + (column + 1)
        span *= width
    return out


def instants(ctx: Context) -> list[int]:
    """Every instant the rules may compare an incident's window with: each date and date-time
    anywhere in the agreement (its phases, decisions, declarations, determinations, the actor
    registry's dated names and memberships), the phase windows as known, the control map's
    versions — a date as the first instants of its day and of the next, in the agreement's zone
    and in UTC.
    Gathered by walking the objects, so a dated field added later is included without a change
    here.  As microseconds since 1970 (UTC): exact, and quick to compare."""
    found: set[datetime] = set()
    tz = ctx.agreement.timezone
    seen: set[int] = set()

    def walk(obj: Any) -> None:
        if isinstance(obj, datetime):
            if obj.tzinfo is not None:
                found.add(obj)
            return
        if isinstance(obj, date):  # a day compared with a day: before it, on it, after it
            for day in (obj, obj + timedelta(days=1)):
                found.add(datetime.combine(day, time(0), tzinfo=tz))
                found.add(datetime.combine(day, time(0), tzinfo=UTC))
            return
        if obj is None or isinstance(obj, str | bytes | int | float | enum.Enum):
            return
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(k)
                walk(v)
        elif isinstance(obj, list | tuple | set | frozenset):
            for v in obj:
                walk(v)
        elif is_dataclass(obj):
            for f in fields(obj):
                if f.name != "cache":
                    walk(getattr(obj, f.name))
        elif type(obj).__module__.startswith("ceasefire") and hasattr(obj, "__dict__"):
            for name, v in vars(obj).items():
                if name != "cache":
                    walk(v)

    walk(ctx.agreement)
    walk(ctx.windows)
    if ctx.control is not None:
        walk(list(ctx.control.versions))
    return sorted({micros(moment) for moment in found})


def _long(ctx: Context, window: TimeWindow) -> bool:
    """Whether the window spans more local days than control is asked over (territory)."""
    tz = ctx.agreement.timezone
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return (last - first).days > MAX_DAYS
