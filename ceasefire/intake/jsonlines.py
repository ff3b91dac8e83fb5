"""JSON-lines intake: monitors' and parties' reports, claims, and the humanitarian log.

One JSON object per line.  Each line is parsed and validated in one step into its typed input
model (:mod:`ceasefire.intake.formats`), converted into the domain records with the one date/time
parser, and checked against its stored form; a line that fails any of these is quarantined with
its line number and the field; the other lines are imported.  ``POST /reports`` goes through the
same door (:func:`parse_report_json`).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from ceasefire.errors import IntakeError
from ceasefire.intake.common import BadField, Batch, RowProblem, check_record, open_text
from ceasefire.intake.formats import (
    HUMANITARIAN_FORMAT,
    REPORT_FORMAT,
    ClaimIn,
    ConvoyEventIn,
    ConvoyIn,
    IncidentReportIn,
    JudgementIn,
    RouteIn,
    TimeIn,
    problem,
)
from ceasefire.model.batches import record_key
from ceasefire.model.humanitarian import FINDING_STATUSES, Convoy, ConvoyEvent, Route
from ceasefire.model.incidents import (
    Axis,
    Fatalities,
    Incident,
    IncidentActor,
    Judgement,
    Place,
    SourceRef,
)
from ceasefire.model.timewindow import Precision, TimeWindow, parse_moment

__all__ = [
    "Claim",
    "humanitarian_incidents",
    "parse_humanitarian",
    "parse_report_json",
    "parse_report_object",
    "parse_reports",
    "submitted_by",
]

MAX_LINE = 1_000_000  # characters in one line; a longer one is read no further
_TOO_LONG = "(a line too long to read)"  # the marker _lines gives, compared by identity
_REPORT_TAGS = "'incident' or 'claim'"
_HUMANITARIAN_TAGS = "'route' or 'convoy'"


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
    """(line number, line) of the non-blank lines; a line longer than :data:`MAX_LINE` is read
    no further than that and given as :data:`_TOO_LONG`."""
    handle = open_text(path)
    try:
        number = 0
        while True:
            line = handle.readline(MAX_LINE + 1)
            if not line:
                break
            number += 1
            if len(line) > MAX_LINE:
                while line and not line.endswith("\n"):  # skip the rest, a bounded piece at a time
                    line = handle.readline(MAX_LINE + 1)
                yield number, _TOO_LONG
                continue
            if line.strip():
                yield number, line
    except UnicodeDecodeError as exc:
        raise IntakeError(
            f"{path}: is not UTF-8 text ({exc.reason}); convert it and import again."
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise IntakeError(f"{path}: could not be read ({exc}).") from exc
    finally:
        handle.close()


def _instant(text: str, field: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(instant, was_date_only), with the field named when the text is not a date or date-time."""
    try:
        return parse_moment(text, tz)
    except ValueError as exc:
        raise BadField(field, f"{exc}; give an ISO date or date-time") from None


_SPAN = {Precision.EXACT: timedelta(minutes=1), Precision.HOUR: timedelta(hours=1)}


def _window(when: TimeIn | ConvoyEventIn, tz: ZoneInfo, prefix: str = "") -> TimeWindow:
    """``at`` (+ ``precision``) or ``from``/``until``."""
    if when.at is not None:
        start, date_only = _instant(when.at, prefix + "at", tz)
        if date_only:
            return TimeWindow(start, start + timedelta(days=1), Precision.DAY, when.at)
        precision = when.precision or Precision.EXACT
        return TimeWindow(
            start, start + _SPAN.get(precision, timedelta(days=1)), precision, when.at
        )
    if when.from_ is not None and when.until is not None:
        start, _ = _instant(when.from_, prefix + "from", tz)
        end, end_date_only = _instant(when.until, prefix + "until", tz)
        if end_date_only:
            end += timedelta(days=1)
        if end <= start:
            raise BadField(prefix + "until", f"{when.until} is not after {when.from_}")
        return TimeWindow(start, end, when.precision or Precision.DAY, f"{when.from_}/{when.until}")
    raise BadField(prefix + "at", "give 'at' (a date or date-time) or both 'from' and 'until'")


def _judgements(items: list[JudgementIn], field: str, tz: ZoneInfo) -> tuple[Judgement, ...]:
    return tuple(
        Judgement(
            axis=Axis(j.axis),
            value=j.value,
            known_from=_instant(j.known_from, f"{field}[{i}].known_from", tz)[0],
            by=j.by,
            note=j.note,
            sources=tuple(j.refs),
            actors=tuple(j.actors),
        )
        for i, j in enumerate(items)
    )


def _objects(path: Path, batch: Batch, parse: Any) -> Iterator[tuple[int, Any, str]]:
    """(line number, validated model, line) of each line ``parse`` accepts; the others are
    quarantined with their line and field."""
    for number, line in _lines(path):
        if line is _TOO_LONG:
            batch.problems.append(
                RowProblem(str(path), number, "(line)", f"is longer than {MAX_LINE} characters")
            )
            continue
        try:
            yield number, parse(line), line
        except BadField as exc:
            batch.problems.append(RowProblem(str(path), number, exc.field, str(exc), line[:2000]))


