"""The JSON behind the dashboard, filtered by who asks.

What a caller sees is what :mod:`ceasefire.visibility` (the one rule) lets its audience see:
admins, guarantors and monitors see everything; a party's cell sees what is released plus its own
cell's submissions; the public sees only released material.  A submission not yet released is
removed from the incidents and claims *before* anything is computed from them, so it shows in no
layer, count, scorecard, clock, report, control map or drill-down of a caller who may not see it.
Reporter identities (the sources of a report) are removed for everyone but the guarantors, the
monitors, the admins and the reporting cell itself.

Everything derived from the whole store (findings, the incident layer, scorecards, reports) is
computed once per store state and kept in memory (:class:`DashboardCache`).
"""

from __future__ import annotations

import csv
import gc
import gzip
import heapq
import io
import json
import threading
from bisect import bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import chain
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ceasefire._bounded import BoundedMemo, IdentityMemo
from ceasefire._gc import collector_paused
from ceasefire.catalogue import Resolved
from ceasefire.compliance.engine import Finding
from ceasefire.compliance.judge import Judge
from ceasefire.errors import ConfigError, NotFoundError
from ceasefire.geo.control_store import KIND as CONTROL_KIND
from ceasefire.geo.control_store import affects_control
from ceasefire.governance import decision_status
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident, Judgement
from ceasefire.reports.daily import Replay
from ceasefire.service import (
    bundled_data,
    claims_from_store,
    convoys_from_store,
    stories_for,
    with_links,
)
from ceasefire.store import Store
from ceasefire.visibility import (
    Audience,
    Restrictions,
    restrictions,
    visible_decision,
    visible_incidents,
    withhold_reporter,
)

__all__ = [
    "QUALIFICATIONS",
    "DashboardCache",
    "actors_table",
    "basemap_layer",
    "decisions_view",
    "humanitarian_view",
    "store_state",
]

# the layer sends a qualification as its index here
QUALIFICATIONS = ("violation", "undetermined", "not_violation", "out_of_scope")
_PUBLIC_FINDING_KEYS = ("incident", "qualification", "codes", "obligations", "bearers", "parties",
                        "attribution", "occurrence", "phase", "explanation")  # fmt: skip
_MAX_CACHED = 8
_POINTS_KEPT = 2_000_000  # incidents whose map points an agreement keeps
_MAX_REPORTS = 32  # daily reports kept per model (the days asked most recently)


# positions in store_state's tuple
_COUNT, _BATCH = 0, 2  # incidents stored; the latest import batch
_LINKS = slice(7, 9)  # links recorded, links undone
_SAME_JUDGE = slice(3, 7)  # restrictions and releases, decisions, approvals: what the judge reads
_INSERT_ONE_BY_ONE = 1_000  # incidents an import wrote, put in place one by one (else merged)


@dataclass(frozen=True)
class _Delta:
    """How one state's incidents were read from the state ``before``'s."""

    before: tuple[int, ...]
    keys: frozenset[str]  # the incidents read anew (added or revised)
    control: bool  # whether one of them, before or after, is an event the control map reads
    fresh: tuple[Incident, ...] = ()  # those incidents as read, in start order
    revised: frozenset[str] = frozenset()  # the keys among them that were stored before


def store_state(db: Store) -> tuple[int, ...]:
    """A cheap fingerprint that changes whenever anything the dashboard shows may have changed."""
    row = db.conn.execute(
        "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM records), "
        "(SELECT coalesce(max(id), 0) FROM batches), "
        "(SELECT count(*) FROM distribution), "
        "(SELECT count(*) FROM distribution WHERE released_at IS NOT NULL), "
        "(SELECT count(*) FROM decisions), (SELECT count(*) FROM approvals), "
        "(SELECT count(*) FROM incident_links), "
        "(SELECT count(*) FROM incident_links WHERE undone_at IS NOT NULL)"
    ).fetchone()
    return tuple(int(v) for v in row)


# an incident on the map: key, lat, lon, qualification (its index), agreement day, deaths (-1:
# unknown), the place's name
_Point = tuple[str, float, float, int, int, int, str]
_Marks = tuple[tuple[str, str, str], ...]  # (party, local day, column) once per count
_CODES = {q: n for n, q in enumerate(QUALIFICATIONS)}
T = TypeVar("T")


