"""The stored forms of incidents, claims, convoys, routes and news stories, as typed models.

Every record is stored as the JSON of its ``to_json``.  Before the store writes one it checks that
JSON against these models (:func:`check_body`), and its readers read every stored body through them
(:func:`incident_from_body`, :func:`record_problem`): so a record that could break a reader — a
naive or out-of-range date-time, a list where a name belongs, NaN, a name without a letter — is
never stored, and one an older version stored is skipped with a located warning instead of
failing every report.

The bounds are generous for real data (a UCDP source headline of 5,000 characters, 41 native
columns) and small enough that nothing downstream has to guard against size or type again.  The
input formats (``ceasefire.intake``) are stricter and say more precisely what is wrong.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ceasefire.model.batches import BadField
from ceasefire.model.humanitarian import CONVOY_STATUSES
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
from ceasefire.model.timewindow import (
    FIRST_YEAR,
    LAST_YEAR,
    Precision,
    TimeWindow,
    instant_in_range,
)

__all__ = [
    "MAX_COUNT",
    "STORED_KINDS",
    "StoredClaim",
    "StoredConvoy",
    "StoredIncident",
    "StoredRoute",
    "StoredStory",
    "check_body",
    "first_error",
    "incident_from_body",
    "record_problem",
]

MAX_COUNT = 10_000_000  # deaths, trucks, beneficiaries, claimed counts: more is a typing error
MAX_RADIUS_M = 1_000_000.0  # a stated precision radius: 1,000 km is already a whole country

# printable text: no C0 control character other than tab, newline and carriage return
Short = Annotated[
    str, StringConstraints(max_length=300, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
Text = Annotated[
    str, StringConstraints(max_length=4_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
LongText = Annotated[
    str, StringConstraints(max_length=20_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
# one native column as the source wrote it
Cell = Annotated[
    str, StringConstraints(max_length=100_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
# A name (an actor, a reporter, a claimant): one line, and at least one letter or digit, so that
# "," or " " is never a name (the actor registry splits coalitions on commas).
Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=300, pattern=r"^[^\x00-\x1f\x7f]*\w[^\x00-\x1f\x7f]*$"
    ),
]
Label = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]  # system, role
Ident = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def _instant(value: object) -> datetime:
    """An ISO 8601 date-time with its offset, as Python reads it (the readers parse stored
    instants with :meth:`datetime.fromisoformat`: what this accepts, they read)."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time")  # pydantic reports it, located
    instant = datetime.fromisoformat(value)  # ValueError: pydantic reports it, located
    if not instant_in_range(instant):
        raise ValueError(f"must be aware and lie within the years {FIRST_YEAR}–{LAST_YEAR}")
    return instant


def _iso_day(text: str) -> str:
    if text:
        day = date.fromisoformat(text)  # ValueError: pydantic reports it, located
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"must lie within the years {FIRST_YEAR}–{LAST_YEAR}")
    return text


Instant = Annotated[datetime, BeforeValidator(_instant)]
IsoDay = Annotated[str, StringConstraints(max_length=10), AfterValidator(_iso_day)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class StoredWindow(_Stored):
    start: Instant
    end: Instant
    precision: Precision
    stated: Short = ""

    @model_validator(mode="after")
    def _ordered(self) -> StoredWindow:
        if self.end <= self.start:
            raise ValueError("the window ends before it starts")
        return self


class StoredPlace(_Stored):
    radius_m: Annotated[float, Field(ge=0, le=MAX_RADIUS_M)] | None = None
    name: Short = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    precision: Annotated[int, Field(ge=1, le=7)] | None = None  # UCDP where_prec
    admin1: Short = ""
    admin2: Short = ""
    admin3: Short = ""
    country: Short = ""


class StoredActor(_Stored):
    name: Name
    role: Label


class StoredFatalities(_Stored):
    low: Count | None = None
    best: Count | None = None
    high: Count | None = None
    by_side: Annotated[dict[Label, Count], Field(max_length=20)] = Field(default_factory=dict)


class StoredSource(_Stored):
    name: Short
    date: IsoDay = ""
    reference: Text = ""
    quote: LongText = ""


class StoredJudgement(_Stored):
    axis: Axis
    value: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    ]
    known_from: Instant
    by: Short
    note: Text = ""
    sources: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)
    actors: Annotated[list[Name], Field(max_length=100)] = Field(default_factory=list)


