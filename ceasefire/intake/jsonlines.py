"""JSON-lines intake: monitors' and parties' reports, claims, and the humanitarian log.

One JSON object per line.  A line that is not JSON, or an object with a wrong or missing field,
is quarantined with its line number and the field; the other lines are imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.errors import IntakeError
from ceasefire.intake.common import BadField, Batch, RowProblem, open_text
from ceasefire.model.batches import record_key
from ceasefire.model.humanitarian import (
    CONVOY_STATUSES,
    FINDING_STATUSES,
    Convoy,
    ConvoyEvent,
    Route,
)
from ceasefire.model.incidents import (
    OCCURRENCE_LEVELS,
    Axis,
    Fatalities,
    Incident,
    IncidentActor,
    Judgement,
    Place,
    SourceRef,
)
from ceasefire.model.timewindow import Precision, TimeWindow

__all__ = [
    "Claim",
    "humanitarian_incidents",
    "parse_humanitarian",
    "parse_report_object",
    "parse_reports",
    "submitted_by",
]

MAX_LINE = 1_000_000


@dataclass(frozen=True)
class Claim:
    """A count a party, guarantor or monitor put forward ("23 violations on day 1")."""

    id: str
    claimant: str
    reported_at: datetime
    quantity: str
    value: int
    qualifier: str
    period_from: str
    period_to: str
    about: str
    refs: tuple[str, ...]
    note: str = ""
    kind: str = "claim"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "claimant": self.claimant,
            "reported_at": self.reported_at.isoformat(),
            "quantity": self.quantity,
            "value": self.value,
            "qualifier": self.qualifier,
            "period": {"from": self.period_from, "to": self.period_to},
            "about": self.about,
            "refs": list(self.refs),
            "note": self.note,
        }


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    handle = open_text(path)
    try:
        for number, line in enumerate(handle, start=1):
            if len(line) > MAX_LINE:
                yield number, "\x00too-long"
                continue
            if line.strip():
                yield number, line
    except UnicodeDecodeError as exc:
        raise IntakeError(
            f"{path}: is not UTF-8 text ({exc.reason}); convert it and import again."
        ) from exc
    except (OSError, EOFError) as exc:
        raise IntakeError(f"{path}: could not be read ({exc}).") from exc
    finally:
        handle.close()


def _objects(path: Path, batch: Batch) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in _lines(path):
        if line == "\x00too-long":
            batch.problems.append(
                RowProblem(str(path), number, "(line)", f"is longer than {MAX_LINE} characters")
            )
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            batch.problems.append(
                RowProblem(
                    str(path),
                    number,
                    "(json)",
                    f"is not valid JSON: {exc.msg} at column {exc.colno}",
                    line[:2000],
                )
            )
            continue
        if not isinstance(obj, dict):
            batch.problems.append(
                RowProblem(str(path), number, "(json)", "must be a JSON object", line[:2000])
            )
            continue
        yield number, obj


def _str(obj: dict[str, Any], key: str, required: bool = True) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise BadField(key, "is missing")
        return ""
    if not isinstance(value, str):
        raise BadField(key, f"must be a string, not {type(value).__name__}")
    return value


def _int(obj: dict[str, Any], key: str, required: bool = False) -> int | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise BadField(key, "is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadField(key, f"must be a whole number ≥ 0, not {value!r}")
    return value


def _refs(obj: dict[str, Any]) -> tuple[str, ...]:
    value = obj.get("refs", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadField("refs", "must be a list of source keys")
    return tuple(value)


def _instant(text: Any, field: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(instant, was_date_only)."""
    if not isinstance(text, str):
        raise BadField(field, f"must be an ISO date or date-time, not {text!r}")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=tz), True
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadField(field, f"{text!r} is not a valid ISO date or date-time") from None
    return (value if value.tzinfo else value.replace(tzinfo=tz)), False