def _point(incident: Incident, finding: Finding, tz: ZoneInfo, first: date) -> _Point | None:
    """``first``: the agreement's first local day (the map's day 0)."""
    place = incident.place
    if place.lat is None or place.lon is None:
        return None
    best = incident.fatalities.best
    return (incident.key, round(place.lat, 5), round(place.lon, 5),
            _CODES.get(finding.qualification, 3), (_local_day(incident, tz) - first).days,
            best if best is not None else -1, place.name)  # fmt: skip


def _marks(incident: Incident, finding: Finding, tz: ZoneInfo) -> _Marks:
    day = _local_day(incident, tz).isoformat()
    mine = [(party, day, "incidents") for party in finding.parties]
    if finding.qualification == "undetermined":
        mine.extend((party, day, "undetermined") for party in finding.parties)
    if finding.qualification == "violation":
        mine.extend((p, day, "violation") for p in finding.bearers or ("not identified",))
    return tuple(mine)


def _per_incident(model: _Model, name: str, make: Callable[[Incident, Finding], T]) -> list[T]:
    """``make(incident, finding)`` for each of the model's incidents, in order.  It depends on
    the incident, its finding and the agreement only: the agreement keeps each under ``name``,
    so a model built anew (after a revision) makes it only for what changed."""
    memo: IdentityMemo[Incident, tuple[Finding, T]] = model.base.agreement.cache.setdefault(
        name, IdentityMemo(_POINTS_KEPT)
    )
    out: list[T] = []
    for incident, hit in zip(model.incidents, memo.get_many(model.incidents), strict=True):
        finding = model.finding(incident.key)
        if hit is None or hit[0] is not finding:
            hit = memo.put(incident, (finding, make(incident, finding)))
        out.append(hit[1])
    return out


def _inserted(
    before: list[T], placed: list[tuple[int, Incident]], make: Callable[[Incident, Finding], T],
    model: _Model,
) -> list[T]:  # fmt: skip
    """``before`` (per incident of the model before an import) with ``make(incident, finding)``
    put in for each new incident where it went among them, in turn."""
    out = list(before)
    for at, incident in placed:
        out.insert(at, make(incident, model.finding(incident.key)))
    return out


def _order(incident: Incident) -> tuple[Any, str]:
    return (incident.window.start, incident.key)


def _own_findings(judge: Judge, incidents: list[Incident], r: Restrictions) -> dict[str, Finding]:
    """The findings judged again for what one audience sees: an incident whose reporter is
    withheld (a finding names its sources), and one linked with others (it carries their
    sources and corroboration)."""
    withheld = [i for i in incidents if i.linked or (
        i.source_system == "report" and not r.sees_reporter(i.key))]  # fmt: skip
    return {f.incident: f for f in judge.findings(withheld)}


def _local_day(incident: Incident, tz: ZoneInfo) -> date:
    return incident.window.start.astimezone(tz).date()


def _public_finding(finding: dict[str, Any]) -> dict[str, Any]:
    return {k: finding[k] for k in _PUBLIC_FINDING_KEYS if k in finding}


@dataclass
class _Base:
    """Everything read from the store, with the findings, for one agreement and store state."""

    judge: Judge  # the one judgement path (agreement with stored decisions, control map)
    incidents: list[Incident]
    findings: dict[str, Finding]

    @property
    def agreement(self) -> Agreement:
        return self.judge.agreement