class StoredIncident(_Stored):
    key: Ident
    source_system: Label
    source_id: Ident
    window: StoredWindow
    place: StoredPlace
    actors: Annotated[list[StoredActor], Field(max_length=200)]
    category: Short
    sub_category: Short = ""
    fatalities: StoredFatalities
    sources: Annotated[list[StoredSource], Field(max_length=500)] = Field(default_factory=list)
    notes: LongText = ""
    known_from: Instant | None = None
    judgements: Annotated[list[StoredJudgement], Field(max_length=200)] = Field(
        default_factory=list
    )
    native: Annotated[list[tuple[Short, Cell]], Field(max_length=500)] = Field(default_factory=list)
    continuing: bool = False
    self_defence_claims: Annotated[list[Name], Field(max_length=50)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keyed(self) -> StoredIncident:
        if self.key != f"{self.source_system}:{self.source_id}":
            raise ValueError("the key is not source_system:source_id")
        return self

    def to_incident(self) -> Incident:
        w, p, f = self.window, self.place, self.fatalities
        return Incident(
            source_system=self.source_system,
            source_id=self.source_id,
            window=TimeWindow(w.start, w.end, w.precision, w.stated),
            place=Place(
                p.name,
                p.lat,
                p.lon,
                p.precision,
                p.admin1,
                p.admin2,
                p.admin3,
                p.country,
                p.radius_m,
            ),
            actors=tuple(IncidentActor(a.name, a.role) for a in self.actors),
            category=self.category,
            sub_category=self.sub_category,
            fatalities=Fatalities(f.low, f.best, f.high, tuple(sorted(f.by_side.items()))),
            sources=tuple(SourceRef(s.name, s.date, s.reference, s.quote) for s in self.sources),
            notes=self.notes,
            known_from=self.known_from,
            judgements=tuple(
                Judgement(
                    j.axis, j.value, j.known_from, j.by, j.note, tuple(j.sources), tuple(j.actors)
                )
                for j in self.judgements
            ),
            native=tuple(self.native),
            continuing=self.continuing,
            self_defence_claims=tuple(self.self_defence_claims),
        )


class StoredPeriod(_Stored):
    from_: Annotated[str, StringConstraints(max_length=64)] = Field(default="", alias="from")
    to: Annotated[str, StringConstraints(max_length=64)] = ""

    @model_validator(mode="after")
    def _period(self) -> StoredPeriod:
        if not self.from_ and not self.to:
            return self  # no period stated
        try:
            start, end = datetime.fromisoformat(self.from_), datetime.fromisoformat(self.to)
        except ValueError:
            raise ValueError("the period must be two ISO date-times with a UTC offset") from None
        if not (instant_in_range(start) and instant_in_range(end)):
            raise ValueError(
                f"the period must be aware date-times within the years {FIRST_YEAR}–{LAST_YEAR}"
            )
        if end <= start:
            raise ValueError("the period ends before it starts")
        return self


class StoredClaim(_Stored):
    id: Ident
    claimant: Name
    reported_at: Instant
    quantity: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    value: Count
    qualifier: Short
    period: StoredPeriod
    about: Text = ""
    refs: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)
    note: Text = ""


class StoredConvoyEvent(_Stored):
    status: Literal[CONVOY_STATUSES]  # type: ignore[valid-type]
    window: StoredWindow
    place: Short = ""
    by: Annotated[list[Name], Field(max_length=50)] = Field(default_factory=list)
    reason: Short = ""
    note: Text = ""
    refs: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)
    occurrence: Literal[OCCURRENCE_LEVELS]  # type: ignore[valid-type]
    lat: Latitude | None = None
    lon: Longitude | None = None
    admin1: Short = ""
    casualties: Annotated[list[tuple[Short, Count, Short]], Field(max_length=50)] = Field(
        default_factory=list
    )
    judgements: Annotated[list[StoredJudgement], Field(max_length=200)] = Field(
        default_factory=list
    )


class StoredConvoy(_Stored):
    type: Literal["convoy"]
    id: Ident
    organisation: Name
    route: Short = ""
    from_: Short = Field(alias="from")
    to: Short
    trucks: Count | None = None
    beneficiaries: Count | None = None
    events: Annotated[list[StoredConvoyEvent], Field(min_length=1, max_length=500)]
    refs: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)


class StoredRoute(_Stored):
    type: Literal["route"]
    id: Ident
    name: Short
    from_: Short = Field(alias="from")
    to: Short
    crossings: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)
    refs: Annotated[list[Short], Field(max_length=200)] = Field(default_factory=list)


class StoredStoryDocument(_Stored):
    """An article of a news story: its id, outlet and publication instant."""

    id: Ident
    outlet: Short
    published: Instant | None = None
    title: Text = ""


class StoredSentenceSource(_Stored):
    """Where a brief's sentence comes from: the article, its outlet and when it was published."""

    document: Ident
    outlet: Short
    published: Instant | None = None