def _window(obj: dict[str, Any], tz: ZoneInfo, prefix: str = "") -> TimeWindow:
    """``at`` (+ ``precision``) or ``from``/``until``."""
    precision_text = obj.get("precision")
    if "at" in obj:
        start, date_only = _instant(obj["at"], prefix + "at", tz)
        if date_only:
            return TimeWindow(start, start + timedelta(days=1), Precision.DAY, obj["at"])
        precision = Precision(precision_text) if precision_text else Precision.EXACT
        span = {Precision.EXACT: timedelta(minutes=1), Precision.HOUR: timedelta(hours=1)}.get(
            precision, timedelta(days=1)
        )
        return TimeWindow(start, start + span, precision, obj["at"])
    if "from" in obj and "until" in obj:
        start, _ = _instant(obj["from"], prefix + "from", tz)
        end, end_date_only = _instant(obj["until"], prefix + "until", tz)
        if end_date_only:
            end += timedelta(days=1)
        if end <= start:
            raise BadField(prefix + "until", f"{obj['until']} is not after {obj['from']}")
        try:
            precision = Precision(precision_text) if precision_text else Precision.DAY
        except ValueError:
            raise BadField(prefix + "precision", f"{precision_text!r} is not a precision") from None
        return TimeWindow(start, end, precision, f"{obj['from']}/{obj['until']}")
    raise BadField(prefix + "at", "give 'at' (a date or date-time) or both 'from' and 'until'")