@dataclass
class _Model:
    """What one scope (all / a party's cell / the public) sees."""

    base: _Base
    incidents: list[Incident]
    db_convoys: list[Any]
    db_claims: list[Any]
    control: Any
    distribution: str  # the audience's marking, on its reports
    stories: list[dict[str, Any]] = field(default_factory=list)  # news stories it may see
    # findings judged again on incidents whose reporter is withheld (a finding names its sources)
    own_findings: dict[str, Finding] = field(default_factory=dict)
    # the keys of events it may not see that would change the control map (see _visible)
    unseen: frozenset[str] = frozenset()
    # per incident, in order: its point on the map (None: no coordinates), what it counts on
    # the party cards (made when first asked; a model after an import takes them from the one
    # before with the new incidents' put in place)
    points: list[_Point | None] | None = None
    marks: list[_Marks] | None = None
    layer_bytes: bytes | None = None
    scorecards: dict[str, Any] | None = None
    replay: Replay | None = None
    # keyed by a date from the query: bounded, or one caller could fill memory day by day
    reports: BoundedMemo[date, dict[str, Any]] = field(
        default_factory=lambda: BoundedMemo(_MAX_REPORTS)
    )
    rendered: BoundedMemo[date, bytes] = field(default_factory=lambda: BoundedMemo(_MAX_REPORTS))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finding(self, key: str) -> Finding:
        return self.own_findings.get(key) or self.base.findings[key]

    def get_replay(self) -> Replay:
        with self.lock:
            if self.replay is None:
                self.replay = Replay(self.base.judge, self.incidents, self.db_convoys,
                                     self.db_claims, distribution=self.distribution,
                                     stories=self.stories)  # fmt: skip
            return self.replay

    def report(self, day: date) -> dict[str, Any]:
        return self.reports.get_or_make(day, lambda: self.get_replay().report(day))

    def report_json(self, day: date) -> bytes:
        """The daily report as ``GET /reports/daily`` sends it, rendered once per day asked."""
        from ceasefire.reports import render_json

        return self.rendered.get_or_make(day, lambda: render_json(self.report(day)).encode())


