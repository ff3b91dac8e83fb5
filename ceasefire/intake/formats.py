"""The JSON-lines input formats — monitors' and parties' reports, claims, the humanitarian log —
as typed models: the door every such record passes, from a file or from ``POST /reports``.

Parsing and validation are one step (pydantic's JSON parser, strict): a value of the wrong type
(``true`` for a count, ``[1]`` for a name, ``{}`` for a precision), NaN or infinity, an integer
of 5,000 digits, nesting deeper than the format, an unknown field, a string too long — each is
refused with the path of the field (:func:`problem`).  Dates and date-times stay text here and are
read by the converters in :mod:`ceasefire.intake.jsonlines` with the one date/time parser
(:mod:`ceasefire.model.timewindow`), which knows the workspace's zone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
)

from ceasefire.model.batches import BadField
from ceasefire.model.humanitarian import CONVOY_STATUSES
from ceasefire.model.incidents import OCCURRENCE_LEVELS, Axis
from ceasefire.model.stored import MAX_COUNT, MAX_RADIUS_M, first_error
from ceasefire.model.timewindow import MAX_TIME_TEXT, Precision

__all__ = [
    "HUMANITARIAN_FORMAT",
    "REPORT_FORMAT",
    "ClaimIn",
    "ConvoyIn",
    "IncidentReportIn",
    "RouteIn",
    "problem",
]

# one line: no control character at all; printable text: tab and line breaks allowed
Short = Annotated[str, StringConstraints(max_length=300, pattern=r"^[^\x00-\x1f\x7f]*$")]
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
]
Text = Annotated[
    str, StringConstraints(max_length=4_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*\w[^\x00-\x1f\x7f]*$"
    ),
]
# A record's own id: the API keeps ``~`` for the reporting account's namespace, and convoy events
# are numbered after a ``/``.
RecordId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$")]
Role = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Moment = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TIME_TEXT)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Refs = Annotated[list[Short], Field(default_factory=list, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, frozen=True, populate_by_name=True
    )


class TimeIn(_In):
    """When: ``at`` (a date, or a date-time with its ``precision``), or ``from`` and ``until``."""

    at: Moment | None = None
    from_: Moment | None = Field(default=None, alias="from")
    until: Moment | None = None
    precision: Precision | None = None


class PlaceIn(_In):
    name: Short = ""
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    precision: Annotated[int, Field(ge=1, le=7)] | None = None  # UCDP where_prec: 1 exact … 7
    admin1: Short = ""
    admin2: Short = ""
    admin3: Short = ""
    country: Short = ""
    radius_m: Annotated[float, Field(ge=0, le=MAX_RADIUS_M)] | None = None


class ActorIn(_In):
    name: Name
    role: Role = "side_a"


class ReporterIn(_In):
    name: Name
    type: Short = ""


class FatalitiesIn(_In):
    low: Count | None = None
    best: Count | None = None
    high: Count | None = None


class JudgementIn(_In):
    axis: Axis
    value: Label
    known_from: Moment
    by: Name
    note: Text = ""
    refs: Refs
    actors: Annotated[list[Name], Field(default_factory=list, max_length=100)]


Occurrence = Literal[OCCURRENCE_LEVELS]  # type: ignore[valid-type]


class IncidentReportIn(_In):
    kind: Literal["incident"] = "incident"
    id: RecordId
    reported_at: Moment
    reporter: ReporterIn
    time: TimeIn
    place: PlaceIn = Field(default_factory=PlaceIn)
    actors: Annotated[list[ActorIn], Field(default_factory=list, max_length=100)]
    category: Label
    sub_category: Short = ""
    fatalities: FatalitiesIn | None = None
    occurrence: Occurrence = "alleged"
    judgements: Annotated[list[JudgementIn], Field(default_factory=list, max_length=100)]
    self_defence_claimed_by: Annotated[list[Name], Field(default_factory=list, max_length=50)]
    # the party whose submission to the centre this is (restricted until released); a file's own
    # field — the API takes the submitting party from the account
    submitted_by: Label | None = None


class PeriodIn(_In):
    from_: Moment = Field(alias="from")
    to: Moment


class ClaimIn(_In):
    kind: Literal["claim"]
    id: RecordId
    claimant: Name
    reported_at: Moment
    quantity: Label
    value: Count
    qualifier: Label = "exact"
    period: PeriodIn | None = None
    about: Text = ""
    refs: Refs
    note: Text = ""
    submitted_by: Label | None = None  # as for an incident report


class CasualtyIn(_In):
    qualifier: Label = "exact"
    value: Count
    ref: Short = ""


class ConvoyEventIn(_In):
    status: Literal[CONVOY_STATUSES]  # type: ignore[valid-type]
    at: Moment | None = None
    from_: Moment | None = Field(default=None, alias="from")
    until: Moment | None = None
    precision: Precision | None = None
    place: Short = ""
    by: Annotated[list[Name], Field(default_factory=list, max_length=50)]
    reason: Short = ""
    note: Text = ""
    refs: Refs
    occurrence: Occurrence = "alleged"
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    admin1: Short = ""
    casualties: Annotated[list[CasualtyIn], Field(default_factory=list, max_length=50)]
    judgements: Annotated[list[JudgementIn], Field(default_factory=list, max_length=100)]


class RouteIn(_In):
    type: Literal["route"]
    id: RecordId
    name: Label
    from_: Label = Field(alias="from")
    to: Label
    crossings: Annotated[list[Short], Field(default_factory=list, max_length=200)]
    refs: Refs


class ConvoyIn(_In):
    type: Literal["convoy"]
    id: RecordId
    organisation: Name
    route: Short = ""
    from_: Label = Field(alias="from")
    to: Label
    trucks: Count | None = None
    beneficiaries: Count | None = None
    events: Annotated[list[ConvoyEventIn], Field(min_length=1, max_length=500)]
    refs: Refs


_NOT_AN_OBJECT = "(not an object)"


def _tag(key: str, default: str | None) -> Any:
    def tag(value: Any) -> Any:
        if not isinstance(value, dict):
            return _NOT_AN_OBJECT
        return value.get(key, default)

    return tag


REPORT_FORMAT: TypeAdapter[IncidentReportIn | ClaimIn] = TypeAdapter(
    Annotated[
        Annotated[IncidentReportIn, Tag("incident")] | Annotated[ClaimIn, Tag("claim")],
        Discriminator(_tag("kind", "incident")),
    ]
)
HUMANITARIAN_FORMAT: TypeAdapter[RouteIn | ConvoyIn] = TypeAdapter(
    Annotated[
        Annotated[RouteIn, Tag("route")] | Annotated[ConvoyIn, Tag("convoy")],
        Discriminator(_tag("type", None)),
    ]
)


def problem(exc: ValidationError, tag_field: str, tags: str) -> BadField:
    """The first problem of a line as a :class:`BadField`, located by its field's path."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    first = errors[0] if errors else None
    if first is not None and first["type"] == "json_invalid":
        return BadField(
            "(json)", f"is not valid JSON: {first['msg'].removeprefix('Invalid JSON: ')}"
        )
    if first is not None and first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        if _NOT_AN_OBJECT in first["msg"]:
            return BadField("(json)", "must be a JSON object")
        return BadField(tag_field, f"must be {tags}")
    located = first_error(exc)
    # the union's tag is the first element of every location: drop it
    field = located.field.split(".", 1)[1] if "." in located.field else "(record)"
    return BadField(field, str(located))