# -- humanitarian log -------------------------------------------------------------------
def _parse_humanitarian_line(line: str) -> RouteIn | ConvoyIn:
    try:
        return HUMANITARIAN_FORMAT.validate_json(line)
    except ValidationError as exc:
        raise problem(exc, "type", _HUMANITARIAN_TAGS) from None


def _convoy_event(event: ConvoyEventIn, index: int, tz: ZoneInfo) -> ConvoyEvent:
    prefix = f"events[{index}]."
    return ConvoyEvent(
        status=event.status,
        window=_window(event, tz, prefix),
        place=event.place,
        by=tuple(event.by),
        reason=event.reason,
        note=event.note,
        refs=tuple(event.refs),
        occurrence=event.occurrence,
        lat=event.lat,
        lon=event.lon,
        admin1=event.admin1,
        casualties=tuple((c.qualifier, c.value, c.ref) for c in event.casualties),
        judgements=_judgements(event.judgements, prefix + "judgements", tz),
    )


def humanitarian_records(item: RouteIn | ConvoyIn, tz: ZoneInfo) -> list[tuple[Any, str]]:
    """A route, or a convoy followed by the incidents its blocked/inspected/attacked events are;
    each with the JSON text of its stored form, checked (:func:`check_record`). Raises
    :class:`BadField`."""
    if isinstance(item, RouteIn):
        records: list[Any] = [
            Route(
                id=item.id,
                name=item.name,
                origin=item.from_,
                destination=item.to,
                crossings=tuple(item.crossings),
                refs=tuple(item.refs),
            )
        ]
    else:
        convoy = Convoy(
            id=item.id,
            organisation=item.organisation,
            route=item.route,
            origin=item.from_,
            destination=item.to,
            trucks=item.trucks,
            beneficiaries=item.beneficiaries,
            events=tuple(_convoy_event(e, i, tz) for i, e in enumerate(item.events)),
            refs=tuple(item.refs),
        )
        records = [convoy, *humanitarian_incidents(convoy)]
    return [(record, check_record(record)) for record in records]


def parse_humanitarian(path: Path, tz: ZoneInfo) -> Batch:
    """Routes and convoys; blocked/inspected/attacked events also become incidents."""
    batch = Batch(kind="humanitarian", file=str(path))
    for number, item, line in _objects(path, batch, _parse_humanitarian_line):
        try:
            checked = humanitarian_records(item, tz)
        except BadField as exc:
            batch.problems.append(RowProblem(str(path), number, exc.field, str(exc), line[:2000]))
            continue
        for record, body in checked:  # the body checked is the one stored (Batch.add)
            batch.add(record, body)
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
def _parse_report_line(text: str | bytes) -> IncidentReportIn | ClaimIn:
    try:
        return REPORT_FORMAT.validate_json(text)
    except ValidationError as exc:
        raise problem(exc, "kind", _REPORT_TAGS) from None


def report_record(
    item: IncidentReportIn | ClaimIn, tz: ZoneInfo, raw: dict[str, Any]
) -> Incident | Claim:
    """The domain record of a validated report, checked against its stored form; ``raw`` is the
    report's JSON object (an incident keeps it, field by field, as its ``native``). Raises
    :class:`BadField`."""
    return checked_report_record(item, tz, raw)[0]


def checked_report_record(
    item: IncidentReportIn | ClaimIn, tz: ZoneInfo, raw: dict[str, Any]
) -> tuple[Incident | Claim, str]:
    """:func:`report_record` with the JSON text of the record's stored form it was checked as."""
    record = _claim(item, tz) if isinstance(item, ClaimIn) else _report_incident(item, tz, raw)
    return record, check_record(record)


def parse_report_json(
    text: str | bytes, tz: ZoneInfo
) -> tuple[Incident | Claim, IncidentReportIn | ClaimIn]:
    """One report from its JSON text — a line of a file or a ``POST /reports`` body: the record
    and the validated input (its canonical form identifies the request). Raises :class:`BadField`."""
    item = _parse_report_line(text)
    return report_record(item, tz, json.loads(text)), item