class DashboardCache:
    """Computed views per (agreement, store state, scope); a few entries, oldest dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bases: dict[tuple[str, tuple[int, ...], frozenset[str]], _Base] = {}
        self._models: dict[tuple[str, tuple[int, ...], str], _Model] = {}
        self._control: dict[tuple[tuple[int, ...], frozenset[str], date], dict[str, Any]] = {}
        self._control_maps: dict[tuple[tuple[int, ...], frozenset[str]], Any] = {}
        self._incidents: dict[tuple[int, ...], list[Incident]] = {}
        # how the incidents of a state were read from those of the state before: the keys read
        # anew, and whether any of them (before or after) is an event the control map reads
        self._deltas: dict[tuple[int, ...], _Delta] = {}
        self._keys: frozenset[str] = frozenset()  # the keys of the incidents of that state
        # per state and scope: what _visible gives (the latest state only)
        self._seen: dict[tuple[tuple[int, ...], str], tuple[Restrictions, list[Incident],
                                                          frozenset[str]]] = {}  # fmt: skip
        self._build_lock = threading.RLock()

    def _all_incidents(self, db: Store, state: tuple[int, ...]) -> list[Incident]:
        """Every stored incident, once per store state (start order): after an import, the
        incidents of the state before with those the new batches wrote read anew (the whole
        store only when that does not add up: a row written outside an import)."""
        if state not in self._incidents:
            with self._build_lock:
                if state not in self._incidents:
                    incidents, delta, keys = self._read_incidents(db, state)
                    with self._lock:
                        self._incidents.clear()
                        self._incidents[state] = incidents
                        self._keys = keys
                        self._deltas.clear()
                        if delta is not None:
                            self._deltas[state] = delta
        return self._incidents[state]

    def _read_incidents(
        self, db: Store, state: tuple[int, ...]
    ) -> tuple[list[Incident], _Delta | None, frozenset[str]]:
        order = _order
        if self._incidents:
            ((before, kept),) = self._incidents.items()
            if state[_BATCH] >= before[_BATCH]:
                rows = db.incidents_since(before[_BATCH])
                fresh = {k: i for k, i in rows if i is not None}
                if len(fresh) == len(rows):
                    revised = frozenset(fresh.keys() & self._keys)
                    if len(kept) - len(revised) + len(fresh) == state[_COUNT]:
                        replaced = [i for i in kept if i.key in revised] if revised else []
                        control = any(affects_control(i) for i in (*replaced, *fresh.values()))
                        incidents = (
                            [i for i in kept if i.key not in revised] if revised else list(kept)
                        )
                        added = sorted(fresh.values(), key=order)
                        if len(added) <= _INSERT_ONE_BY_ONE:
                            for incident in added:
                                insort(incidents, incident, key=order)
                        else:
                            incidents = list(heapq.merge(incidents, added, key=order))
                        delta = _Delta(before, frozenset(fresh), control, tuple(added), revised)
                        return incidents, delta, self._keys | fresh.keys()
        everything = sorted(db.incidents(), key=order)
        return everything, None, frozenset(i.key for i in everything)

    def _visible(
        self, db: Store, state: tuple[int, ...], who: Audience
    ) -> tuple[Restrictions, list[Incident], frozenset[str]]:
        """The incidents ``who`` may see (reporters withheld where due), and the keys of those it
        may not see that would change the control map (scopes hiding none share one judge)."""
        found = self._seen.get((state, who.scope))
        if found is not None:
            return found
        everything = self._all_incidents(db, state)
        r = restrictions(db, who)
        unseen = frozenset(i.key for i in everything if affects_control(i) and not r.may_see(i.key))
        # one event reported by several feeds is one incident here too, as in every report
        return self._saw(state, who, (r, with_links(db, visible_incidents(everything, r)), unseen))

    def _saw(
        self, state: tuple[int, ...], who: Audience,
        seen: tuple[Restrictions, list[Incident], frozenset[str]],
    ) -> tuple[Restrictions, list[Incident], frozenset[str]]:  # fmt: skip
        with self._lock:
            if any(k[0] != state for k in self._seen):
                self._seen.clear()
            self._seen[(state, who.scope)] = seen
        return seen

    def _base(
        self, db: Store, ref: Resolved, state: tuple[int, ...], who: Audience,
        incidents: list[Incident], unseen: frozenset[str],
    ) -> _Base:  # fmt: skip
        """Findings depend on the agreement, its decisions, the control map and the incident
        itself; the control map on the territorial events the caller may see.  So the judge and
        the findings of every incident are shared by the scopes that hide no such event."""
        key = (ref.key, state, unseen)
        if key in self._bases:
            return self._bases[key]
        from ceasefire.service import judge_for

        judged = self._all_incidents(db, state) if not unseen else incidents
        base = self._base_after_import(db, ref, state, judged, unseen)
        if base is None:
            judge = judge_for(db, ref.agreement, judged, audience=who)
            findings = judge.findings(judged)
            base = _Base(judge, judged, {f.incident: f for f in findings})
        with self._lock:
            self._bases[key] = base
            while len(self._bases) > _MAX_CACHED // 2:
                self._bases.pop(next(iter(self._bases)))
        return base

    def _base_after_import(
        self, db: Store, ref: Resolved, state: tuple[int, ...], judged: list[Incident],
        unseen: frozenset[str],
    ) -> _Base | None:  # fmt: skip
        """The base of the state before with only the incidents an import wrote judged, when
        nothing else a finding depends on changed: the same agreement, decisions, approvals and
        restrictions, no control statement and no territorial event among what was written (so
        the same judge); a finding depends on the judge and its own incident only.  ``None``:
        build it whole."""
        if unseen:
            return None
        before_state = self._same_ground(db, state)
        before = self._bases.get((ref.key, before_state, unseen)) if before_state else None
        if before is None:
            return None
        delta = self._deltas[state]
        fresh = list(delta.fresh)  # the incidents read anew (all of them: no event is unseen)
        findings = dict(before.findings)
        findings.update((f.incident, f) for f in before.judge.findings(fresh))
        return _Base(before.judge, judged, findings)

    def _same_ground(self, db: Store, state: tuple[int, ...]) -> tuple[int, ...] | None:
        """The state before ``state``, when what came between can change neither the judge nor
        the control map: only incidents were written, none an event the control map reads and
        no control statement; the same decisions, approvals, restrictions and releases.
        ``None``: something else changed (or the state before is not known)."""
        delta = self._deltas.get(state)
        if delta is None or delta.control or state[_SAME_JUDGE] != delta.before[_SAME_JUDGE]:
            return None
        statements = db.conn.execute(
            "SELECT count(*) FROM records WHERE kind = ? AND batch_id > ?",
            (CONTROL_KIND, delta.before[_BATCH]),
        ).fetchone()[0]
        return None if statements else delta.before

    def model(self, db: Store, ref: Resolved, who: Audience) -> _Model:
        state = store_state(db)
        key = (ref.key, state, who.scope)
        found = self._models.get(key)
        if found is not None:
            return found
        # one build at a time (a second caller waits, then reuses it); many objects and no
        # cycles: the collector would walk the archive's incidents for nothing (ceasefire._gc)
        with self._build_lock, collector_paused():
            found = self._models.get(key)
            if found is not None:
                return found
            model = self._model_after_import(db, ref, state, who)
            if model is None:
                r, incidents, unseen = self._visible(db, state, who)
                base = self._base(db, ref, state, who, incidents, unseen)
                model = _Model(base, incidents, convoys_from_store(db),
                               claims_from_store(db, audience=who), base.judge.control,
                               distribution=who.distribution,
                               stories=stories_for(db, audience=who), unseen=unseen)  # fmt: skip
                model.own_findings = _own_findings(base.judge, incidents, r)
            with self._lock:
                self._models[key] = model
                while len(self._models) > _MAX_CACHED:
                    self._models.pop(next(iter(self._models)))
            # the cached views are long-lived: keep the collector from walking them on every
            # later request (with 100,000 incidents a full collection takes about a second)
            gc.freeze()
            return model

    def _model_after_import(
        self, db: Store, ref: Resolved, state: tuple[int, ...], who: Audience
    ) -> _Model | None:
        """The model of the state before, with the incidents an import added: when only new
        incidents came (no revision, no new link, the same ground, decisions and restrictions),
        what ``who`` sees is what it saw with the new incidents it may see put in their place,
        only they are judged, and the replay grows from the one before.  ``None``: build it."""
        self._all_incidents(db, state)  # read from the state before's, where it can be
        before = self._same_ground(db, state)
        if before is None or state[_LINKS] != before[_LINKS]:
            return None
        prev = self._models.get((ref.key, before, who.scope))
        delta = self._deltas.get(state)
        if prev is None or delta is None or delta.revised or prev.unseen:
            return None
        r = restrictions(db, who)
        added = visible_incidents(delta.fresh, r)  # none is linked yet: no new link was recorded
        incidents = list(prev.incidents)
        placed: list[tuple[int, Incident]] = []  # where each new one went, in turn
        for incident in added:
            at = bisect_right(incidents, _order(incident), key=_order)
            incidents.insert(at, incident)
            placed.append((at, incident))
        self._saw(state, who, (r, incidents, prev.unseen))
        base = self._base(db, ref, state, who, incidents, prev.unseen)
        if base.judge is not prev.base.judge:
            return None
        model = _Model(base, incidents, convoys_from_store(db), claims_from_store(db, audience=who),
                       base.judge.control, distribution=who.distribution,
                       stories=stories_for(db, audience=who), unseen=prev.unseen)  # fmt: skip
        model.own_findings = {**prev.own_findings, **_own_findings(base.judge, added, r)}
        tz = base.agreement.timezone
        first = base.agreement.start.instant.astimezone(tz).date()
        if prev.points is not None:
            model.points = _inserted(
                prev.points, placed, lambda i, f: _point(i, f, tz, first), model
            )
        if prev.marks is not None:
            model.marks = _inserted(prev.marks, placed, lambda i, f: _marks(i, f, tz), model)
        if prev.replay is not None:
            model.replay = Replay.grown(prev.replay, incidents, added, model.db_convoys,
                                        model.db_claims, distribution=model.distribution,
                                        stories=model.stories)  # fmt: skip
        return model

    def control_map(self, db: Store, day: date, tz: ZoneInfo, who: Audience) -> dict[str, Any]:
        """Areas and who held them on the day, as ``who`` may know it (what
        ``ceasefire.service.control_for`` gives, built once per store state and scope from the
        incidents already read)."""
        from ceasefire.geo.control_store import workspace_control

        state = store_state(db)
        _, incidents, unseen = self._visible(db, state, who)
        key = (state, unseen, day)
        if key in self._control:
            return self._control[key]
        with self._build_lock:
            if (state, unseen) not in self._control_maps:
                before = self._same_ground(db, state)
                control = self._control_maps.get((before, unseen)) if before else None
                if control is None:
                    control = workspace_control(db, tz, incidents)
                self._control_maps.clear()
                self._control_maps[(state, unseen)] = control
            collection: dict[str, Any] = self._control_maps[(state, unseen)].to_geojson(day)
            with self._lock:
                self._control[key] = collection
                while len(self._control) > 64:
                    self._control.pop(next(iter(self._control)))
        return collection

    # -- the views -------------------------------------------------------------------------
    def layer(self, db: Store, ref: Resolved, who: Audience) -> bytes:
        """The incidents as columns (compact for 100,000 points), as JSON bytes."""
        model = self.model(db, ref, who)
        if model.layer_bytes is not None:
            return model.layer_bytes
        with collector_paused():  # many objects, no cycles (ceasefire._gc)
            return self._layer(model)

    def _layer(self, model: _Model) -> bytes:
        agreement = model.base.agreement
        tz = agreement.timezone
        first = agreement.start.instant.astimezone(tz).date()
        if model.points is None:
            drawn = _per_incident(model, "layer points", lambda i, f: _point(i, f, tz, first))
            with model.lock:
                model.points = drawn
        points = [p for p in model.points if p is not None]
        unlocated = len(model.points) - len(points)
        places: dict[str, int] = {}
        place_index = [places.setdefault(p[6], len(places)) for p in points]
        keys, lat, lon, qual, day, fatalities = (
            [list(c) for c in zip(*points, strict=True)][:6] if points else [[] for _ in range(6)]
        )
        data = {
            "agreement": agreement.id, "day0": first.isoformat(), "qualifications": list(QUALIFICATIONS),
            "count": len(keys), "unlocated": unlocated, "keys": keys, "lat": lat, "lon": lon,
            "q": qual, "day": day, "fatalities": fatalities, "slider": agreement_days(agreement),
            "places": list(places), "place": place_index,
        }  # fmt: skip
        encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        with model.lock:
            model.layer_bytes = encoded
        return encoded

    def scorecards(self, db: Store, ref: Resolved, who: Audience) -> dict[str, Any]:
        """Per party, per local day: violations it bore, undetermined incidents it was part of.

        Parties are listed by id, never ordered by their counts."""
        model = self.model(db, ref, who)
        if model.scorecards is not None:
            return model.scorecards
        with collector_paused():  # many objects, no cycles (ceasefire._gc)
            return self._scorecards(model)

    def _scorecards(self, model: _Model) -> dict[str, Any]:
        agreement = model.base.agreement
        tz = agreement.timezone
        if model.marks is None:
            marks = _per_incident(model, "scorecard marks", lambda i, f: _marks(i, f, tz))
            with model.lock:
                model.marks = marks
        counts: dict[str, dict[str, dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: {"violation": 0, "undetermined": 0, "incidents": 0})
        )
        for (party, day, column), n in Counter(chain.from_iterable(model.marks)).items():
            counts[party][day][column] = n
        days = sorted({d for per in counts.values() for d in per})
        names = actors_table()
        parties = []
        for party in sorted(counts):
            per = counts[party]
            zero = {"violation": 0, "undetermined": 0, "incidents": 0}
            totals = {k: sum(per[d][k] for d in per) for k in zero}
            series = [{"date": d, **per.get(d, zero)} for d in days]
            parties.append({
                "party": party, "name": names.get(party, {}).get("name", party),
                "name_ar": names.get(party, {}).get("name_ar", ""), **totals, "days": series,
            })  # fmt: skip
        result = {"agreement": agreement.id, "days": days, "parties": parties}
        with model.lock:
            model.scorecards = result
        return result

    def day(self, db: Store, ref: Resolved, who: Audience, day: date) -> dict[str, Any]:
        """The clock and the day's summary, as the daily report for that date has them."""
        report = self.model(db, ref, who).report(day)
        return {
            "date": day.isoformat(),
            "header": report["header"],
            "clock": report["clock"],
            "clock_days": report["clock_days"],
            "summary": report["summary"],
            "humanitarian": report["humanitarian"]["headline"],
        }

    def report_html(self, db: Store, ref: Resolved, who: Audience, day: date) -> str:
        from ceasefire.reports import render_html

        html = render_html(self.model(db, ref, who).report(day))
        return html.replace("</style>", _PRINT_CSS + "</style>", 1)

    def incident(self, db: Store, ref: Resolved, who: Audience, key: str) -> dict[str, Any]:
        """One incident: what it is, its sources (with the spans of news articles), the finding
        with its explanation, the history of its revisions and judgements, and for a news
        incident its story (the brief, every sentence with its sources; the counts and where
        they conflict)."""
        model = self.model(db, ref, who)
        current = next((i for i in model.incidents if i.key == key), None)
        if current is None:
            raise NotFoundError(f"No incident {key!r} (or not one you may see).")
        finding = model.finding(key).to_json()
        history = db.incident_history(key)
        withheld = current.sources == () and any(r.sources for _, r in history)
        agreement = model.base.agreement
        names = actors_table()
        revisions = []
        previous: dict[str, Any] | None = None
        for number, revision in history:
            if withheld:
                revision = withhold_reporter(revision)
            body = revision.to_json()
            changed = sorted(k for k in body if previous is not None and body[k] != previous[k])
            revisions.append({"revision": number, "changed": changed,
                              "judgements": [j.to_json() for j in revision.judgements]})  # fmt: skip
            previous = body
        judgements = sorted(current.judgements, key=lambda j: (j.known_from, j.axis.value))
        over_time = []
        for moment in sorted({j.known_from for j in judgements}):
            then = model.base.judge.finding(current, moment)
            over_time.append({"as_of": moment.isoformat(), "qualification": then.qualification,
                              "attribution": then.attribution, "occurrence": then.occurrence})  # fmt: skip
        body = current.to_json()
        if not who.sees_all:
            finding = _public_finding(finding)
        actors = [_actor(a, names, _local_day(current, agreement.timezone), current.source_system)
                  for a in body["actors"]]  # fmt: skip
        return {
            "incident": {k: body[k] for k in ("key", "source_system", "source_id", "window", "place",
                                              "category", "sub_category", "fatalities", "notes",
                                              "known_from", "continuing")},
            "when": {"start": current.window.start.astimezone(agreement.timezone).isoformat(),
                     "end": current.window.end.astimezone(agreement.timezone).isoformat(),
                     "precision": current.window.precision.value},
            "actors": actors,
            "sources": [_source(s) for s in body["sources"]],
            "sources_withheld": withheld,
            "finding": finding,
            "judgements": [_judgement(j) for j in judgements],
            "qualification_over_time": over_time,
            "revisions": revisions,
            "stories": [s for s in model.stories
                        if any(k in s["incidents"] for k in (key, *current.linked))],
        }  # fmt: skip


