"""The daily report (outline: domain.md §6, after the OSCE SMM daily report and the Russian
reconciliation-centre bulletin), as one JSON-able dict that the renderers only format.

A report for date D covers the local calendar day D and uses only what was known at its cut-off
(local midnight after D): incidents whose first source is dated by then, judgements known by then,
joint decisions taken by then.  Every count names the incidents it counts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire import __version__
from ceasefire._bounded import IdentityMemo
from ceasefire._gc import collector_paused
from ceasefire.compliance.clock import (
    Clock,
    Metrics,
    build_clock,
    grow_metrics,
    incident_instants,
    prepare_metrics,
    status_at,
)
from ceasefire.compliance.deadlines import Deadlines
from ceasefire.compliance.engine import Finding
from ceasefire.compliance.judge import Judge
from ceasefire.intake.jsonlines import Claim
from ceasefire.model.agreement import Agreement
from ceasefire.model.humanitarian import Convoy
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import micros

__all__ = ["QUALIFICATIONS", "Replay", "daily_report"]

QUALIFICATIONS = ("violation", "undetermined", "not_violation", "out_of_scope")
SERIOUS_FATALITIES = 10
_KEPT = 2_000_000  # incidents whose report rows an agreement keeps
CLOCK_DAYS = 7  # agreement days shown in a daily report  # a violation with at least this many deaths is listed as serious


def _governorate(incident: Incident) -> str:
    name = incident.place.admin1.replace(" Governorate", "").strip()
    return name or "(unknown governorate)"


class Replay:
    """Everything a series of reports needs, prepared once: incidents by day, metrics, clock."""

    judge: Judge  # the one judgement path: agreement with decisions, control map
    agreement: Agreement
    control: Any
    tz: Any
    incidents: list[Incident]  # in start order (then key)
    convoys: list[Convoy]
    claims: list[Claim]
    metrics: Metrics
    deadlines: Deadlines
    rows: IdentityMemo[Incident, dict[str, Any]]  # what a row says of an incident
    _at: NDArray[np.int64]  # per incident: start, end, known, humanitarian? (incident_instants)
    _full_clock: Clock
    _saturated: datetime | None
    _clocks: dict[datetime, Clock]

    def __init__(
        self,
        judge: Judge,
        incidents: Iterable[Incident],
        convoys: Sequence[Convoy] = (),
        claims: Sequence[Claim] = (),
        distribution: str = "UNMARKED",
        stories: Sequence[dict[str, Any]] = (),
    ) -> None:
        # the audience the incidents, claims and stories were filtered for (ceasefire.visibility),
        # as the reports' distribution marking says it
        self.distribution = distribution
        self._tell(stories)
        with collector_paused():
            self._prepare(judge, incidents, convoys, claims)

    @classmethod
    def grown(
        cls,
        before: Replay,
        incidents: list[Incident],
        added: Sequence[Incident],
        convoys: Sequence[Convoy] = (),
        claims: Sequence[Claim] = (),
        distribution: str = "UNMARKED",
        stories: Sequence[dict[str, Any]] = (),
    ) -> Replay:
        """The replay over ``incidents`` (in start order): ``before``'s incidents with ``added``
        (new ones, none of them ``before``'s).  Only the new incidents' contributions to the
        metrics, the deadlines and the columns are derived; the rest of ``before`` is lent.
        The same as ``Replay(before.judge, incidents, ...)`` — built that way when the incidents
        are not ``before``'s with ``added`` in order."""
        replay = cls.__new__(cls)
        replay.distribution = distribution
        replay._tell(stories)
        with collector_paused():
            if not replay._grow(before, incidents, added, convoys, claims):
                replay._prepare(before.judge, incidents, convoys, claims)
        return replay

    def _tell(self, stories: Sequence[dict[str, Any]]) -> None:
        """News stories as ceasefire.service.stories_for gives them; incident key → its stories."""
        self.stories = {s["key"]: s for s in stories}
        self.story_of: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self.stories):
            for incident in self.stories[key]["incidents"]:
                self.story_of[incident].append(key)

    def _grow(
        self,
        before: Replay,
        incidents: list[Incident],
        added: Sequence[Incident],
        convoys: Sequence[Convoy],
        claims: Sequence[Claim],
    ) -> bool:
        self.judge = judge = before.judge
        self.agreement = agreement = judge.agreement
        self.control = judge.control
        self.tz = agreement.timezone
        new = incident_instants(agreement, added)
        order = sorted(range(len(added)), key=lambda n: (int(new[n, 0]), added[n].key))
        at: list[int] = []  # where each goes among before's incidents
        for n in order:
            lo = int(np.searchsorted(before._at[:, 0], new[n, 0], "left"))
            hi = int(np.searchsorted(before._at[:, 0], new[n, 0], "right"))
            at.append(bisect_left(before.incidents, added[n].key, lo, hi, key=_key))
        if len(incidents) != len(before.incidents) + len(added) or any(
            incidents[p + k] is not added[n] for k, (p, n) in enumerate(zip(at, order, strict=True))
        ):
            return False
        self.incidents = incidents
        self._at = np.insert(before._at, at, new[order], axis=0)
        self.convoys = list(convoys)
        self.claims = sorted(claims, key=lambda c: (c.reported_at, c.id))
        self.metrics = grow_metrics(agreement, before.metrics, added, incidents, self._at)
        self._full_clock = build_clock(agreement, (), self.convoys, None, self.metrics)
        self.deadlines = before.deadlines.grown(added)
        self.rows = before.rows
        self._saturated = self._saturation()
        self._clocks = {}
        return True

    def _prepare(
        self,
        judge: Judge,
        incidents: Iterable[Incident],
        convoys: Sequence[Convoy],
        claims: Sequence[Claim],
    ) -> None:
        self.judge = judge
        self.agreement = agreement = judge.agreement
        self.control = judge.control
        self.tz = agreement.timezone
        self.incidents = list(incidents)
        # the incidents' windows and when each became known, as columns (µs; see
        # incident_instants), to find a period's incidents in bulk
        at = incident_instants(agreement, self.incidents)
        order = _start_order(self.incidents, at[:, 0])
        if order is not None:
            self.incidents = [self.incidents[n] for n in order]
            at = at[order]
        self._at = at
        self.convoys = list(convoys)
        self.claims = sorted(claims, key=lambda c: (c.reported_at, c.id))
        self.metrics = prepare_metrics(agreement, self.incidents, at)
        self._full_clock = build_clock(agreement, (), self.convoys, None, self.metrics)
        self.deadlines = Deadlines(judge, self.incidents)
        # what a row says of an incident (kept by the agreement, for the next replay)
        self.rows = agreement.cache.setdefault("report rows", IdentityMemo(_KEPT))
        self._saturated = self._saturation()
        self._clocks = {}

    def _saturation(self) -> datetime | None:
        """From this instant on, the clock as known equals the clock with everything known
        (never, for an open-ended agreement: its days run up to the moment asked about)."""
        end = self._full_clock.window_end
        if end is None:
            return None
        moments = [self.agreement.first_start, end]
        moments.extend(d.decided_at for d in self.agreement.decisions)
        moments.extend(d.at for d in self.agreement.declarations)
        for metric in (*self.metrics.conditions.values(), self.metrics.indicator):
            # only incidents that can change the clock: those before the end of its window
            latest = metric.latest_known(end)
            if latest is not None:
                moments.append(latest)
        moments.extend(e.window.start for c in self.convoys for e in c.events)
        if self.metrics.horizon is not None and self.metrics.horizon < end:
            return None  # days still waiting for data: each moment sees a different clock
        return max(moments)

    def clock(self, as_of: datetime) -> Clock:
        if self._saturated is not None and as_of >= self._saturated:
            return self._full_clock
        if as_of not in self._clocks:
            if len(self._clocks) > 64:
                self._clocks.pop(next(iter(self._clocks)))
            self._clocks[as_of] = build_clock(
                self.agreement,
                (),
                self.convoys,
                as_of,
                self.metrics,
                reuse=self._full_clock,
                recent=CLOCK_DAYS + 2,
            )
        return self._clocks[as_of]

    def overlapping(
        self, start: datetime, end: datetime, known_by: datetime | None = None
    ) -> list[Incident]:
        """Incidents whose window overlaps [start, end) (and, with ``known_by``, that were known
        by then: :meth:`Incident.known_by`), in start order."""
        hi = int(np.searchsorted(self._at[:, 0], micros(end), "left"))
        hit = self._at[:hi, 1] > micros(start)
        if known_by is not None:
            hit &= self._at[:hi, 2] <= micros(known_by)
        incidents = self.incidents
        return [incidents[n] for n in np.flatnonzero(hit).tolist()]

    def cutoff(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)

    def report(self, day: date) -> dict[str, Any]:
        # many dicts and findings, no cycles: see ceasefire._gc (a series of reports over a large
        # archive otherwise spends a third of its time in the cyclic collector)
        with collector_paused():
            return daily_report(self, day)