def parse_report_object(obj: dict[str, Any], tz: ZoneInfo) -> Incident | Claim:
    """One report (an incident or a claim) from its JSON object. Raises :class:`BadField`."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BadField("(json)", f"is not a JSON object of a report ({exc})") from None
    return parse_report_json(text, tz)[0]


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


def check_party_submission(item: IncidentReportIn | ClaimIn, party: str) -> None:
    """A party's submission is an allegation: whether the event occurred, who did it and what it
    was are for the centre to judge, never for an interested party to state (a judgement in its
    report would reach every finding, "determined … by" whatever name it gave).  A party speaks
    for itself: its claims are its own (``claimant`` is ``party``), never another's.  Raises
    :class:`BadField` for an occurrence other than ``alleged``, any judgement, or a claim in
    another's name."""
    if isinstance(item, ClaimIn):
        if party and item.claimant != party:  # "": a cell that did not say whom it speaks for
            raise BadField("claimant", f"a submission of {party!r} claims in its own name: "
                           f"give claimant {party!r}, not {item.claimant!r}")  # fmt: skip
        return
    if item.occurrence != "alleged":
        raise BadField("occurrence", "a party's submission is alleged: whether it occurred is "
                       "for the centre to judge")  # fmt: skip
    if item.judgements:
        raise BadField("judgements[0]", "a party's submission carries no judgements: they are the "
                       "centre's (state the allegation; the centre judges it)")  # fmt: skip


def parse_reports(path: Path, tz: ZoneInfo, submitter: str | None = None) -> Batch:
    """Reports and claims from a JSON-lines file.  ``submitter``: the whole file is that party's
    submission (``ceasefire import reports FILE --submitted-by PARTY``); otherwise each object's
    own :func:`submitted_by` says.  Submissions are restricted until released."""
    batch = Batch(kind="reports", file=str(path))
    seen: dict[str, int] = {}
    for number, item, line in _objects(path, batch, _parse_report_line):
        try:
            raw = json.loads(line)
            record, body = checked_report_record(item, tz, raw)
            report_id = record.id if isinstance(record, Claim) else record.source_id
            if report_id in seen:
                raise BadField("id", f"{report_id!r} repeats line {seen[report_id]}")
            party = submitter if submitter is not None else submitted_by(raw)
            if party is not None:
                check_party_submission(item, party)
        except BadField as exc:
            batch.problems.append(RowProblem(str(path), number, exc.field, str(exc), line[:2000]))
            continue
        seen[report_id] = number
        batch.add(record, body)  # the body checked is the one stored
        if party is not None:
            batch.restricted[record_key(record)] = party
    return batch


def _period_end(text: str, field: str, tz: ZoneInfo, end: bool) -> tuple[datetime, str]:
    """A claim's period bound, and the text stored for it: the text as given when it is an aware
    date-time, else the instant it means (a bare date: local midnight, or the midnight after it
    for the end of the period) with its offset, so that no reader meets a naive value."""
    instant, date_only = _instant(text, field, tz)
    if date_only and end:
        instant += timedelta(days=1)
    given_aware = not date_only and datetime.fromisoformat(text.strip()).tzinfo is not None
    return instant, text.strip() if given_aware else instant.isoformat()


def _claim(item: ClaimIn, tz: ZoneInfo) -> Claim:
    period_from = period_to = ""
    if item.period is not None:
        start, period_from = _period_end(item.period.from_, "period.from", tz, end=False)
        stop, period_to = _period_end(item.period.to, "period.to", tz, end=True)
        if stop <= start:
            raise BadField("period.to", f"{item.period.to} is not after {item.period.from_}")
    return Claim(
        id=item.id,
        claimant=item.claimant,
        reported_at=_instant(item.reported_at, "reported_at", tz)[0],
        quantity=item.quantity,
        value=item.value,
        qualifier=item.qualifier,
        period_from=period_from,
        period_to=period_to,
        about=item.about,
        refs=tuple(item.refs),
        note=item.note,
    )


def _report_incident(item: IncidentReportIn, tz: ZoneInfo, raw: dict[str, Any]) -> Incident:
    reported_at, _ = _instant(item.reported_at, "reported_at", tz)
    window = _window(item.time, tz, "time.")
    if window.start > reported_at:
        raise BadField(
            "time",
            f"the incident ({window.start.isoformat()}) is after the report ({reported_at.isoformat()})",
        )
    place, fat = item.place, item.fatalities
    native = tuple(
        sorted((k, json.dumps(v, sort_keys=True, ensure_ascii=False)) for k, v in raw.items())
    )
    return Incident(
        source_system="report",
        source_id=item.id,
        window=window,
        place=Place(
            place.name,
            place.lat,
            place.lon,
            place.precision,
            place.admin1,
            place.admin2,
            place.admin3,
            place.country,
            place.radius_m,
        ),
        actors=tuple(IncidentActor(a.name, a.role) for a in item.actors),
        category=item.category,
        sub_category=item.sub_category,
        fatalities=Fatalities(fat.low, fat.best, fat.high) if fat else Fatalities(),
        sources=(SourceRef(name=item.reporter.name, date=reported_at.date().isoformat()),),
        known_from=reported_at,
        judgements=(
            Judgement(Axis.OCCURRENCE, item.occurrence, reported_at, item.reporter.name),
            *_judgements(item.judgements, "judgements", tz),
        ),
        native=native,
        self_defence_claims=tuple(item.self_defence_claimed_by),
    )
