"""Load an agreement file, validate every part of it, and report problems with their lines.

Validation collects every problem it can find (not just the first) as
``FILE:LINE: field: message`` and raises :class:`~ceasefire.errors.AgreementError` if any is an
error.  Warnings (for instance a stated start that disagrees with the computed sundown) are kept
on the agreement as notes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ceasefire.agreements.located import Located, load_located
from ceasefire.agreements.solar import solar_instant
from ceasefire.errors import AgreementError, ConfigError, NotFoundError, Problem
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.agreement import (
    Agreement,
    Condition,
    Coverage,
    Decision,
    Exclusion,
    Guarantor,
    Instrument,
    Obligation,
    Party,
    Phase,
    ResetRule,
    Start,
    Zone,
    ZoneRule,
)

__all__ = ["bundled_names", "default_registry", "load_agreement", "resolve_agreement_path"]

T = TypeVar("T")
P = tuple[str | int, ...]

INSTRUMENT_STATUS = {"published", "leaked", "unpublished", "reported"}
OBLIGATION_TYPES = {"prohibition", "requirement", "permission"}
OBLIGATION_ACTIONS = {
    "attack",
    "acquire_territory",
    "humanitarian_access",
    "self_defence",
    "withdraw",
    "separate",
    "fly",
    "other",
}
CONDITION_TYPES = {
    "reduced_violence",
    "humanitarian_access_delivered",
    "air_activity_halted",
    "consecutive_days",
}
ZONE_TYPES = {
    "demilitarized_zone",
    "withdrawal_band",
    "restricted_airspace",
    "corridor",
    "checkpoint",
    "disengagement_area",
}
ZONE_STATUS = {"delineated", "approximate", "undelineated", "unpublished"}
DECISION_KINDS = {"extend_phase", "reset_clock", "end_phase", "approve_delineation", "other"}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def _data_dir() -> Path:
    return Path(str(resources.files("ceasefire") / "data"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in (_data_dir() / "agreements").glob("*.yaml"))


def resolve_agreement_path(name_or_path: str) -> Path:
    """A file path, or the name of a bundled example (``syria-2016-09``)."""
    candidate = Path(name_or_path)
    if _is_file(candidate):
        return candidate
    bundled = _data_dir() / "agreements" / f"{name_or_path}.yaml"
    if "/" not in name_or_path and _is_file(bundled):
        return bundled
    names = ", ".join(bundled_names())
    raise ConfigError(
        f"No agreement file or bundled agreement named {name_or_path!r}. "
        f"Give a path to a YAML file, or one of the bundled names: {names}."
    )


def bundled_agreement_path(name: str) -> Path:
    """The file of a bundled agreement, by name only: what the server accepts (a name sent over
    HTTP is never read as a path on the server)."""
    if name not in bundled_names():
        raise NotFoundError(f"No agreement {name!r}; known: {', '.join(bundled_names())}.")
    return _data_dir() / "agreements" / f"{name}.yaml"


def load_bundled_agreement(name: str) -> Agreement:
    """A bundled agreement by name only (see ``bundled_agreement_path``)."""
    return load_agreement(str(bundled_agreement_path(name)))


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that says no, rather than raising, for a name too long or malformed."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def default_registry() -> ActorRegistry:
    return ActorRegistry.from_csv(_data_dir() / "actors.csv")


def load_agreement(name_or_path: str, registry: ActorRegistry | None = None) -> Agreement:
    path = resolve_agreement_path(name_or_path)
    display = name_or_path if not _is_file(Path(name_or_path)) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AgreementError(
            [Problem(display, 1, "(file)", f"is not UTF-8 text ({exc.reason})")]
        ) from exc
    return parse_agreement(text, display, registry or default_registry())


def parse_agreement(text: str, filename: str, registry: ActorRegistry) -> Agreement:
    try:
        located = load_located(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise AgreementError(
            [Problem(filename, line, "(yaml)", f"not valid YAML: {problem}")]
        ) from exc
    builder = _Builder(located, filename, registry)
    agreement = builder.build()
    errors = [p for p in builder.problems if p.severity == "error"]
    if errors or agreement is None:
        raise AgreementError(errors or builder.problems)
    return agreement


def check_agreement(name_or_path: str) -> list[Problem]:
    """Every problem (errors and warnings) in a file, for ``ceasefire agreement check``."""
    path = resolve_agreement_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
        located = load_located(text)
    except UnicodeDecodeError as exc:
        return [Problem(name_or_path, 1, "(file)", f"is not UTF-8 text ({exc.reason})")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return [Problem(name_or_path, line, "(yaml)", f"not valid YAML: {problem}")]
    builder = _Builder(located, name_or_path, default_registry())
    builder.build()
    return sorted(builder.problems)


class _Builder:
    def __init__(self, located: Located, filename: str, registry: ActorRegistry) -> None:
        self.loc = located
        self.file = filename
        self.registry = registry
        self.problems: list[Problem] = []
        self.tz: ZoneInfo = ZoneInfo("UTC")

    # -- reporting -----------------------------------------------------------------
    def error(self, path: P, message: str, severity: str = "error") -> None:
        field = ".".join(str(p) for p in path if p != "agreement") or "(document)"
        self.problems.append(Problem(self.file, self.loc.line(path), field, message, severity))

    def warn(self, path: P, message: str) -> None:
        self.error(path, message, "warning")

    # -- typed getters --------------------------------------------------------------
    def get(
        self,
        obj: dict[str, Any],
        path: P,
        key: str,
        kind: type[T] | tuple[type, ...],
        required: bool = True,
        default: Any = None,
    ) -> Any:
        if key not in obj or obj[key] is None:
            if required:
                self.error(path, f"is missing the required field {key!r}")
            return default
        value = obj[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            self.error(
                (*path, key), f"must be {_article(names)}, not {type(value).__name__} {value!r}"
            )
            return default
        return value

    def str_list(self, obj: dict[str, Any], path: P, key: str) -> tuple[str, ...]:
        value = obj.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error((*path, key), "must be a list of strings")
            return ()
        return tuple(value)

    def mapping(self, value: Any, path: P) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping, not {type(value).__name__}")
            return None
        return value

    def known_keys(self, obj: dict[str, Any], path: P, allowed: set[str]) -> None:
        for key in obj:
            if key not in allowed:
                hint = _closest(key, allowed)
                extra = f"; did you mean {hint!r}?" if hint else ""
                self.error((*path, key), f"is not a known field{extra}")

    def items(self, root: dict[str, Any], key: str) -> list[tuple[P, dict[str, Any]]]:
        value = root.get(key)
        path: P = ("agreement", key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            m = self.mapping(item, (*path, i))
            if m is not None:
                out.append(((*path, i), m))
        return out

    def instant(self, value: Any, path: P) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if not isinstance(value, str):
            self.error(path, f"must be an ISO 8601 date-time, not {value!r}")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                self.error(
                    path, f"{value!r} is not a valid ISO 8601 date-time (e.g. 2016-09-12T19:00)"
                )
                return None
            parsed = datetime.combine(day, time(0))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed

    def day(self, value: Any, path: P) -> date | None:
        if not isinstance(value, str):
            self.error(path, f"must be an ISO date (YYYY-MM-DD), not {value!r}")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a valid date (YYYY-MM-DD)")
            return None

    def duration(self, value: Any, path: P) -> timedelta | None:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None or value in ("P", "PT"):
            self.error(path, f"{value!r} is not an ISO 8601 duration such as PT48H or P7D")
            return None
        d, h, m = (int(g) if g else 0 for g in match.groups())
        return timedelta(days=d, hours=h, minutes=m)

    def actor(self, value: str, path: P, groups: dict[str, tuple[str, ...]] | None = None) -> bool:
        if value in self.registry or (groups is not None and value in groups):
            return True
        hint = _closest(value, {a.id for a in self.registry} | set(groups or {}))
        extra = f"; did you mean {hint!r}?" if hint else ""
        self.error(path, f"{value!r} is not a known actor id{' or group' if groups else ''}{extra}")
        return False

    # -- the document ----------------------------------------------------------------
    def build(self) -> Agreement | None:
        doc = self.loc.data
        if not isinstance(doc, dict):
            self.error((), "the file must be a YAML mapping with 'schema_version' and 'agreement'")
            return None
        self.known_keys(doc, (), {"schema_version", "agreement"})
        version = self.get(doc, (), "schema_version", int)
        if version is not None and version != 1:
            self.error(("schema_version",), f"version {version} is not supported; use 1")
        root = self.mapping(doc.get("agreement"), ("agreement",)) if "agreement" in doc else None
        if root is None:
            if "agreement" not in doc:
                self.error((), "is missing the required field 'agreement'")
            return None
        path: P = ("agreement",)
        self.known_keys(
            root,
            path,
            {
                "id",
                "title",
                "timezone",
                "sources",
                "instruments",
                "actor_groups",
                "guarantors",
                "parties",
                "coverage_by_side",
                "exclusions",
                "start",
                "phases",
                "conditions",
                "zones",
                "obligations",
                "decisions",
                "monitoring",
                "notes",
            },
        )
        agreement_id = self.get(root, path, "id", str, default="")
        title = self.get(root, path, "title", str, default="")
        tz_name = self.get(root, path, "timezone", str, default="UTC")
        try:
            self.tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(
                (*path, "timezone"), f"{tz_name!r} is not an IANA time zone (e.g. Asia/Damascus)"
            )
        sources = self._sources(root)
        instruments = self._instruments(root)
        groups = self._groups(root)
        guarantors = self._guarantors(root, groups)
        parties = self._parties(root, groups)
        coverage_by_side = self._coverage_by_side(root)
        exclusions = self._exclusions(root)
        start = self._start(root)
        obligations = self._obligations(root, groups)
        phases = self._phases(root)
        conditions = self._conditions(root)
        zones = self._zones(root, groups)
        decisions = self._decisions(root)
        self._cross_check(
            root, start, phases, conditions, zones, obligations, decisions, guarantors, sources
        )
        if any(p.severity == "error" for p in self.problems) or start is None:
            return None
        notes = tuple(p.message for p in self.problems if p.severity == "warning")
        return Agreement(
            id=agreement_id,
            title=title,
            timezone=self.tz,
            instruments=instruments,
            actor_groups=groups,
            guarantors=guarantors,
            parties=parties,
            coverage_by_side=coverage_by_side,
            exclusions=exclusions,
            start=start,
            phases=phases,
            conditions=conditions,
            zones=zones,
            obligations=obligations,
            decisions=decisions,
            sources=sources,
            registry=self.registry,
            source_file=self.file,
            notes=notes,
        )

    def _sources(self, root: dict[str, Any]) -> dict[str, str]:
        value = root.get("sources") or {}
        if not isinstance(value, dict):
            self.error(("agreement", "sources"), "must map source keys (S1) to titles or addresses")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def _instruments(self, root: dict[str, Any]) -> tuple[Instrument, ...]:
        out = []
        for path, item in self.items(root, "instruments"):
            self.known_keys(
                item,
                path,
                {"id", "title", "status", "date", "in_force", "note", "refs", "endorsed_by"},
            )
            status = self.get(item, path, "status", str, default="")
            if status and status not in INSTRUMENT_STATUS:
                self.error(
                    (*path, "status"), f"{status!r} must be one of {sorted(INSTRUMENT_STATUS)}"
                )
            out.append(
                Instrument(
                    id=self.get(item, path, "id", str, default=""),
                    title=self.get(item, path, "title", str, default=""),
                    status=status,
                    date=str(item.get("date") or item.get("in_force") or ""),
                    note=str(item.get("note") or ""),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _groups(self, root: dict[str, Any]) -> dict[str, tuple[str, ...]]:
        value = root.get("actor_groups") or {}
        path: P = ("agreement", "actor_groups")
        if not isinstance(value, dict):
            self.error(path, "must map group ids to lists of actor ids")
            return {}
        groups: dict[str, tuple[str, ...]] = {}
        for name, members in value.items():
            gpath = (*path, name)
            if name in self.registry:
                self.error(gpath, f"group id {name!r} is already an actor id; choose another name")
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                self.error(gpath, "must be a list of actor ids")
                continue
            for i, member in enumerate(members):
                self.actor(member, (*gpath, i))
            groups[name] = tuple(members)
        return groups

    def _guarantors(
        self, root: dict[str, Any], groups: dict[str, tuple[str, ...]]
    ) -> tuple[Guarantor, ...]:
        out = []
        for path, item in self.items(root, "guarantors"):
            self.known_keys(item, path, {"actor", "answers_for", "refs"})
            actor = self.get(item, path, "actor", str, default="")
            if actor:
                self.actor(actor, (*path, "actor"))
            answers = self.str_list(item, path, "answers_for")
            for i, ref in enumerate(answers):
                self.actor(ref, (*path, "answers_for", i), groups)
            out.append(Guarantor(actor, answers, self.str_list(item, path, "refs")))
        return tuple(out)

    def _coverage(self, value: Any, path: P) -> Coverage:
        try:
            return Coverage(value)
        except ValueError:
            self.error(path, f"{value!r} must be one of {[c.value for c in Coverage]}")
            return Coverage.UNKNOWN

    def _parties(
        self, root: dict[str, Any], groups: dict[str, tuple[str, ...]]
    ) -> tuple[Party, ...]:
        out = []
        for path, item in self.items(root, "parties"):
            self.known_keys(
                item, path, {"actor", "group", "coverage", "acquired_by", "note", "refs"}
            )
            actor = self.get(item, path, "actor", str, required=False)
            group = self.get(item, path, "group", str, required=False)
            if (actor is None) == (group is None):
                self.error(path, "give exactly one of 'actor' or 'group'")
                continue
            if actor is not None:
                self.actor(actor, (*path, "actor"))
                members: tuple[str, ...] = (actor,)
            else:
                if group not in groups:
                    self.error((*path, "group"), f"{group!r} is not a group in actor_groups")
                members = groups.get(str(group), ())
            coverage = self._coverage(
                self.get(item, path, "coverage", str, default="unknown"), (*path, "coverage")
            )
            out.append(
                Party(
                    actors=members,
                    coverage=coverage,
                    acquired_by=self.get(item, path, "acquired_by", str, default=""),
                    group=group,
                    note=str(item.get("note") or ""),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _coverage_by_side(self, root: dict[str, Any]) -> dict[str, Coverage]:
        value = root.get("coverage_by_side") or {}
        path: P = ("agreement", "coverage_by_side")
        if not isinstance(value, dict):
            self.error(path, "must map actor sides (government, opposition, …) to a coverage")
            return {}
        sides = {a.side for a in self.registry}
        out = {}
        for side, cov in value.items():
            if side not in sides:
                self.error(
                    (*path, side),
                    f"{side!r} is not a side used in the actor registry {sorted(sides)}",
                )
            out[str(side)] = self._coverage(cov, (*path, side))
        return out

    def _exclusions(self, root: dict[str, Any]) -> tuple[Exclusion, ...]:
        out = []
        for path, item in self.items(root, "exclusions"):
            self.known_keys(item, path, {"actor", "lineage", "rule", "refs"})
            actor = self.get(item, path, "actor", str, default="")
            if actor:
                self.actor(actor, (*path, "actor"))
            out.append(
                Exclusion(
                    actor=actor,
                    lineage=bool(
                        self.get(item, path, "lineage", bool, required=False, default=True)
                    ),
                    rule=str(item.get("rule") or ""),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _start(self, root: dict[str, Any]) -> Start | None:
        path: P = ("agreement", "start")
        item = self.mapping(root.get("start"), path) if "start" in root else None
        if item is None:
            if "start" not in root:
                self.error(("agreement",), "is missing the required field 'start'")
            return None
        self.known_keys(
            item, path, {"label", "local", "text", "solar", "governs", "tolerance_minutes", "refs"}
        )
        stated = (
            self.instant(item["local"], (*path, "local")) if item.get("local") is not None else None
        )
        computed = None
        solar_event = solar_place = None
        solar = item.get("solar")
        if solar is not None:
            spath = (*path, "solar")
            sol = self.mapping(solar, spath)
            if sol is not None:
                self.known_keys(sol, spath, {"event", "date", "place", "lat", "lon"})
                solar_event = self.get(sol, spath, "event", str, default="sunset")
                solar_place = self.get(sol, spath, "place", str, default="")
                lat = self.get(sol, spath, "lat", float)
                lon = self.get(sol, spath, "lon", float)
                when = self.day(sol.get("date"), (*spath, "date"))
                if lat is not None and not -90 <= lat <= 90:
                    self.error((*spath, "lat"), f"latitude {lat} is outside -90..90")
                elif lon is not None and not -180 <= lon <= 180:
                    self.error((*spath, "lon"), f"longitude {lon} is outside -180..180")
                elif lat is not None and lon is not None and when is not None:
                    try:
                        computed = solar_instant(str(solar_event), when, lat, lon, self.tz)
                    except ValueError as exc:
                        self.error((*spath, "event"), str(exc))
        if stated is None and computed is None:
            self.error(path, "needs 'local' (the time the sources state) or 'solar' (e.g. sundown)")
            return None
        governs = self.get(
            item, path, "governs", str, required=False, default="stated" if stated else "solar"
        )
        if governs not in ("stated", "solar"):
            self.error((*path, "governs"), "must be 'stated' or 'solar'")
            governs = "stated"
        if governs == "stated" and stated is None:
            self.error((*path, "governs"), "is 'stated' but no 'local' time is given")
            return None
        if governs == "solar" and computed is None:
            self.error((*path, "governs"), "is 'solar' but the solar event could not be computed")
            return None
        tolerance = self.get(item, path, "tolerance_minutes", float, required=False, default=5.0)
        disagreement = None
        if stated is not None and computed is not None:
            disagreement = (stated - computed).total_seconds() / 60.0
            if abs(disagreement) > tolerance:
                self.warn(
                    path,
                    f"the sources state {stated.isoformat()} but {solar_event} at "
                    f"{solar_place or 'the given place'} is computed at "
                    f"{computed.isoformat(timespec='minutes')} ({disagreement:+.0f} min); "
                    f"the {governs} time governs",
                )
        instant = stated if governs == "stated" else computed
        assert instant is not None
        return Start(
            label=str(item.get("label") or "start"),
            instant=instant,
            stated=stated,
            stated_text=str(item.get("text") or ""),
            computed=computed,
            solar_event=solar_event,
            solar_place=solar_place,
            governs=governs,
            disagreement_minutes=disagreement,
            tolerance_minutes=tolerance,
            refs=self.str_list(item, path, "refs"),
        )

    def _obligations(
        self, root: dict[str, Any], groups: dict[str, tuple[str, ...]]
    ) -> tuple[Obligation, ...]:
        out = []
        for path, item in self.items(root, "obligations"):
            self.known_keys(
                item,
                path,
                {
                    "id",
                    "bearer",
                    "type",
                    "action",
                    "title",
                    "means",
                    "zone",
                    "phases",
                    "exceptions",
                    "refs",
                },
            )
            kind = self.get(item, path, "type", str, default="")
            if kind and kind not in OBLIGATION_TYPES:
                self.error((*path, "type"), f"{kind!r} must be one of {sorted(OBLIGATION_TYPES)}")
            action = self.get(item, path, "action", str, default="")
            if action and action not in OBLIGATION_ACTIONS:
                self.error(
                    (*path, "action"), f"{action!r} must be one of {sorted(OBLIGATION_ACTIONS)}"
                )
            bearers = self.str_list(item, path, "bearer")
            if not bearers:
                self.error(path, "is missing the required field 'bearer'")
            for i, b in enumerate(bearers):
                if b != "all_covered":
                    self.actor(
                        b, (*path, "bearer", i) if len(bearers) > 1 else (*path, "bearer"), groups
                    )
            out.append(
                Obligation(
                    id=self.get(item, path, "id", str, default=""),
                    bearers=bearers,
                    type=kind,
                    action=action,
                    title=str(item.get("title") or ""),
                    means=self.str_list(item, path, "means"),
                    zone=self.get(item, path, "zone", str, required=False),
                    phases=self.str_list(item, path, "phases"),
                    exceptions=self.str_list(item, path, "exceptions"),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _phases(self, root: dict[str, Any]) -> tuple[Phase, ...]:
        out = []
        for path, item in self.items(root, "phases"):
            self.known_keys(
                item,
                path,
                {
                    "id",
                    "title",
                    "starts",
                    "duration",
                    "renewal",
                    "entry_conditions",
                    "obligations",
                    "status_historical",
                    "refs",
                },
            )
            starts = self.get(item, path, "starts", str, default="start")
            duration = (
                self.duration(item["duration"], (*path, "duration"))
                if item.get("duration")
                else None
            )
            renewal_by: tuple[str, ...] = ()
            block = None
            if item.get("renewal") is not None:
                rpath = (*path, "renewal")
                ren = self.mapping(item["renewal"], rpath)
                if ren is not None:
                    self.known_keys(ren, rpath, {"by", "of", "block", "refs"})
                    if ren.get("by") != "joint_decision":
                        self.error(
                            (*rpath, "by"), "renewals are made 'joint_decision' of the guarantors"
                        )
                    renewal_by = self.str_list(ren, rpath, "of")
                    block = (
                        self.duration(ren["block"], (*rpath, "block")) if ren.get("block") else None
                    )
            entry = item.get("entry_conditions")
            entry_ids: tuple[str, ...] = ()
            if entry is not None:
                epath = (*path, "entry_conditions")
                if (
                    isinstance(entry, dict)
                    and set(entry) == {"all_of"}
                    and isinstance(entry["all_of"], list)
                ):
                    entry_ids = tuple(str(e) for e in entry["all_of"])
                else:
                    self.error(epath, "must be {all_of: [condition ids]}")
            out.append(
                Phase(
                    id=self.get(item, path, "id", str, default=""),
                    title=str(item.get("title") or ""),
                    starts=starts,
                    duration=duration,
                    renewal_by=renewal_by,
                    renewal_block=block,
                    entry_conditions=entry_ids,
                    obligations=self.str_list(item, path, "obligations"),
                    status_historical=str(item.get("status_historical") or ""),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _reset(self, value: Any, path: P) -> ResetRule | None:
        item = self.mapping(value, path)
        if item is None:
            return None
        self.known_keys(item, path, {"type", "of", "trigger", "refs"})
        kind = self.get(item, path, "type", str, default="by_joint_decision")
        if kind not in ("automatic", "by_joint_decision"):
            self.error((*path, "type"), f"{kind!r} must be 'automatic' or 'by_joint_decision'")
        of = self.str_list(item, path, "of")
        if kind == "by_joint_decision" and len(of) < 2:
            self.error((*path, "of"), "a joint decision needs at least two deciders")
        return ResetRule(
            kind, of, str(item.get("trigger") or ""), self.str_list(item, path, "refs")
        )

    def _conditions(self, root: dict[str, Any]) -> tuple[Condition, ...]:
        out = []
        for path, item in self.items(root, "conditions"):
            kind = self.get(item, path, "type", str, default="")
            if kind and kind not in CONDITION_TYPES:
                self.error((*path, "type"), f"{kind!r} must be one of {sorted(CONDITION_TYPES)}")
            params = {
                k: v for k, v in item.items() if k not in ("id", "type", "title", "reset", "refs")
            }
            if kind == "reduced_violence":
                self._check_violence(params, path)
            elif kind == "consecutive_days":
                days = params.get("days")
                if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                    self.error((*path, "days"), f"must be a whole number of days ≥ 1, not {days!r}")
                if not isinstance(params.get("of"), list) or not params.get("of"):
                    self.error(
                        (*path, "of"), "must list the daily conditions a day must meet to count"
                    )
            elif kind == "humanitarian_access_delivered":
                if not isinstance(params.get("destination"), str):
                    self.error((*path, "destination"), "must name the destination aid has to reach")
            elif kind == "air_activity_halted":
                for key in ("actor", "zone"):
                    if not isinstance(params.get(key), str):
                        self.error((*path, key), "is required for air_activity_halted")
                if isinstance(params.get("actor"), str):
                    self.actor(params["actor"], (*path, "actor"))
            reset = (
                self._reset(item["reset"], (*path, "reset"))
                if item.get("reset") is not None
                else None
            )
            out.append(
                Condition(
                    id=self.get(item, path, "id", str, default=""),
                    type=kind,
                    title=str(item.get("title") or ""),
                    params=params,
                    reset=reset,
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    def _check_violence(self, params: dict[str, Any], path: P) -> None:
        metric = params.get("metric")
        if metric not in ("fatalities_best", "incident_count"):
            self.error(
                (*path, "metric"), f"{metric!r} must be 'fatalities_best' or 'incident_count'"
            )
        scope = params.get("scope", "parties_not_excluded")
        if scope not in ("parties_not_excluded", "all"):
            self.error((*path, "scope"), f"{scope!r} must be 'parties_not_excluded' or 'all'")
        ratio = params.get("threshold_ratio")
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 < ratio <= 1:
            self.error((*path, "threshold_ratio"), f"must be a number in (0, 1], not {ratio!r}")
        decide = params.get("decide_on", "estimate")
        if decide not in ("estimate", "upper_bound"):
            self.error((*path, "decide_on"), f"{decide!r} must be 'estimate' or 'upper_bound'")
        base = params.get("baseline")
        bpath = (*path, "baseline")
        if not isinstance(base, dict):
            self.error(bpath, "must give {from: DATE, to: DATE} (local calendar days, inclusive)")
            return
        first = self.day(base.get("from"), (*bpath, "from"))
        last = self.day(base.get("to"), (*bpath, "to"))
        if first and last and last < first:
            self.error((*bpath, "to"), f"ends ({last}) before it starts ({first})")

    def _zones(self, root: dict[str, Any], groups: dict[str, tuple[str, ...]]) -> tuple[Zone, ...]:
        out = []
        for path, item in self.items(root, "zones"):
            self.known_keys(
                item,
                path,
                {
                    "id",
                    "type",
                    "title",
                    "geometry",
                    "status",
                    "admin1",
                    "active_in",
                    "rules",
                    "reference_feature",
                    "reference_line",
                    "note",
                    "refs",
                    "operator",
                    "guard_limit_per_side",
                    "inspection_of_aid",
                    "locations",
                    "restricted_actor",
                },
            )
            kind = self.get(item, path, "type", str, default="")
            if kind and kind not in ZONE_TYPES:
                self.error((*path, "type"), f"{kind!r} must be one of {sorted(ZONE_TYPES)}")
            geometry = item.get("geometry")
            status = self.get(item, path, "status", str, default="")
            if status and status not in ZONE_STATUS:
                self.error((*path, "status"), f"{status!r} must be one of {sorted(ZONE_STATUS)}")
            reference_line = self.get(item, path, "reference_line", str, required=False)
            if reference_line is not None:
                line_file = _data_dir() / "zones" / f"{reference_line}.geojson"
                if not line_file.is_file():
                    names = sorted(p.stem for p in (_data_dir() / "zones").glob("*.geojson"))
                    self.error(
                        (*path, "reference_line"),
                        f"{reference_line!r} is not a packaged line; use one of {names}",
                    )
                if status not in ("approximate", "delineated"):
                    self.error(
                        (*path, "status"),
                        "a zone with a reference line is 'approximate' or 'delineated'",
                    )
            elif geometry is None and status in ("delineated", "approximate"):
                self.error((*path, "status"), f"is {status!r} but the geometry is null")
            if geometry is not None:
                self._check_geometry(geometry, (*path, "geometry"))
                if status in ("undelineated", "unpublished"):
                    self.error((*path, "status"), f"is {status!r} but a geometry is given")
            if isinstance(item.get("restricted_actor"), str):
                self.actor(item["restricted_actor"], (*path, "restricted_actor"))
            rules = []
            for i, rule in enumerate(item.get("rules") or []):
                rpath = (*path, "rules", i)
                r = self.mapping(rule, rpath)
                if r is None:
                    continue
                self.known_keys(
                    r,
                    rpath,
                    {
                        "bearer",
                        "side_of_road",
                        "weapon_class",
                        "min_distance_m",
                        "rule",
                        "allowed_arms",
                        "refs",
                    },
                )
                bearer = self.get(r, rpath, "bearer", str, default="")
                if bearer:
                    self.actor(bearer, (*rpath, "bearer"), groups)
                dist = self.get(r, rpath, "min_distance_m", float, required=False)
                if dist is not None and dist < 0:
                    self.error((*rpath, "min_distance_m"), "a distance cannot be negative")
                rules.append(
                    ZoneRule(
                        bearer=bearer,
                        weapon_classes=self.str_list(r, rpath, "weapon_class"),
                        side=str(r.get("side_of_road") or ""),
                        min_distance_m=dist,
                        text=str(r.get("rule") or ""),
                        refs=self.str_list(r, rpath, "refs"),
                    )
                )
            out.append(
                Zone(
                    id=self.get(item, path, "id", str, default=""),
                    type=kind,
                    title=str(item.get("title") or ""),
                    geometry=geometry,
                    status=status,
                    admin1=self.str_list(item, path, "admin1"),
                    active_in=self.str_list(item, path, "active_in"),
                    rules=tuple(rules),
                    reference_feature=str(item.get("reference_feature") or ""),
                    note=str(item.get("note") or ""),
                    refs=self.str_list(item, path, "refs"),
                    reference_line=reference_line,
                )
            )
        return tuple(out)

    def _check_geometry(self, geometry: Any, path: P) -> None:
        from shapely.geometry import shape
        from shapely.validation import explain_validity

        if not isinstance(geometry, dict) or "type" not in geometry:
            self.error(path, "must be a GeoJSON geometry object with 'type' and 'coordinates'")
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

    def _decisions(self, root: dict[str, Any]) -> tuple[Decision, ...]:
        out = []
        for path, item in self.items(root, "decisions"):
            self.known_keys(
                item,
                path,
                {
                    "id",
                    "kind",
                    "subject",
                    "decided_at",
                    "effective",
                    "until",
                    "approvals",
                    "text",
                    "refs",
                },
            )
            kind = self.get(item, path, "kind", str, default="")
            if kind and kind not in DECISION_KINDS:
                self.error((*path, "kind"), f"{kind!r} must be one of {sorted(DECISION_KINDS)}")
            decided = (
                self.instant(item.get("decided_at"), (*path, "decided_at"))
                if "decided_at" in item
                else None
            )
            if decided is None and "decided_at" not in item:
                self.error(path, "is missing the required field 'decided_at'")
            effective = (
                self.instant(item["effective"], (*path, "effective"))
                if item.get("effective")
                else decided
            )
            until = self.instant(item["until"], (*path, "until")) if item.get("until") else None
            if kind == "extend_phase" and until is None:
                self.error(path, "an extend_phase decision needs 'until'")
            approvals = self.str_list(item, path, "approvals")
            for i, a in enumerate(approvals):
                self.actor(a, (*path, "approvals", i))
            if decided is None or effective is None:
                continue
            out.append(
                Decision(
                    id=self.get(item, path, "id", str, default=""),
                    kind=kind,
                    subject=self.get(item, path, "subject", str, default=""),
                    decided_at=decided,
                    effective=effective,
                    approvals=approvals,
                    until=until,
                    text=str(item.get("text") or ""),
                    refs=self.str_list(item, path, "refs"),
                )
            )
        return tuple(out)

    # -- cross references ------------------------------------------------------------
    def _cross_check(
        self,
        root: dict[str, Any],
        start: Start | None,
        phases: tuple[Phase, ...],
        conditions: tuple[Condition, ...],
        zones: tuple[Zone, ...],
        obligations: tuple[Obligation, ...],
        decisions: tuple[Decision, ...],
        guarantors: tuple[Guarantor, ...],
        sources: dict[str, str],
    ) -> None:
        def ids(kind: str, records: tuple[Any, ...]) -> set[str]:
            seen: set[str] = set()
            for i, rec in enumerate(records):
                if rec.id in seen:
                    self.error(("agreement", kind, i, "id"), f"{rec.id!r} is used twice")
                seen.add(rec.id)
            return seen

        phase_ids = ids("phases", phases)
        condition_ids = ids("conditions", conditions)
        zone_ids = ids("zones", zones)
        obligation_ids = ids("obligations", obligations)
        ids("decisions", decisions)
        guarantor_ids = {g.actor for g in guarantors}

        def must(ref: str, known: set[str], what: str, path: P) -> None:
            if ref not in known:
                hint = _closest(ref, known)
                extra = f"; did you mean {hint!r}?" if hint else ""
                self.error(path, f"{ref!r} is not a known {what} id{extra}")

        for i, ph in enumerate(phases):
            p: P = ("agreement", "phases", i)
            for j, ob_id in enumerate(ph.obligations):
                must(ob_id, obligation_ids, "obligation", (*p, "obligations", j))
            for c in ph.entry_conditions:
                must(c, condition_ids, "condition", (*p, "entry_conditions"))
            for g in ph.renewal_by:
                must(g, guarantor_ids, "guarantor", (*p, "renewal", "of"))
            if ph.starts.startswith("after:"):
                must(ph.starts[6:], phase_ids, "phase", (*p, "starts"))
            elif ph.starts not in ("start", "conditions"):
                self.error(
                    (*p, "starts"),
                    f"{ph.starts!r} must be 'start', 'after:<phase>' or 'conditions'",
                )
            if ph.starts == "conditions" and not ph.entry_conditions:
                self.error(
                    (*p, "entry_conditions"), "a phase that starts on conditions must list them"
                )
        for i, ob in enumerate(obligations):
            p = ("agreement", "obligations", i)
            for j, ph_id in enumerate(ob.phases):
                must(ph_id, phase_ids, "phase", (*p, "phases", j))
            if ob.zone:
                must(ob.zone, zone_ids, "zone", (*p, "zone"))
            for j, ex in enumerate(ob.exceptions):
                must(ex, obligation_ids, "obligation", (*p, "exceptions", j))
        for i, z in enumerate(zones):
            for j, ph_id in enumerate(z.active_in):
                must(ph_id, phase_ids, "phase", ("agreement", "zones", i, "active_in", j))
        for i, cond in enumerate(conditions):
            p = ("agreement", "conditions", i)
            if cond.type == "consecutive_days":
                for j, ref in enumerate(cond.params.get("of") or []):
                    must(str(ref), condition_ids, "condition", (*p, "of", j))
            if cond.type == "air_activity_halted" and isinstance(cond.params.get("zone"), str):
                must(cond.params["zone"], zone_ids, "zone", (*p, "zone"))
            if cond.reset is not None:
                for g in cond.reset.of:
                    must(g, guarantor_ids, "guarantor", (*p, "reset", "of"))
        for i, d in enumerate(decisions):
            p = ("agreement", "decisions", i)
            if d.kind in ("extend_phase", "end_phase"):
                must(d.subject, phase_ids, "phase", (*p, "subject"))
            elif d.kind == "reset_clock":
                must(d.subject, condition_ids, "condition", (*p, "subject"))
            if d.until is not None and d.until <= d.effective:
                self.error((*p, "until"), f"{d.until.isoformat()} is not after the effective time")
        # source keys
        if sources:
            self._check_refs(root, ("agreement",), set(sources))
        # phases with fixed windows must not overlap
        if start is not None:
            self._check_overlaps(phases, start)

    def _check_refs(self, node: Any, path: P, known: set[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "refs" and isinstance(value, list):
                    for i, ref in enumerate(value):
                        if isinstance(ref, str) and ref not in known:
                            self.error(
                                (*path, key, i), f"source key {ref!r} is not listed in 'sources'"
                            )
                elif key != "sources":
                    self._check_refs(value, (*path, key), known)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self._check_refs(value, (*path, i), known)

    def _check_overlaps(self, phases: tuple[Phase, ...], start: Start) -> None:
        windows: dict[str, tuple[datetime, datetime]] = {}
        for ph in phases:  # resolve fixed windows in file order (after: refers backwards)
            if ph.duration is None:
                continue
            if ph.starts == "start":
                begin = start.instant
            elif ph.starts.startswith("after:") and ph.starts[6:] in windows:
                begin = windows[ph.starts[6:]][1]
            else:
                continue
            windows[ph.id] = (begin, begin + ph.duration)
        items = list(windows.items())
        index = {ph.id: i for i, ph in enumerate(phases)}
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (ida, (sa, ea)), (idb, (sb, eb)) = items[a], items[b]
                if sa < eb and sb < ea:
                    self.error(
                        ("agreement", "phases", index[idb], "starts"),
                        f"phase {idb!r} ({sb.isoformat()} – {eb.isoformat()}) overlaps phase "
                        f"{ida!r} ({sa.isoformat()} – {ea.isoformat()}); make one start after the other",
                    )


def _article(names: str) -> str:
    return ("an " if names[:1] in "aeiou" else "a ") + names


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return found[0] if found else None
