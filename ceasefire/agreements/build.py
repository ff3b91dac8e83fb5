"""From a validated agreement file to the runtime model, checking every cross-reference.

The typed format (:mod:`ceasefire.agreements.schema`) has already checked types, vocabularies and
unknown fields; here instants and durations are parsed in the agreement's time zone, actor ids are
checked against the registry (extended with the agreement's own actors), every id an entry refers
to must exist, geometries must be valid WGS84, and decisions are checked as they would be when
proposed (:mod:`ceasefire.agreements.decisions`).  Every problem is collected with its line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ceasefire.agreements import schema as s
from ceasefire.agreements.decisions import decision_problems
from ceasefire.agreements.located import Located
from ceasefire.agreements.solar import solar_instant
from ceasefire.errors import Problem
from ceasefire.model.actors import Actor, ActorRegistry, Membership
from ceasefire.model.agreement import (
    ALL_COVERED,
    Agreement,
    Band,
    Classification,
    Condition,
    Coverage,
    Decision,
    Declaration,
    Determination,
    Duration,
    Exclusion,
    Guarantor,
    Indicator,
    Instrument,
    Lifecycle,
    Link,
    MonitoringBody,
    Party,
    Phase,
    Renewal,
    Requirement,
    ResetRule,
    Start,
    Term,
    Zone,
    ZoneRule,
)
from ceasefire.model.geojson import vertex_count

__all__ = ["MAX_GEOMETRY_BYTES", "Builder"]

P = tuple[str | int, ...]
MAX_GEOMETRY_BYTES = 20_000_000
MAX_VERTICES = 200_000
AREA_TYPES = {"contact_line"}  # the one zone type that is a line, not an area


class Builder:
    def __init__(
        self,
        spec: s.AgreementFile,
        located: Located,
        filename: str,
        registry: ActorRegistry,
        base_dir: Path | Mapping[str, str] | None,
    ) -> None:
        self.spec = spec.agreement
        self.loc = located
        self.file = filename
        self.registry = registry.copy()
        self.base_dir = base_dir
        self.problems: list[Problem] = []
        self.tz: ZoneInfo = ZoneInfo("UTC")
        self.groups: dict[str, tuple[str, ...]] = {}

    # -- reporting -----------------------------------------------------------------------
    def error(self, path: P, message: str, severity: str = "error") -> None:
        full: P = ("agreement", *path)
        field = ".".join(str(p) for p in path) or "agreement"
        self.problems.append(Problem(self.file, self.loc.line(full), field, message, severity))

    def warn(self, path: P, message: str) -> None:
        self.error(path, message, "warning")

    # -- parsing helpers -------------------------------------------------------------------
    def instant(self, value: str | None, path: P) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(value), time(0))
            except ValueError:
                self.error(
                    path, f"{value!r} is not a valid ISO 8601 date-time (e.g. 2016-09-12T19:00)"
                )
                return None
        if not 1900 <= parsed.year <= 2200:
            self.error(path, f"{value!r} is outside the years 1900–2200")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.tz)

    def day(self, value: str | None, path: P) -> date | None:
        if value is None:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a valid date (YYYY-MM-DD)")
            return None
        if not 1900 <= parsed.year <= 2200:
            self.error(path, f"{value!r} is outside the years 1900–2200")
            return None
        return parsed

    def duration(self, value: str | None, path: P) -> Duration | None:
        if value is None:
            return None
        try:
            return Duration.parse(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def actor(self, value: str, path: P, groups: bool = False, all_covered: bool = False) -> bool:
        if value in self.registry or (groups and value in self.groups):
            return True
        if all_covered and value == ALL_COVERED:
            return True
        known = {a.id for a in self.registry} | (set(self.groups) if groups else set())
        hint = _closest(value, known)
        extra = f"; did you mean {hint!r}?" if hint else ""
        what = "actor id" + (" or group" if groups else "")
        self.error(path, f"{value!r} is not a known {what}{extra}")
        return False

    def must(self, ref: str, known: set[str], what: str, path: P) -> bool:
        if ref in known:
            return True
        hint = _closest(ref, known)
        extra = f"; did you mean {hint!r}?" if hint else ""
        self.error(path, f"{ref!r} is not a known {what} id{extra}")
        return False

    # -- the document ----------------------------------------------------------------------
    def build(self) -> Agreement | None:
        a = self.spec
        try:
            self.tz = ZoneInfo(a.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(
                ("timezone",), f"{a.timezone!r} is not an IANA time zone (e.g. Asia/Damascus)"
            )
        self._actors()
        self._groups()
        self._check_refs()
        guarantors = self._guarantors()
        parties = self._parties()
        coverage_by_side = self._coverage_by_side()
        exclusions = self._exclusions()
        lifecycles, phases = self._lifecycles()
        zones = self._zones()
        conditions = self._conditions()
        terms = self._terms()
        declarations = self._declarations()
        determinations = self._determinations()
        bodies = self._bodies()
        indicator = self._indicator()
        self._cross_check(lifecycles, phases, conditions, zones, terms, guarantors, declarations)
        if any(p.severity == "error" for p in self.problems) or not lifecycles:
            return None
        c = a.classification
        agreement = Agreement(
            id=a.id,
            title=a.title,
            timezone=self.tz,
            instruments=tuple(
                Instrument(
                    i.id,
                    i.title,
                    i.status,
                    i.date or i.in_force or "",
                    i.note,
                    tuple(i.refs),
                    i.endorsed_by or "",
                )
                for i in a.instruments
            ),
            actor_groups=self.groups,
            guarantors=guarantors,
            parties=parties,
            coverage_by_side=coverage_by_side,
            exclusions=exclusions,
            lifecycles=lifecycles,
            phases=phases,
            conditions=conditions,
            zones=zones,
            terms=terms,
            decisions=(),
            sources=dict(a.sources),
            registry=self.registry,
            source_file=self.file,
            notes=tuple(a.notes),
            declarations=declarations,
            determinations=determinations,
            links=tuple(Link(k.relation, k.agreement, k.note, tuple(k.refs)) for k in a.links),
            classification=Classification(
                c.kind,
                c.purpose,
                c.depth,
                c.coverage,
                c.written,
                c.ended.on if c.ended else None,
                c.ended.how if c.ended else None,
            ),
            monitoring_bodies=bodies,
            indicator=indicator,
            report_cutoff=a.monitoring.report_cutoff,
            weapon_vocabulary=frozenset((*s.WEAPON_CLASSES, *a.vocabulary.weapon_classes)),
            means_vocabulary=frozenset((*s.MEANS, *a.vocabulary.means)),
        )
        decisions = self._decisions(agreement)
        if any(p.severity == "error" for p in self.problems):
            return None
        warnings = tuple(p.message for p in self.problems if p.severity == "warning")
        from dataclasses import replace

        return replace(agreement, decisions=decisions, notes=(*agreement.notes, *warnings))

    # -- actors ------------------------------------------------------------------------------
    def _actors(self) -> None:
        for i, la in enumerate(self.spec.actors.local):
            path: P = ("actors", "local", i)
            if la.id in self.registry:
                self.error(
                    (*path, "id"),
                    f"{la.id!r} is already a registry actor; use `aliases` for more names",
                )
                continue
            valid_from = self.day(la.valid_from, (*path, "valid_from"))
            valid_to = self.day(la.valid_to, (*path, "valid_to"))
            self.registry.add(
                Actor(
                    id=la.id,
                    canonical_name=la.name,
                    type=la.type,
                    side=la.side,
                    aliases=tuple(la.aliases),
                    arabic=tuple(la.arabic),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    members=tuple(la.members),
                    source_names=tuple(la.source_names),
                    notes=la.note,
                    sources=tuple(la.refs),
                )
            )
        for i, la in enumerate(self.spec.actors.local):
            for j, member in enumerate(la.members):
                self.actor(member, ("actors", "local", i, "members", j))
        for i, al in enumerate(self.spec.actors.aliases):
            if self.actor(al.actor, ("actors", "aliases", i, "actor")):
                self.registry.add_alias(al.actor, al.names, al.source_names)
        for i, m in enumerate(self.spec.actors.memberships):
            path = ("actors", "memberships", i)
            ok = self.actor(m.member, (*path, "member")) & self.actor(m.of, (*path, "of"))
            joined = self.day(m.joined, (*path, "joined"))
            left = self.day(m.left, (*path, "left"))
            if not ok or joined is None:
                continue
            if left is not None and left <= joined:
                self.error((*path, "left"), f"{left} is not after {joined}")
                continue
            self.registry.add_membership(Membership(m.member, m.of, joined, left, tuple(m.refs)))

    def _groups(self) -> None:
        for name, members in self.spec.actor_groups.items():
            path: P = ("actor_groups", name)
            if name in self.registry:
                self.error(path, f"group id {name!r} is already an actor id; choose another name")
            if name == ALL_COVERED:
                self.error(path, f"{ALL_COVERED!r} is reserved for every covered party")
            for i, member in enumerate(members):
                self.actor(member, (*path, i))
            self.groups[name] = tuple(members)

    def _check_refs(self) -> None:
        known = set(self.spec.sources)
        doc = self.loc.data.get("agreement") if isinstance(self.loc.data, dict) else None

        def walk(node: Any, path: P) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "refs" and isinstance(value, list):
                        for i, ref in enumerate(value):
                            if isinstance(ref, str) and ref not in known:
                                self.error(
                                    (*path, key, i),
                                    f"source key {ref!r} is not listed in 'sources'",
                                )
                    elif key != "sources":
                        walk(value, (*path, key))
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, (*path, i))

        walk(doc, ())

    def _guarantors(self) -> tuple[Guarantor, ...]:
        out = []
        for i, g in enumerate(self.spec.guarantors):
            self.actor(g.actor, ("guarantors", i, "actor"))
            for j, ref in enumerate(g.answers_for):
                self.actor(ref, ("guarantors", i, "answers_for", j), groups=True)
            out.append(Guarantor(g.actor, tuple(g.answers_for), tuple(g.refs)))
        seen = [g.actor for g in out]
        for i, actor in enumerate(seen):
            if seen.index(actor) != i:
                self.error(("guarantors", i, "actor"), f"{actor!r} is listed twice")
        return tuple(out)

    def _parties(self) -> tuple[Party, ...]:
        out = []
        for i, p in enumerate(self.spec.parties):
            path: P = ("parties", i)
            if (p.actor is None) == (p.group is None):
                self.error(path, "give exactly one of 'actor' or 'group'")
                continue
            if p.actor is not None:
                self.actor(p.actor, (*path, "actor"))
                members: tuple[str, ...] = (p.actor,)
            else:
                assert p.group is not None
                self.must(p.group, set(self.groups), "group", (*path, "group"))
                members = self.groups.get(p.group, ())
            out.append(
                Party(members, Coverage(p.coverage), p.acquired_by, p.group, p.note, tuple(p.refs))
            )
        return tuple(out)

    def _coverage_by_side(self) -> dict[str, Coverage]:
        sides = {a.side for a in self.registry}
        out = {}
        for side, cov in self.spec.coverage_by_side.items():
            if side not in sides:
                self.error(
                    ("coverage_by_side", side),
                    f"{side!r} is not a side used in the actor registry {sorted(sides)}",
                )
            out[side] = Coverage(cov)
        return out

    def _exclusions(self) -> tuple[Exclusion, ...]:
        out = []
        for i, e in enumerate(self.spec.exclusions):
            self.actor(e.actor, ("exclusions", i, "actor"))
            out.append(Exclusion(e.actor, e.lineage, e.rule, tuple(e.refs), e.members))
        return tuple(out)

    # -- time -----------------------------------------------------------------------------
    def _start(self, st: s.Start, path: P) -> Start | None:
        stated = self.instant(st.local, (*path, "local"))
        computed = None
        if st.solar is not None:
            when = self.day(st.solar.date, (*path, "solar", "date"))
            if when is not None:
                try:
                    computed = solar_instant(
                        st.solar.event, when, st.solar.lat, st.solar.lon, self.tz
                    )
                except ValueError as exc:
                    self.error((*path, "solar", "event"), str(exc))
        if stated is None and computed is None:
            if st.local is None and st.solar is None:
                self.error(
                    path, "needs 'local' (the time the sources state) or 'solar' (e.g. sundown)"
                )
            return None
        governs = st.governs or ("stated" if stated is not None else "solar")
        if governs == "stated" and stated is None:
            self.error((*path, "governs"), "is 'stated' but no 'local' time is given")
            return None
        if governs == "solar" and computed is None:
            self.error((*path, "governs"), "is 'solar' but the solar event could not be computed")
            return None
        disagreement = None
        if stated is not None and computed is not None:
            disagreement = (stated - computed).total_seconds() / 60.0
            if abs(disagreement) > st.tolerance_minutes:
                self.warn(
                    path,
                    f"the sources state {stated.isoformat()} but {st.solar.event if st.solar else ''} at "
                    f"{st.solar.place if st.solar else 'the given place'} is computed at "
                    f"{computed.isoformat(timespec='minutes')} ({disagreement:+.0f} min); "
                    f"the {governs} time governs",
                )
        instant = stated if governs == "stated" else computed
        assert instant is not None
        return Start(
            label=st.label,
            instant=instant,
            stated=stated,
            stated_text=st.text,
            computed=computed,
            solar_event=st.solar.event if st.solar else None,
            solar_place=st.solar.place if st.solar else None,
            governs=governs,
            disagreement_minutes=disagreement,
            tolerance_minutes=st.tolerance_minutes,
            refs=tuple(st.refs),
        )

    def _lifecycles(self) -> tuple[tuple[Lifecycle, ...], tuple[Phase, ...]]:
        lifecycles, phases = [], []
        seen_phases: dict[str, P] = {}
        seen_lc: set[str] = set()
        zone_ids = {z.id for z in self.spec.zones}
        claimed: dict[str, str] = {}
        for i, lc in enumerate(self.spec.lifecycles):
            path: P = ("lifecycles", i)
            if lc.id in seen_lc:
                self.error((*path, "id"), f"{lc.id!r} is used twice")
            seen_lc.add(lc.id)
            for j, z in enumerate(lc.zones):
                if self.must(z, zone_ids, "zone", (*path, "zones", j)):
                    if z in claimed:
                        self.error(
                            (*path, "zones", j), f"zone {z!r} already has lifecycle {claimed[z]!r}"
                        )
                    claimed[z] = lc.id
            start = self._start(lc.start, (*path, "start"))
            own: list[str] = []
            for j, ph in enumerate(lc.phases):
                ppath: P = (*path, "phases", j)
                if ph.id in seen_phases:
                    self.error((*ppath, "id"), f"phase {ph.id!r} is used twice")
                seen_phases[ph.id] = ppath
                duration = self.duration(ph.duration, (*ppath, "duration"))
                renewal = None
                if ph.renewal is not None:
                    r = ph.renewal
                    block = self.duration(r.block, (*ppath, "renewal", "block"))
                    if r.by == "automatic" and block is None and duration is None:
                        self.error(
                            (*ppath, "renewal", "block"),
                            "an automatic renewal needs a block or the phase's duration",
                        )
                    if r.by == "joint_decision" and not r.of:
                        self.error(
                            (*ppath, "renewal", "of"),
                            "name the guarantors whose joint decision renews the phase",
                        )
                    renewal = Renewal(
                        r.by, tuple(r.of), block or duration, tuple(r.objection_by), tuple(r.refs)
                    )
                    if duration is None:
                        self.error(
                            (*ppath, "renewal"),
                            "an open-ended phase cannot be renewed; give a duration",
                        )
                if ph.starts.startswith("after:"):
                    if ph.starts[6:] not in own:
                        self.error(
                            (*ppath, "starts"),
                            f"{ph.starts[6:]!r} is not an earlier phase of lifecycle {lc.id!r}",
                        )
                elif ph.starts not in ("start", "conditions"):
                    self.error(
                        (*ppath, "starts"),
                        f"{ph.starts!r} must be 'start', 'after:<phase>' or 'conditions'",
                    )
                entry = tuple(ph.entry_conditions.all_of) if ph.entry_conditions else ()
                if ph.starts == "conditions" and not entry:
                    self.error(
                        (*ppath, "entry_conditions"),
                        "a phase that starts on conditions must list them",
                    )
                own.append(ph.id)
                phases.append(
                    Phase(
                        ph.id,
                        ph.title,
                        ph.starts,
                        duration,
                        lc.id,
                        renewal,
                        entry,
                        ph.status_historical,
                        tuple(ph.refs),
                    )
                )
            if start is not None:
                lifecycles.append(
                    Lifecycle(lc.id, lc.title, tuple(lc.zones), start, tuple(own), tuple(lc.refs))
                )
        self._check_overlaps(phases, {lc.id: lc for lc in lifecycles}, seen_phases)
        return tuple(lifecycles), tuple(phases)

    def _check_overlaps(
        self, phases: list[Phase], lifecycles: dict[str, Lifecycle], paths: dict[str, P]
    ) -> None:
        windows: dict[str, tuple[datetime, datetime | None]] = {}
        for ph in phases:
            lc = lifecycles.get(ph.lifecycle)
            if lc is None:
                continue
            if ph.starts == "start":
                begin = lc.start.instant
            elif ph.starts.startswith("after:") and ph.starts[6:] in windows:
                end = windows[ph.starts[6:]][1]
                if end is None:
                    self.error(
                        (*paths[ph.id], "starts"), f"follows {ph.starts[6:]!r}, which is open-ended"
                    )
                    continue
                begin = end
            else:
                continue
            windows[ph.id] = (begin, ph.duration.after(begin) if ph.duration else None)
        items = [(k, v, phases_by_id(phases)[k].lifecycle) for k, v in windows.items()]
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (ida, (sa, ea), la), (idb, (sb, eb), lb) = items[a], items[b]
                if la != lb:
                    continue  # lifecycles run in parallel
                if (eb is None or sa < eb) and (ea is None or sb < ea):
                    self.error(
                        (*paths[idb], "starts"),
                        f"phase {idb!r} ({sb.isoformat()} – {eb.isoformat() if eb else 'open'}) overlaps "
                        f"phase {ida!r} ({sa.isoformat()} – {ea.isoformat() if ea else 'open'}); "
                        "make one start after the other",
                    )

    # -- conditions, zones, terms ------------------------------------------------------------
    def _conditions(self) -> tuple[Condition, ...]:
        out = []
        for i, c in enumerate(self.spec.conditions):
            path: P = ("conditions", i)
            reset = None
            params: dict[str, Any]
            if isinstance(c, s.ReducedViolence):
                first = self.day(c.baseline.from_, (*path, "baseline", "from"))
                last = self.day(c.baseline.to, (*path, "baseline", "to"))
                if first and last and last < first:
                    self.error(
                        (*path, "baseline", "to"), f"ends ({last}) before it starts ({first})"
                    )
                params = {
                    "metric": c.metric,
                    "scope": c.scope,
                    "threshold_ratio": c.threshold_ratio,
                    "decide_on": c.decide_on,
                    "baseline": {"from": c.baseline.from_, "to": c.baseline.to},
                }
            elif isinstance(c, s.AidDelivered):
                params = {"destination": c.destination}
            elif isinstance(c, s.AirHalted):
                self.actor(c.actor, (*path, "actor"))
                params = {"actor": c.actor, "zone": c.zone}
            else:
                params = {"days": c.days, "of": list(c.of)}
                if c.reset is not None:
                    reset = ResetRule(
                        c.reset.type, tuple(c.reset.of), c.reset.trigger, tuple(c.reset.refs)
                    )
            out.append(Condition(c.id, c.type, c.title, params, reset, tuple(c.refs)))
        return tuple(out)

    def _zones(self) -> tuple[Zone, ...]:
        out = []
        for i, z in enumerate(self.spec.zones):
            path: P = ("zones", i)
            geometry = z.geometry
            if geometry is not None:
                self._check_geometry(geometry, (*path, "geometry"), z.type)
            if z.geometry_file is not None:
                if geometry is not None:
                    self.error(
                        (*path, "geometry_file"), "give the geometry inline or in a file, not both"
                    )
                geometry = self._geometry_file(
                    z.geometry_file, z.feature, (*path, "geometry_file"), z.type
                )
            elif z.feature is not None:
                self.error((*path, "feature"), "names a feature but no 'geometry_file' is given")
            sources = [
                k for k, v in (("geometry", geometry), ("pcodes", z.pcodes), ("band", z.band)) if v
            ]
            if len(sources) > 1:
                self.error(path, f"give one geometry source, not {' and '.join(sources)}")
            if z.reference_line is not None:
                line_file = _data_dir() / "zones" / f"{z.reference_line}.geojson"
                if "/" in z.reference_line or ".." in z.reference_line or not line_file.is_file():
                    names = sorted(p.stem for p in (_data_dir() / "zones").glob("*.geojson"))
                    self.error(
                        (*path, "reference_line"),
                        f"{z.reference_line!r} is not a packaged line; use one of {names}",
                    )
            has_shape = bool(sources) or z.reference_line is not None
            if z.status in ("delineated", "approximate") and not has_shape:
                self.error(
                    (*path, "status"),
                    f"is {z.status!r} but no geometry, file, P-codes, band or reference line is given",
                )
            if z.status in ("undelineated", "unpublished") and has_shape:
                self.error(
                    (*path, "status"),
                    f"is {z.status!r} but a geometry source is given; use 'approximate' and say how in 'method'",
                )
            if z.status == "approximate" and not z.method and z.reference_line is None:
                self.warn((*path, "method"), "an approximate zone should say how it was made")
            if z.restricted_actor is not None:
                self.actor(z.restricted_actor, (*path, "restricted_actor"))
            rules = []
            for j, r in enumerate(z.rules):
                self.actor(r.bearer, (*path, "rules", j, "bearer"), groups=True)
                classes = (
                    (r.weapon_class,) if isinstance(r.weapon_class, str) else tuple(r.weapon_class)
                )
                rules.append(
                    ZoneRule(
                        r.bearer,
                        classes,
                        r.side_of_road or "",
                        r.min_distance_m,
                        r.rule,
                        tuple(r.refs),
                    )
                )
            band = None
            if z.band is not None:
                if z.band.depth_max_m < z.band.depth_min_m:
                    self.error((*path, "band", "depth_max_m"), "is smaller than depth_min_m")
                band = Band(z.band.line, z.band.depth_min_m, z.band.depth_max_m, z.band.within)
            out.append(
                Zone(
                    z.id,
                    z.type,
                    z.title,
                    geometry,
                    z.status,
                    tuple(z.within),
                    tuple(rules),
                    z.reference_feature,
                    z.note,
                    tuple(z.refs),
                    z.reference_line,
                    tuple(z.pcodes),
                    band,
                    z.method,
                    z.restricted_actor,
                    self.loc.line(("agreement", *path)),
                )
            )
        ids = {zm.id: zm for zm in out}
        for i, zm in enumerate(out):
            band = zm.band
            if band is not None:
                path = ("zones", i, "band", "line")
                if (
                    self.must(band.line, set(ids), "zone", path)
                    and ids[band.line].type != "contact_line"
                ):
                    self.error(path, f"{band.line!r} is not a contact_line zone")
                if band.within is not None:
                    self.must(band.within, set(ids), "zone", ("zones", i, "band", "within"))
        return tuple(out)

    def _geometry_file(
        self, name: str, feature: str | None, path: P, kind: str
    ) -> dict[str, Any] | None:
        if self.base_dir is None:
            self.error(path, "a geometry file needs the agreement to be read from a file")
            return None
        try:
            if isinstance(self.base_dir, Mapping):  # an agreement registered with its files
                raw = self.base_dir.get(name)
                if raw is None:
                    self.error(path, f"{name!r} is not among the files registered with it")
                    return None
                if len(raw.encode("utf-8")) > MAX_GEOMETRY_BYTES:
                    self.error(path, f"{name!r} is larger than {MAX_GEOMETRY_BYTES:,} bytes")
                    return None
                data = json.loads(raw)
            else:
                file = self.base_dir / name
                if file.stat().st_size > MAX_GEOMETRY_BYTES:
                    self.error(path, f"{name!r} is larger than {MAX_GEOMETRY_BYTES:,} bytes")
                    return None
                data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.error(path, f"{name!r} is not a file beside the agreement ({self.base_dir})")
            return None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            self.error(path, f"{name!r} is not readable GeoJSON ({type(exc).__name__})")
            return None
        geometry = _pick_geometry(data, feature)
        if isinstance(geometry, str):
            self.error(path, f"{name!r}: {geometry}")
            return None
        self._check_geometry(geometry, path, kind)
        return geometry

    def _check_geometry(self, geometry: Any, path: P, kind: str) -> None:
        from shapely.geometry import shape
        from shapely.validation import explain_validity

        if not isinstance(geometry, dict) or "type" not in geometry:
            self.error(path, "must be a GeoJSON geometry object with 'type' and 'coordinates'")
            return
        if vertex_count(geometry.get("coordinates")) > MAX_VERTICES:
            self.error(path, f"has more than {MAX_VERTICES:,} vertices; simplify it")
            return
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            self.error(path, f"is not a readable GeoJSON geometry: {exc}")
            return
        if geom.is_empty:
            self.error(path, "is empty")
        elif not geom.is_valid:
            self.error(path, f"is not a valid geometry: {explain_validity(geom)}")
        else:
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                self.error(path, "has coordinates outside WGS84 longitude/latitude ranges")
            line = geom.geom_type in ("LineString", "MultiLineString")
            if (kind in AREA_TYPES) != line and geom.geom_type != "Point":
                want = "a line" if kind in AREA_TYPES else "an area (Polygon or MultiPolygon)"
                self.error(path, f"is a {geom.geom_type}; a {kind} zone needs {want}")

    def _terms(self) -> tuple[Term, ...]:
        out = []
        phase_ids = {ph.id for lc in self.spec.lifecycles for ph in lc.phases}
        zone_ids = {z.id for z in self.spec.zones}
        term_ids = {t.id for t in self.spec.terms}
        weapons = set(s.WEAPON_CLASSES) | set(self.spec.vocabulary.weapon_classes)
        means = set(s.MEANS) | set(self.spec.vocabulary.means)
        for i, t in enumerate(self.spec.terms):
            path: P = ("terms", i)
            sc = t.scope
            for j, b in enumerate(sc.bearers):
                self.actor(b, (*path, "scope", "bearers", j), groups=True, all_covered=True)
            inside = tuple(sc.where.inside) if sc.where else ()
            outside = tuple(sc.where.outside) if sc.where else ()
            for key, refs in (("inside", inside), ("outside", outside)):
                for j, z in enumerate(refs):
                    self.must(z, zone_ids, "zone", (*path, "scope", "where", key, j))
            for j, ph in enumerate(sc.when):
                self.must(ph, phase_ids, "phase", (*path, "scope", "when", j))
            for j, m in enumerate(sc.means):
                self.must(m, means, "means", (*path, "scope", "means", j))
            for j, w in enumerate(sc.weapon_classes):
                self.must(w, weapons, "weapon class", (*path, "scope", "weapon_classes", j))
            if t.exceptions.self_defence is not None:
                self.must(
                    t.exceptions.self_defence,
                    term_ids,
                    "term",
                    (*path, "exceptions", "self_defence"),
                )
            due = self.instant(t.due, (*path, "due"))
            requirement = None
            if t.type == "deadline":
                if t.due is None:
                    self.error(path, "a deadline term needs 'due'")
                if t.requirement is None:
                    self.error(path, "a deadline term needs 'requirement'")
            elif t.due is not None or t.requirement is not None:
                self.error((*path, "type"), "only a deadline term has 'due' and 'requirement'")
            if t.requirement is not None:
                r = t.requirement
                if r.zone is not None:
                    self.must(r.zone, zone_ids, "zone", (*path, "requirement", "zone"))
                for j, w in enumerate(r.weapon_classes):
                    self.must(
                        w, weapons, "weapon class", (*path, "requirement", "weapon_classes", j)
                    )
                for j, g in enumerate(r.groups):
                    self.actor(g, (*path, "requirement", "groups", j), groups=True)
                if r.what == "withdraw" and not r.weapon_classes:
                    self.error(
                        (*path, "requirement", "weapon_classes"),
                        "a withdrawal names the weapon classes",
                    )
                if r.what in ("withdraw", "remove_groups") and r.zone is None:
                    self.error((*path, "requirement", "zone"), f"'{r.what}' needs the zone")
                requirement = Requirement(
                    r.what, r.zone, tuple(r.weapon_classes), tuple(r.groups), r.route
                )
            out.append(
                Term(
                    id=t.id,
                    type=t.type,
                    action=t.action,
                    phases=tuple(sc.when),
                    bearers=tuple(sc.bearers),
                    title=t.title,
                    category=t.category,
                    inside=inside,
                    outside=outside,
                    means=tuple(sc.means),
                    weapon_classes=tuple(sc.weapon_classes),
                    targets=tuple(sc.targets),
                    self_defence=t.exceptions.self_defence,
                    excluded_exempt=t.exceptions.excluded_groups,
                    holds_on_excluded_ground=t.exceptions.holds_where_excluded_present,
                    due=due,
                    requirement=requirement,
                    text=t.text,
                    refs=tuple(t.refs),
                )
            )
        for i, tm in enumerate(out):
            if tm.self_defence is not None and tm.self_defence in term_ids:
                other = next(o for o in out if o.id == tm.self_defence)
                if other.type != "permission":
                    self.error(
                        ("terms", i, "exceptions", "self_defence"),
                        f"{other.id!r} is not a permission term",
                    )
        return tuple(out)

    def _declarations(self) -> tuple[Declaration, ...]:
        out = []
        term_ids = {t.id for t in self.spec.terms}
        for i, d in enumerate(self.spec.declarations):
            path: P = ("declarations", i)
            self.actor(d.by, (*path, "by"), groups=True)
            at = self.instant(d.at, (*path, "at"))
            if d.term is not None:
                self.must(d.term, term_ids, "term", (*path, "term"))
            elif d.kind == "completion":
                self.error(
                    (*path, "term"), "a completion declaration names the deadline term it completes"
                )
            phase_ids = {ph.id for lc in self.spec.lifecycles for ph in lc.phases}
            if d.phase is not None:
                self.must(d.phase, phase_ids, "phase", (*path, "phase"))
            elif d.kind == "objection":
                self.error(
                    (*path, "phase"), "an objection names the phase whose renewal it objects to"
                )
            if at is not None:
                actors = self.groups.get(d.by, (d.by,))
                out.append(
                    Declaration(
                        d.id, d.by, actors, d.kind, at, d.term, d.text, tuple(d.refs), d.phase
                    )
                )
        return tuple(out)

    def _determinations(self) -> tuple[Determination, ...]:
        out = []
        term_ids = {t.id for t in self.spec.terms}
        for i, d in enumerate(self.spec.determinations):
            path: P = ("determinations", i)
            at = self.instant(d.at, (*path, "at"))
            if ":" not in d.incident:
                self.error(
                    (*path, "incident"),
                    f"{d.incident!r} is not an incident key such as ucdp:227950",
                )
            for j, t in enumerate(d.terms):
                self.must(t, term_ids, "term", (*path, "terms", j))
            for j, a in enumerate(d.attribution):
                self.actor(a, (*path, "attribution", j))
            if at is not None:
                out.append(
                    Determination(
                        d.incident,
                        d.qualification,
                        d.by,
                        at,
                        tuple(d.terms),
                        tuple(d.attribution),
                        d.note,
                        tuple(d.refs),
                    )
                )
        return tuple(out)

    def _bodies(self) -> tuple[MonitoringBody, ...]:
        out = []
        zone_ids = {z.id for z in self.spec.zones}
        for i, b in enumerate(self.spec.monitoring.bodies):
            path: P = ("monitoring", "bodies", i)
            for j, m in enumerate(b.members):
                self.actor(m, (*path, "members", j), groups=True)
            for j, z in enumerate(b.zones):
                self.must(z, zone_ids, "zone", (*path, "zones", j))
            self.day(b.established[:10] if b.established else None, (*path, "established"))
            if (b.lat is None) != (b.lon is None):
                self.error(path, "give both 'lat' and 'lon' or neither")
            out.append(
                MonitoringBody(
                    b.id,
                    b.type,
                    b.title,
                    tuple(b.members),
                    b.location,
                    b.lat,
                    b.lon,
                    tuple(b.zones),
                    b.established,
                    b.ended,
                    b.mandate,
                    tuple(b.refs),
                )
            )
        return tuple(out)

    def _indicator(self) -> Indicator:
        ind = self.spec.monitoring.indicator
        path: P = ("monitoring", "indicator")
        if ind.baseline is not None:
            first = self.day(ind.baseline.from_, (*path, "baseline", "from"))
            last = self.day(ind.baseline.to, (*path, "baseline", "to"))
            if first and last and last < first:
                self.error((*path, "baseline", "to"), f"ends ({last}) before it starts ({first})")
            return Indicator(ind.metric, ind.baseline.from_, ind.baseline.to, ind.baseline_days)
        cutoff = self.spec.monitoring.report_cutoff
        if cutoff != "24:00":
            try:
                time.fromisoformat(cutoff)
            except ValueError:
                self.error(
                    ("monitoring", "report_cutoff"), f"{cutoff!r} is not a time of day (HH:MM)"
                )
        return Indicator(ind.metric, None, None, ind.baseline_days)

    def _decisions(self, agreement: Agreement) -> tuple[Decision, ...]:
        out = []
        for i, d in enumerate(self.spec.decisions):
            path: P = ("decisions", i)
            decided = self.instant(d.decided_at, (*path, "decided_at"))
            effective = self.instant(d.effective, (*path, "effective")) if d.effective else decided
            until = self.instant(d.until, (*path, "until"))
            for j, a in enumerate(d.approvals):
                self.actor(a, (*path, "approvals", j))
            if decided is None or effective is None:
                continue
            coverage = Coverage(d.coverage) if d.coverage else None
            for field, message in decision_problems(
                agreement, d.kind, d.subject, effective, until, coverage, d.qualification
            ):
                self.error((*path, field), message)
            out.append(
                Decision(
                    d.id,
                    d.kind,
                    d.subject,
                    decided,
                    effective,
                    tuple(d.approvals),
                    until,
                    coverage,
                    d.text,
                    tuple(d.refs),
                    d.qualification,
                )
            )
        ids = [dm.id for dm in out]
        for i, decision_id in enumerate(ids):
            if ids.index(decision_id) != i:
                self.error(("decisions", i, "id"), f"{decision_id!r} is used twice")
        return tuple(out)

    # -- cross references -----------------------------------------------------------------------
    def _cross_check(
        self,
        lifecycles: tuple[Lifecycle, ...],
        phases: tuple[Phase, ...],
        conditions: tuple[Condition, ...],
        zones: tuple[Zone, ...],
        terms: tuple[Term, ...],
        guarantors: tuple[Guarantor, ...],
        declarations: tuple[Declaration, ...],
    ) -> None:
        def unique(kind: str, ids: list[str]) -> set[str]:
            seen: set[str] = set()
            for i, x in enumerate(ids):
                if x in seen:
                    self.error((kind, i, "id"), f"{x!r} is used twice")
                seen.add(x)
            return seen

        condition_ids = unique("conditions", [c.id for c in conditions])
        unique("zones", [z.id for z in zones])
        unique("terms", [t.id for t in terms])
        unique("declarations", [d.id for d in declarations])
        zone_by_id = {z.id: z for z in zones}
        guarantor_ids = {g.actor for g in guarantors}
        phase_paths = {
            ph.id: (i, j)
            for i, lc in enumerate(self.spec.lifecycles)
            for j, ph in enumerate(lc.phases)
        }
        for ph in phases:
            i, j = phase_paths[ph.id]
            p: P = ("lifecycles", i, "phases", j)
            for k, c in enumerate(ph.entry_conditions):
                self.must(c, condition_ids, "condition", (*p, "entry_conditions", "all_of", k))
            if ph.renewal is not None:
                for k, g in enumerate(ph.renewal.of):
                    self.must(g, guarantor_ids, "guarantor", (*p, "renewal", "of", k))
                for k, g in enumerate(ph.renewal.objection_by):
                    self.actor(g, (*p, "renewal", "objection_by", k))
        for i, cond in enumerate(conditions):
            p = ("conditions", i)
            if cond.type == "consecutive_days":
                for j, ref in enumerate(cond.params.get("of") or []):
                    self.must(str(ref), condition_ids, "condition", (*p, "of", j))
            if cond.type == "air_activity_halted":
                self.must(str(cond.params["zone"]), set(zone_by_id), "zone", (*p, "zone"))
            if cond.reset is not None:
                for j, g in enumerate(cond.reset.of):
                    self.must(g, guarantor_ids, "guarantor", (*p, "reset", "of", j))
        by_lifecycle = {z: lc.id for lc in lifecycles for z in lc.zones}
        phase_lc = {ph.id: ph.lifecycle for ph in phases}
        for i, t in enumerate(terms):
            lcs = {phase_lc.get(ph) for ph in t.phases}
            for z in t.inside:
                own = by_lifecycle.get(z)
                if own is not None and own not in lcs:
                    self.error(
                        ("terms", i, "scope", "when"),
                        f"zone {z!r} runs on lifecycle {own!r}; name phases of that lifecycle",
                    )
            if t.type == "permission" and t.action != "self_defence" and not t.inside:
                continue


def phases_by_id(phases: list[Phase]) -> dict[str, Phase]:
    return {p.id: p for p in phases}


def _pick_geometry(data: Any, feature: str | None) -> dict[str, Any] | str:
    if not isinstance(data, dict):
        return "is not a GeoJSON object"
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            return "has no 'features' list"
        if feature is None:
            if len(features) != 1:
                return f"holds {len(features)} features; name one with 'feature'"
            chosen = features[0]
        else:
            matches = [
                f
                for f in features
                if isinstance(f, dict)
                and (f.get("id") == feature or (f.get("properties") or {}).get("id") == feature)
            ]
            if len(matches) != 1:
                return f"has no single feature with id {feature!r}"
            chosen = matches[0]
        geometry = chosen.get("geometry") if isinstance(chosen, dict) else None
    elif kind == "Feature":
        geometry = data.get("geometry")
    else:
        geometry = data
    if not isinstance(geometry, dict):
        return "has no geometry"
    return geometry


def _data_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("ceasefire") / "data"))


def _closest(word: str, options: set[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return found[0] if found else None