def _actor(actor: dict[str, str], names: dict[str, dict[str, str]], on: date,
           system: str) -> dict[str, Any]:  # fmt: skip
    """An actor as the source named it, with the actors it resolves to at the date (EN/AR)."""
    from ceasefire.agreements.loader import default_registry

    ids = ((actor["name"],) if actor["name"] in names
           else default_registry().resolve_list(actor["name"], on, system).actor_ids)  # fmt: skip
    resolved = [{"id": i, **names[i]} for i in ids if i in names]
    return {**actor, "resolved": resolved}


def _source(source: dict[str, str]) -> dict[str, Any]:
    """A source; a news span ``document:start-end`` is split into its document and offsets."""
    out: dict[str, Any] = dict(source)
    ref = source.get("reference", "")
    document, _, span = ref.rpartition(":")
    first, dash, last = span.partition("-")
    if document and dash and first.isdigit() and last.isdigit():
        out["span"] = {"document": document, "start": int(first), "end": int(last)}
    return out


def _judgement(j: Judgement) -> dict[str, Any]:
    return j.to_json()


_PRINT_CSS = """
@page { size: A4; margin: 15mm; }
@media print { a { color: inherit; text-decoration: none; } h2, h3 { break-after: avoid; }
  li, tr { break-inside: avoid; } body { font-size: 10pt; } }
"""