class StoredSentence(_Stored):
    """A sentence of a story's brief: taken from an article's lead, or ``generated`` (the
    sentence stating conflicting counts, built only from the extracted values)."""

    text: Annotated[LongText, StringConstraints(min_length=1)]
    sources: Annotated[list[StoredSentenceSource], Field(min_length=1, max_length=5_000)]
    generated: bool


class StoredNewsClaim(_Stored):
    """A count the story's articles state (one entry of the pipeline's claims table)."""

    id: Ident
    quantity: Short
    value: Count
    qualifier: Short
    scope: Short
    attribution: Text = ""
    documents: Annotated[list[Ident], Field(min_length=1, max_length=5_000)]
    independent_sources: Count


class StoredConflictValue(_Stored):
    """One value of a conflict, with who gives it."""

    value: Count
    qualifier: Short
    documents: Annotated[list[Ident], Field(min_length=1, max_length=5_000)]
    outlets: Annotated[list[Short], Field(max_length=5_000)]
    attribution: Text = ""
    independent_sources: Count


class StoredConflict(_Stored):
    """Counts of one quantity that independent sources of the story give incompatibly."""

    quantity: Short
    values: Annotated[list[Count], Field(min_length=2, max_length=1_000)]
    claims: Annotated[list[Ident], Field(max_length=1_000)]
    sources: Annotated[list[StoredConflictValue], Field(min_length=2, max_length=1_000)]


class StoredStory(_Stored):
    """A news story: its articles, its brief (every sentence with its sources), the counts its
    articles state and where they conflict, and the keys of the incidents it gave (``news:ID``;
    each of those carries the story's id in its ``native`` ``story`` column)."""

    type: Literal["story"]
    id: Ident
    documents: Annotated[list[StoredStoryDocument], Field(min_length=1, max_length=5_000)]
    brief: Annotated[list[StoredSentence], Field(max_length=100)]
    claims: Annotated[list[StoredNewsClaim], Field(max_length=5_000)]
    conflicts: Annotated[list[StoredConflict], Field(max_length=1_000)]
    incidents: Annotated[list[Ident], Field(max_length=5_000)]

    @model_validator(mode="after")
    def _cited(self) -> StoredStory:
        """Every source a sentence, a claim or a conflict cites is one of the story's articles,
        and every incident is a news incident: a reader can follow each link."""
        own = {d.id for d in self.documents}
        cited = [s.document for sentence in self.brief for s in sentence.sources]
        cited += [d for c in self.claims for d in c.documents]
        cited += [d for c in self.conflicts for v in c.sources for d in v.documents]
        stray = sorted(set(cited) - own)
        if stray:
            raise ValueError(f"cites {stray[0]!r}, not an article of the story")
        if any(not k.startswith("news:") for k in self.incidents):
            raise ValueError("an incident of a news story is keyed news:ID")
        return self


# record kinds (the store's ``records`` table) whose bodies have a stored form
STORED_KINDS: dict[str, type[_Stored]] = {
    "claim": StoredClaim,
    "convoy": StoredConvoy,
    "route": StoredRoute,
    "story": StoredStory,
}


_MESSAGES = {
    "string_pattern_mismatch": "is not accepted here: a name needs a letter or a digit, an id or "
    "a code only letters, digits and - _ . : @, and no text may hold control characters",
    "extra_forbidden": "is not a field of this record (check its spelling)",
}


def first_error(exc: ValidationError, prefix: str = "") -> BadField:
    """The first problem of a validation error as a :class:`BadField`: the field's path
    (``judgements[0].actors[1]``) and a sentence saying what is wrong."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if not errors:
        return BadField(prefix or "(record)", "is not valid")
    first = errors[0]
    path = prefix
    for part in first["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + ("from" if part == "from_" else str(part))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    message = _MESSAGES.get(first["type"]) or first["msg"].removeprefix("Value error, ")
    return BadField(path or "(record)", f"{message}{more}")


def check_body(kind: str, body: str) -> None:
    """Raise :class:`BadField` when a stored body of ``kind`` (``incident``, ``claim``, ``convoy``,
    ``route``, ``story``) is not in its stored form; other kinds have none and pass."""
    model = StoredIncident if kind == "incident" else STORED_KINDS.get(kind)
    if model is None:
        return
    try:
        model.model_validate_json(body)
    except ValidationError as exc:
        raise first_error(exc) from None


def incident_from_body(body: str | bytes) -> Incident:
    """An incident from its stored body; :class:`BadField` when the body is not in the stored form."""
    try:
        return StoredIncident.model_validate_json(body).to_incident()
    except ValidationError as exc:
        raise first_error(exc) from None


def record_problem(kind: str, body: str) -> BadField | None:
    """The first problem of a stored record body, or ``None`` when it is in its stored form."""
    try:
        check_body(kind, body)
    except BadField as exc:
        return exc
    return None