def _key(incident: Incident) -> str:
    return incident.key


def _start_order(incidents: list[Incident], starts: NDArray[np.int64]) -> list[int] | None:
    """The positions of ``incidents`` in start order (then key), or ``None`` when they are in it
    already (a cache hands them over sorted: checked in bulk, not sorted again)."""
    steps = np.diff(starts)
    if not (steps < 0).any():
        ties = np.flatnonzero(steps == 0).tolist()
        if all(incidents[t].key < incidents[t + 1].key for t in ties):
            return None
    listed = starts.tolist()
    return sorted(range(len(incidents)), key=lambda n: (listed[n], incidents[n].key))


def _incident_row(
    incident: Incident, finding: Finding, tz: Any, period: tuple[datetime, datetime],
    memo: IdentityMemo[Incident, dict[str, Any]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    w = incident.window
    best = incident.fatalities.best
    share = w.overlap_seconds(*period) / w.seconds
    base = memo.get(incident) if memo is not None else None
    if base is None:
        base = {
            "incident": incident.key,
            "start": w.start.astimezone(tz).isoformat(),
            "end": w.end.astimezone(tz).isoformat(),
            "time_precision": w.precision.value,
            "place": incident.place.name,
            "governorate": _governorate(incident),
            "lat": incident.place.lat,
            "lon": incident.place.lon,
            "where_precision": incident.place.precision,
            "category": incident.category,
            "actors": [f"{a.role}: {a.name}" for a in incident.actors],
            "fatalities": best,
            "fatalities_text": _fatalities_text(incident),
            "sources": sorted({s.name for s in incident.sources}),
        }
        if memo is not None:
            memo.put(incident, base)
    return {
        **base,
        # a multi-day event's toll apportioned to the report's day, never counted whole on each
        "fatalities_in_period": None if best is None else round(best * share, 2),
        "period_share": round(share, 4),
        "occurrence": finding.occurrence,
        "qualification": finding.qualification,
        "codes": list(finding.codes),
        "obligations": list(finding.obligations),
        "bearers": list(finding.bearers),
        "attribution": finding.attribution,
        "explanation": finding.explanation,
        "control": finding.control,
    }


def _fatalities_text(incident: Incident) -> str:
    f = incident.fatalities
    if f.best is not None:
        return str(f.best)
    if f.low is not None and f.high is not None:
        return f"{f.low}" if f.low == f.high else f"{f.low}–{f.high} (conflicting claims)"
    return "unknown"


def _counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by = Counter(r["qualification"] for r in rows)
    return {
        "total": len(rows),
        # apportioned to the period; low: events wholly inside it; high: every event touching it
        "fatalities_best": round(sum(r["fatalities_in_period"] or 0 for r in rows), 2),
        "fatalities_low": sum(r["fatalities"] or 0 for r in rows if r["period_share"] >= 1),
        "fatalities_high": sum(r["fatalities"] or 0 for r in rows),
        **{q: by.get(q, 0) for q in QUALIFICATIONS},
        "incidents": [r["incident"] for r in rows],
    }


def daily_report(replay: Replay, day: date) -> dict[str, Any]:
    agreement = replay.agreement
    tz = replay.tz
    period_start = datetime.combine(day, time(0), tzinfo=tz)
    as_of = replay.cutoff(day)
    known = replay.overlapping(period_start, as_of, known_by=as_of)
    findings = replay.judge.findings(known, as_of, stamped=False)
    rows = [
        _incident_row(i, f, tz, (period_start, as_of), replay.rows)
        for i, f in zip(known, findings, strict=True)
    ]
    previous_start = period_start - timedelta(days=1)
    prev_known = replay.overlapping(previous_start, period_start, known_by=as_of)
    prev_rows = [
        _incident_row(i, f, tz, (previous_start, period_start), replay.rows)
        for i, f in zip(
            prev_known, replay.judge.findings(prev_known, as_of, stamped=False), strict=True
        )
    ]
    clock = replay.clock(as_of)
    status = status_at(clock, as_of)
    by_gov: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_gov[row["governorate"]].append(row)
    prev_by_gov: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in prev_rows:
        prev_by_gov[row["governorate"]].append(row)
    governorates = [
        {
            "governorate": g,
            **_counts(by_gov[g]),
            "previous_period": _counts(prev_by_gov.get(g, []))["total"],
        }
        for g in sorted(by_gov)
    ]
    serious = [
        {
            k: r[k]
            for k in (
                "incident",
                "place",
                "governorate",
                "fatalities",
                "fatalities_text",
                "occurrence",
                "attribution",
                "obligations",
                "bearers",
            )
        }
        for r in rows
        if (r["qualification"] == "violation" and (r["fatalities"] or 0) >= SERIOUS_FATALITIES)
        or any(c.startswith("HUM.ATTACK") for c in r["codes"])
    ]
    zones = _zones(agreement, findings, status)
    humanitarian = _humanitarian(replay, period_start, as_of, rows)
    claims = _claims(replay, day, as_of)
    news = _news_stories(replay, known, as_of)
    start_date = agreement.first_start.astimezone(tz).date()
    number = (day - start_date).days + 1
    last_moment = as_of - timedelta(microseconds=1)
    day_info = clock.day_at(last_moment)
    return {
        "header": {
            "agreement": agreement.id,
            "title": agreement.title,
            "report_number": number if number >= 1 else None,
            "date": day.isoformat(),
            "as_of": as_of.isoformat(),
            "timezone": str(tz.key),
            "period": {"start": period_start.isoformat(), "end": as_of.isoformat()},
            "phase": status["phase"],
            "generated_by": f"ceasefire {__version__}",
            "distribution": replay.distribution,
        },
        "summary": {
            "clock": {
                "phase": status["phase"],
                "phases_in_force": status["phases_in_force"],
                # the agreement day in which the report's period ends (a midnight start included)
                "day": clock.day_number(last_moment),
                "consecutive_days": status["consecutive_days"],
                "target_days": status["target_days"],
                "phases": {k: v["state"] for k, v in status["phases"].items()},
                "conditions": {k: v.get("state") for k, v in status["conditions"].items()},
                "agreement_day_now": day_info.number if day_info else None,
                "day_pending": day_info.pending if day_info else None,
                "indicator": day_info.indicator if day_info else None,
                # the last agreement day that was over, with data, by the cut-off
                "indicator_last_day": next(
                    (
                        {"day": d.number, **d.indicator}
                        for d in reversed(clock.days)
                        if d.end <= as_of and not d.pending
                    ),
                    None,
                ),
            },
            "incidents": _counts(rows),
            "previous_period": {k: v for k, v in _counts(prev_rows).items() if k != "incidents"},
            "serious": serious,
            "zones": [f"{z['zone']}: {z['result']}" for z in zones],
            "humanitarian": humanitarian["headline"],
        },
        "clock": status,
        "deadlines": replay.deadlines.at(as_of),
        # the last week of agreement days over by the cut-off (the whole clock: ceasefire status)
        "clock_days": [
            d.to_json() for d in [d for d in clock.days if d.end <= as_of][-CLOCK_DAYS:]
        ],
        "incidents_by_governorate": governorates,
        "zones": zones,
        "airspace": _airspace(agreement, status),
        "humanitarian": humanitarian,
        "claims": claims,
        "news_stories": news,
        "territory": _territory(replay, day, rows),
        "annex": rows,
        "monitoring_bodies": [
            {
                "id": b.id,
                "type": b.type,
                "title": b.title,
                "members": list(b.members),
                "location": b.location,
                "established": b.established,
                "ended": b.ended,
                "mandate": b.mandate,
                "refs": list(b.refs),
            }
            for b in agreement.monitoring_bodies
        ],
        "links": [
            {"relation": k.relation, "agreement": k.agreement, "note": k.note, "refs": list(k.refs)}
            for k in agreement.links
        ],
        "sources": agreement.sources,
        "notes": list(agreement.notes),
    }


def _zones(
    agreement: Agreement, findings: list[Finding], status: dict[str, Any]
) -> list[dict[str, Any]]:
    out = []
    for zone in agreement.zones:
        touched = sorted({f.incident for f in findings for z in f.zones if z["zone"] == zone.id})
        zone_phases = agreement.zone_phases(zone.id)
        active = not zone_phases or any(
            status["phases"].get(p, {}).get("state") == "in_force" for p in zone_phases
        )
        if zone.reference_line is not None:
            positions = [f.incident for f in findings if any(c.startswith(("POS.", "NV.OUTSIDE_BAND", "UNDET.SPATIAL"))
                                                             for c in f.codes)]  # fmt: skip
            result = "evaluated" if positions else "no_position_reports"
            reason = (f"bands measured from an approximate reference line ({zone.reference_line}); "
                      f"{len(positions)} position report(s) judged today")  # fmt: skip
        elif zone.geometry is None:
            result, reason = "cannot_evaluate", f"no geometry (status: {zone.status})"
        else:
            result, reason = "no_observations", "no positions or flights were reported in the zone"
        if not active:
            result, reason = (
                "not_active",
                f"its phase(s) {', '.join(zone_phases)} are not in force",
            )
        out.append(
            {
                "zone": zone.id,
                "type": zone.type,
                "title": zone.title,
                "status": zone.status,
                "result": result,
                "reason": reason,
                "incidents_nearby": touched,
                "rules": [
                    {
                        "bearer": r.bearer,
                        "side": r.side,
                        "weapon_classes": list(r.weapon_classes),
                        "min_distance_m": r.min_distance_m,
                        "text": r.text,
                        "refs": list(r.refs),
                    }
                    for r in zone.rules
                ],
                "refs": list(zone.refs),
            }
        )
    return out


def _territory(replay: Replay, day: date, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Control on the day per mapped area, and the day's incidents placed in them."""
    if replay.control is None:
        return {"mapped": False, "areas": [], "by_status": {}}
    in_area: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        point = (row.get("control") or {}).get("at_coded_point")
        if point:
            in_area[point["area"]].append(row["incident"])
    areas = []
    for v in replay.control.snapshot(day):
        areas.append({"area": v.area_id, "name": v.name, "status": v.status, "actors": list(v.actors),
                      "confidence": v.confidence, "sources": list(v.sources),
                      "incidents": sorted(in_area.get(v.area_id, []))})  # fmt: skip
    by_status = Counter(f"{a['status']} {'/'.join(a['actors'])}".strip() for a in areas)
    return {"mapped": bool(areas), "areas": areas, "by_status": dict(sorted(by_status.items()))}


def _airspace(agreement: Agreement, status: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for zone in agreement.zones:
        if zone.type != "restricted_airspace":
            continue
        zone_phases = agreement.zone_phases(zone.id)
        active = any(status["phases"].get(p, {}).get("state") == "in_force" for p in zone_phases)
        out.append(
            {
                "zone": zone.id,
                "evaluated": active,
                "reason": "phase in force"
                if active
                else f"not evaluated: its phase(s) {', '.join(zone_phases)} are not in force",
            }
        )
    return out


def _humanitarian(
    replay: Replay, start: datetime, as_of: datetime, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    convoys = []
    delivered = blocked = attacked = 0
    for convoy in replay.convoys:
        events = [e for e in convoy.events if e.window.start < as_of]
        if not events:
            continue
        today = [e for e in events if e.window.overlap_seconds(start, as_of) > 0]
        state = (today or events)[-1].status
        delivered += state == "delivered"
        blocked += state == "blocked"
        attacked += state == "attacked"
        convoys.append(
            {
                "convoy": convoy.id,
                "organisation": convoy.organisation,
                "route": convoy.route,
                "from": convoy.origin,
                "to": convoy.destination,
                "trucks": convoy.trucks,
                "beneficiaries": convoy.beneficiaries,
                "status": state,
                "events_today": [
                    {
                        "status": e.status,
                        "start": e.window.start.astimezone(replay.tz).isoformat(),
                        "end": e.window.end.astimezone(replay.tz).isoformat(),
                        "place": e.place,
                        "by": list(e.by),
                        "reason": e.reason,
                        "note": e.note,
                        "refs": list(e.refs),
                        "casualty_claims": [
                            {"qualifier": q, "value": v, "ref": r} for q, v, r in e.casualties
                        ],
                    }
                    for e in today
                ],
            }
        )
    findings = [r for r in rows if r["category"] == "humanitarian"]
    return {
        "headline": {
            "convoys_tracked": len(convoys),
            "delivered": delivered,
            "blocked": blocked,
            "attacked": attacked,
            "findings": len(findings),
        },
        "convoys": convoys,
        "findings": [r["incident"] for r in findings],
    }


def _claims(replay: Replay, day: date, as_of: datetime) -> list[dict[str, Any]]:
    out = []
    lo = bisect_left(
        [c.reported_at for c in replay.claims], datetime.combine(day, time(0), tzinfo=replay.tz)
    )
    hi = bisect_right([c.reported_at for c in replay.claims], as_of - timedelta(microseconds=1))
    for claim in replay.claims[lo:hi]:
        try:
            start = datetime.fromisoformat(claim.period_from)
            end = datetime.fromisoformat(claim.period_to)
        except ValueError:
            start = end = None  # type: ignore[assignment]
        record: dict[str, Any] = {
            "claim": claim.id,
            "claimant": claim.claimant,
            "quantity": claim.quantity,
            "value": claim.value,
            "qualifier": claim.qualifier,
            "period": {"from": claim.period_from, "to": claim.period_to},
            "about": claim.about,
            "refs": list(claim.refs),
            "note": claim.note,
        }
        if start is not None and end is not None:
            held = replay.overlapping(start, end, known_by=as_of)
            found = replay.judge.findings(held, as_of, stamped=False)  # counted, not shown
            counted = Counter(f.qualification for f in found)
            deaths = sum(i.fatalities.best or 0 for i in held)
            record["centre_records"] = {
                "incidents": len(held),
                "fatalities_best": deaths,
                **{q: counted.get(q, 0) for q in QUALIFICATIONS},
            }
            record["assessment"] = (
                f"recorded, not confirmed: the centre holds {len(held)} incident(s) overlapping the "
                f"period ({counted.get('violation', 0)} violation(s), "
                f"{counted.get('undetermined', 0)} undetermined; {deaths} deaths, best estimate)"
            )
        else:
            record["assessment"] = (
                "recorded, not confirmed: the claimed period is not given as date-times"
            )
        out.append(record)
    return out


def _news_stories(replay: Replay, known: list[Incident], as_of: datetime) -> list[dict[str, Any]]:
    """The news side of the claims ledger: for the day's incidents that came from the news, their
    story's brief, counts and conflicts, each sentence with its sources (outlet, publication
    date, document id).

    Only what was published by the cut-off is listed: an extracted sentence keeps the sources
    published by then (each carries the sentence), and is left out without one; a count keeps
    the articles published by then that state it; a generated sentence and a conflict (both set
    the sources' values side by side) only when every source they cite was published by then."""
    by_story: dict[str, set[str]] = defaultdict(set)
    for incident in known:
        for key in (incident.key, *incident.linked):
            for story_key in replay.story_of.get(key, ()):
                by_story[story_key].add(key)
    out = []
    for key in sorted(by_story):
        story = replay.stories[key]
        published = {
            d["id"]: d["published"]
            for d in story["documents"]
            if d["published"] is not None and datetime.fromisoformat(d["published"]) < as_of
        }
        outlets = {d["id"]: d["outlet"] for d in story["documents"]}

        def cite(documents: Iterable[str], outlets: dict[str, str] = outlets,
                 published: dict[str, str] = published) -> list[dict[str, Any]]:  # fmt: skip
            return [
                {"document": d, "outlet": outlets[d], "date": published[d][:10]}
                for d in sorted(set(documents))
                if d in published
            ]

        brief = []
        for sentence in story["brief"]:
            cited = [s["document"] for s in sentence["sources"]]
            sources = cite(cited)
            if not sources or (sentence["generated"] and len(sources) < len(set(cited))):
                continue
            brief.append(
                {"text": sentence["text"], "generated": sentence["generated"], "sources": sources}
            )
        claims = [
            {**{k: c[k] for k in ("id", "quantity", "value", "qualifier", "scope", "attribution")},
             "sources": cite(c["documents"])}
            for c in story["claims"]
            if cite(c["documents"])
        ]  # fmt: skip
        conflicts = [
            {"quantity": c["quantity"], "values": [
                {"value": v["value"], "qualifier": v["qualifier"], "attribution": v["attribution"],
                 "sources": cite(v["documents"])} for v in c["sources"]]}
            for c in story["conflicts"]
            if all(d in published for v in c["sources"] for d in v["documents"])
        ]  # fmt: skip
        if not brief and not claims:
            continue  # nothing of the story was published by the cut-off
        out.append({"story": key, "incidents": sorted(by_story[key]), "brief": brief,
                    "claims": claims, "conflicts": conflicts})  # fmt: skip
    return out