# -- static reference data ----------------------------------------------------------------------
@cache
def actors_table() -> dict[str, dict[str, str]]:
    """Actor id → English and Arabic names (from the bundled actors table)."""
    out: dict[str, dict[str, str]] = {}
    with bundled_data("actors.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["id"]] = {
                "name": row["canonical_name"],
                "name_ar": row["arabic"].split("|")[0],
            }  # the first Arabic name; the rest are aliases
    return out


def _arabic(names: str) -> str:
    for name in names.split("|"):
        if any("\u0600" <= ch <= "\u06ff" for ch in name):
            return name
    return ""


@cache
def basemap_layer(layer: str) -> bytes:
    """The base map from the packaged OCHA boundaries and the gazetteer, as JSON bytes."""
    if layer in ("admin1", "neighbourhoods"):
        file = "admin1.geojson.gz" if layer == "admin1" else "aleppo_neighbourhoods.geojson.gz"
        return gzip.decompress(bundled_data(f"boundaries/{file}").read_bytes())
    if layer == "places":
        text = gzip.decompress(bundled_data("gazetteer/places.csv.gz").read_bytes()).decode("utf-8")
        places = []
        for row in csv.DictReader(io.StringIO(text)):
            population = int(row["population"] or 0)
            if row["kind"] == "admin1" or (
                row["kind"] == "populated_place" and population >= 20000
            ):
                places.append({"id": row["id"], "name": row["name"], "name_ar": _arabic(row["alt_names"]),
                               "lat": float(row["lat"]), "lon": float(row["lon"]), "kind": row["kind"],
                               "population": population})  # fmt: skip
        return json.dumps({"places": places}, ensure_ascii=False).encode("utf-8")
    if layer == "actors":
        table = [{"id": k, **v} for k, v in sorted(actors_table().items())]
        return json.dumps({"actors": table}, ensure_ascii=False).encode("utf-8")
    raise NotFoundError(f"No base map layer {layer!r}: admin1, neighbourhoods, places or actors.")