def _judgements(items: Any, field: str, tz: ZoneInfo) -> tuple[Judgement, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise BadField(field, "must be a list")
    out = []
    for i, item in enumerate(items):
        f = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise BadField(f, "must be an object")
        try:
            axis = Axis(_str(item, "axis"))
        except ValueError:
            raise BadField(f + ".axis", f"must be one of {[a.value for a in Axis]}") from None
        known, _ = _instant(item.get("known_from"), f + ".known_from", tz)
        actors = item.get("actors", [])
        if not isinstance(actors, list):
            raise BadField(f + ".actors", "must be a list of actor ids")
        out.append(
            Judgement(
                axis=axis,
                value=_str(item, "value"),
                known_from=known,
                by=_str(item, "by"),
                note=_str(item, "note", required=False),
                sources=_refs(item),
                actors=tuple(actors),
            )
        )
    return tuple(out)


# -- humanitarian log -------------------------------------------------------------------
def _convoy_event(obj: dict[str, Any], index: int, tz: ZoneInfo) -> ConvoyEvent:
    prefix = f"events[{index}]."
    if not isinstance(obj, dict):
        raise BadField(prefix[:-1], "must be an object")
    status = obj.get("status")
    if status not in CONVOY_STATUSES:
        raise BadField(prefix + "status", f"{status!r} must be one of {list(CONVOY_STATUSES)}")
    occurrence = obj.get("occurrence", "alleged")
    if occurrence not in OCCURRENCE_LEVELS:
        raise BadField(
            prefix + "occurrence", f"{occurrence!r} must be one of {list(OCCURRENCE_LEVELS)}"
        )
    casualties = []
    for j, c in enumerate(obj.get("casualties", [])):
        if not isinstance(c, dict) or not isinstance(c.get("value"), int):
            raise BadField(f"{prefix}casualties[{j}]", "must be {qualifier, value, ref}")
        casualties.append(
            (str(c.get("qualifier", "exact")), int(c["value"]), str(c.get("ref", "")))
        )
    by = obj.get("by", [])
    if not isinstance(by, list):
        raise BadField(prefix + "by", "must be a list of actor ids")
    lat, lon = obj.get("lat"), obj.get("lon")
    if lat is not None and (not isinstance(lat, (int, float)) or not -90 <= lat <= 90):
        raise BadField(prefix + "lat", f"{lat!r} is not a latitude")
    if lon is not None and (not isinstance(lon, (int, float)) or not -180 <= lon <= 180):
        raise BadField(prefix + "lon", f"{lon!r} is not a longitude")
    return ConvoyEvent(
        status=status,
        window=_window(obj, tz, prefix),
        place=str(obj.get("place", "")),
        by=tuple(by),
        reason=str(obj.get("reason", "")),
        note=str(obj.get("note", "")),
        refs=_refs(obj),
        occurrence=occurrence,
        lat=lat,
        lon=lon,
        admin1=str(obj.get("admin1", "")),
        casualties=tuple(casualties),
        judgements=_judgements(obj.get("judgements"), prefix + "judgements", tz),
    )


def parse_humanitarian(path: Path, tz: ZoneInfo) -> Batch:
    """Routes and convoys; blocked/inspected/attacked events also become incidents."""
    batch = Batch(kind="humanitarian", file=str(path))
    for number, obj in _objects(path, batch):
        try:
            kind = obj.get("type")
            if kind == "route":
                batch.records.append(
                    Route(
                        id=_str(obj, "id"),
                        name=_str(obj, "name"),
                        origin=_str(obj, "from"),
                        destination=_str(obj, "to"),
                        crossings=tuple(obj.get("crossings", [])),
                        refs=_refs(obj),
                    )
                )
            elif kind == "convoy":
                events = obj.get("events")
                if not isinstance(events, list) or not events:
                    raise BadField("events", "must be a non-empty list of status events")
                convoy = Convoy(
                    id=_str(obj, "id"),
                    organisation=_str(obj, "organisation"),
                    route=_str(obj, "route", required=False),
                    origin=_str(obj, "from"),
                    destination=_str(obj, "to"),
                    trucks=_int(obj, "trucks"),
                    beneficiaries=_int(obj, "beneficiaries"),
                    events=tuple(_convoy_event(e, i, tz) for i, e in enumerate(events)),
                    refs=_refs(obj),
                )
                batch.records.append(convoy)
                batch.records.extend(humanitarian_incidents(convoy))
            else:
                raise BadField("type", f"{kind!r} must be 'route' or 'convoy'")
        except BadField as exc:
            batch.problems.append(RowProblem(str(path), number, exc.field, str(exc)))
    return batch


def humanitarian_incidents(convoy: Convoy) -> list[Incident]:
    out = []
    for index, event in enumerate(convoy.events):
        code = FINDING_STATUSES.get(event.status)
        if code is None:
            continue
        if event.status == "blocked" and event.reason == "permit":
            code = "HUM.PERMIT"
        actors = [IncidentActor(a, "perpetrator") for a in event.by]
        actors.extend(
            IncidentActor(org.strip(), "target") for org in convoy.organisation.split("–")
        )
        best = max((c[1] for c in event.casualties), default=None)
        low = min((c[1] for c in event.casualties), default=None)
        occurrence = Judgement(
            axis=Axis.OCCURRENCE,
            value=event.occurrence,
            known_from=event.window.end,
            by="humanitarian log",
            note=event.note,
            sources=event.refs,
        )
        out.append(
            Incident(
                source_system="humanitarian",
                source_id=f"{convoy.id}/{index + 1}",
                window=event.window,
                place=Place(
                    event.place,
                    event.lat,
                    event.lon,
                    1 if event.lat is not None else None,
                    admin1=event.admin1,
                ),
                actors=tuple(actors),
                category="humanitarian",
                sub_category=code,
                fatalities=Fatalities(low=low, best=None, high=best),
                sources=tuple(SourceRef(name=r, reference=r) for r in event.refs),
                notes=event.note,
                known_from=_known_from(event),
                judgements=(occurrence, *event.judgements),
                continuing=event.status == "blocked",
            )
        )
    return out


def _known_from(event: ConvoyEvent) -> datetime:
    """A continuing state (a blockade) is observable from its first day; a point event once over."""
    if event.status == "blocked":
        return min(event.window.end, event.window.start + timedelta(days=1))
    return event.window.end


# -- monitors' and parties' reports ------------------------------------------------------
def parse_report_object(obj: dict[str, Any], tz: ZoneInfo) -> Incident | Claim:
    """One report (an incident or a claim) from its JSON object. Raises :class:`BadField`."""
    kind = obj.get("kind", "incident")
    report_id = _str(obj, "id")
    reported_at, _ = _instant(obj.get("reported_at"), "reported_at", tz)
    if kind == "claim":
        period = obj.get("period") or {}
        if not isinstance(period, dict):
            raise BadField("period", "must be {from, to}")
        return Claim(
            id=report_id,
            claimant=_str(obj, "claimant"),
            reported_at=reported_at,
            quantity=_str(obj, "quantity"),
            value=_int(obj, "value", required=True) or 0,
            qualifier=_str(obj, "qualifier", required=False) or "exact",
            period_from=str(period.get("from", "")),
            period_to=str(period.get("to", "")),
            about=_str(obj, "about", required=False),
            refs=_refs(obj),
            note=_str(obj, "note", required=False),
        )
    if kind == "incident":
        return _report_incident(obj, report_id, reported_at, tz)
    raise BadField("kind", f"{kind!r} must be 'incident' or 'claim'")


def submitted_by(obj: dict[str, Any]) -> str | None:
    """The party whose submission to the centre a report object is, or None for a record that is
    not one (a monitor's report, a count published in the press).  ``submitted_by`` names the
    party's cell; a report whose ``reporter.type`` is ``party`` without it is a submission of an
    unnamed cell ("": seen by guarantors, monitors and admins only).  Raises :class:`BadField`."""
    party = obj.get("submitted_by")
    if party is not None:
        if not isinstance(party, str) or not 0 < len(party) <= 100 or not party.isprintable():
            raise BadField("submitted_by", "must be the submitting party's id (1–100 characters)")
        return party
    reporter = obj.get("reporter")
    if isinstance(reporter, dict) and reporter.get("type") == "party":
        return ""
    return None


def parse_reports(path: Path, tz: ZoneInfo, submitter: str | None = None) -> Batch:
    """Reports and claims from a JSON-lines file.  ``submitter``: the whole file is that party's
    submission (``ceasefire import reports FILE --submitted-by PARTY``); otherwise each object's
    own :func:`submitted_by` says.  Submissions are restricted until released."""
    batch = Batch(kind="reports", file=str(path))
    seen: dict[str, int] = {}
    for number, obj in _objects(path, batch):
        try:
            record = parse_report_object(obj, tz)
            report_id = record.id if isinstance(record, Claim) else record.source_id
            if report_id in seen:
                raise BadField("id", f"{report_id!r} repeats line {seen[report_id]}")
            party = submitter if submitter is not None else submitted_by(obj)
        except BadField as exc:
            batch.problems.append(RowProblem(str(path), number, exc.field, str(exc)))
            continue
        seen[report_id] = number
        batch.records.append(record)
        if party is not None:
            batch.restricted[record_key(record)] = party
    return batch


def _radius(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadField("place.radius_m", f"must be a distance in metres ≥ 0, not {value!r}")
    return float(value)


def _report_incident(
    obj: dict[str, Any], report_id: str, reported_at: datetime, tz: ZoneInfo
) -> Incident:
    when = obj.get("time")
    if not isinstance(when, dict):
        raise BadField("time", "must be an object with 'at' or 'from'/'until'")
    window = _window(when, tz, "time.")
    if window.start > reported_at:
        raise BadField(
            "time",
            f"the incident ({window.start.isoformat()}) is after the report ({reported_at.isoformat()})",
        )
    place = obj.get("place") or {}
    if not isinstance(place, dict):
        raise BadField("place", "must be an object")
    lat, lon = place.get("lat"), place.get("lon")
    if lat is not None and (not isinstance(lat, (int, float)) or not -90 <= lat <= 90):
        raise BadField("place.lat", f"{lat!r} is not a latitude")
    if lon is not None and (not isinstance(lon, (int, float)) or not -180 <= lon <= 180):
        raise BadField("place.lon", f"{lon!r} is not a longitude")
    actors = obj.get("actors", [])
    if not isinstance(actors, list) or not all(
        isinstance(a, dict) and isinstance(a.get("name"), str) for a in actors
    ):
        raise BadField("actors", "must be a list of {name, role}")
    reporter = obj.get("reporter") or {}
    if not isinstance(reporter, dict) or not isinstance(reporter.get("name"), str):
        raise BadField("reporter", "must be {name, type}")
    occurrence = obj.get("occurrence", "alleged")
    if occurrence not in OCCURRENCE_LEVELS:
        raise BadField("occurrence", f"{occurrence!r} must be one of {list(OCCURRENCE_LEVELS)}")
    claims = obj.get("self_defence_claimed_by", [])
    if not isinstance(claims, list) or not all(
        isinstance(c, str) and 0 < len(c) <= 300 for c in claims
    ):
        raise BadField(
            "self_defence_claimed_by",
            "must be a list of names (who said they acted in self-defence)",
        )
    fat = obj.get("fatalities") or {}
    native = tuple(
        sorted((k, json.dumps(v, sort_keys=True, ensure_ascii=False)) for k, v in obj.items())
    )
    return Incident(
        source_system="report",
        source_id=report_id,
        window=window,
        place=Place(
            str(place.get("name", "")),
            lat,
            lon,
            place.get("precision"),
            admin1=str(place.get("admin1", "")),
            radius_m=_radius(place.get("radius_m")),
        ),
        actors=tuple(IncidentActor(a["name"], str(a.get("role", "side_a"))) for a in actors),
        category=_str(obj, "category"),
        sub_category=_str(obj, "sub_category", required=False),
        fatalities=Fatalities(_int(fat, "low"), _int(fat, "best"), _int(fat, "high")),
        sources=(SourceRef(name=str(reporter["name"]), date=reported_at.date().isoformat()),),
        known_from=reported_at,
        judgements=(
            Judgement(Axis.OCCURRENCE, occurrence, reported_at, str(reporter["name"])),
            *_judgements(obj.get("judgements"), "judgements", tz),
        ),
        native=native,
        self_defence_claims=tuple(claims),
    )