def humanitarian_view(db: Store) -> dict[str, Any]:
    """Routes and convoys with their events (points where known) and their latest status."""
    routes = db.records("route")
    convoys = []
    for body in db.records("convoy"):
        events = sorted(body["events"], key=lambda e: e["window"]["start"])
        convoys.append({**body, "events": events,
                        "status": events[-1]["status"] if events else "unknown"})  # fmt: skip
    return {"routes": routes, "convoys": convoys}


def decisions_view(db: Store, agreement: Agreement, audience: Audience) -> dict[str, Any]:
    """The agreement's own decisions and those recorded here, with approvals and effect, as
    ``audience`` may read them (:func:`ceasefire.visibility.visible_decision`)."""
    recorded = [
        decision_status(db, decision_id, agreement)
        for (decision_id,) in db.conn.execute("SELECT id FROM decisions ORDER BY id").fetchall()
    ]
    for (
        item
    ) in recorded:  # account names are internal; the guarantor each approval speaks for is not
        item["approvals"] = [
            {"guarantor": a["guarantor"], "at": a["at"]} for a in item["approvals"]
        ]
    bundled = [
        {"id": d.id, "kind": d.kind, "subject": d.subject, "text": d.text,
         "effective": d.effective.isoformat(), "until": d.until.isoformat() if d.until else None,
         "decided_at": d.decided_at.isoformat(), "approvals": [{"guarantor": g} for g in d.approvals],
         "in_effect": True, "recorded": "agreement file"}
        for d in agreement.decisions
    ]  # fmt: skip
    seen = restrictions(db, audience)
    return {
        "agreement": agreement.id,
        "decisions": [
            visible_decision(d, seen)
            for d in bundled + [{**r, "recorded": "workspace"} for r in recorded]
        ],
    }


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"date: {text!r} is not YYYY-MM-DD") from None


def agreement_days(agreement: Agreement, target_days: int = 7) -> list[str]:
    """The slider's steps: the local dates from Day D to two days past the target (12–20 Sept
    2016 for the bundled agreement: seven days, the day the last one ends, and the day after)."""
    first = agreement.start.instant.astimezone(agreement.timezone).date()
    return [(first + timedelta(days=n)).isoformat() for n in range(target_days + 2)]
