"""The library's verbs over a workspace: import, evaluate, status, reports, exports.

The CLI, the API, the dashboard and the alerts call these; they raise :class:`CeasefireError`
subclasses and never print.  Every read of incidents or claims here takes the ``audience`` it is
for (keyword-only, no default) and filters through :mod:`ceasefire.visibility` before anything is
computed: what a caller may not see cannot reach a count, a clock day, a finding or a report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ceasefire._gc import collector_paused
from ceasefire.compliance.clock import status_at
from ceasefire.compliance.deadlines import deadline_states
from ceasefire.compliance.engine import Finding
from ceasefire.compliance.judge import Judge
from ceasefire.errors import ConfigError
from ceasefire.intake.acled import parse_acled
from ceasefire.intake.common import Batch
from ceasefire.intake.jsonlines import Claim, parse_humanitarian, parse_reports
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.agreement import Agreement
from ceasefire.model.humanitarian import Convoy, ConvoyEvent
from ceasefire.model.incidents import Incident, Judgement
from ceasefire.model.timewindow import TimeWindow
from ceasefire.reports.daily import Replay
from ceasefire.store import ImportSummary, Store
from ceasefire.visibility import (
    PUBLIC,
    Audience,
    restrictions,
    visible_claims,
    visible_decisions,
    visible_incidents,
)

if TYPE_CHECKING:
    from ceasefire.governance import Account

__all__ = [
    "IMPORTERS",
    "approve_decision",
    "bundled_data",
    "claims_from_store",
    "control_for",
    "convoys_from_store",
    "evaluate_store",
    "evaluate_store_on",
    "import_file",
    "incidents_for",
    "judge_for",
    "link_incidents",
    "links_for",
    "release_submission",
    "replay_from_store",
    "status_from_store",
    "stories_for",
    "story_for",
    "with_links",
]

IMPORTERS: dict[str, Callable[[Path, ZoneInfo], Batch]] = {
    "ucdp": parse_ucdp,
    "acled": parse_acled,
    "reports": parse_reports,
    "humanitarian": parse_humanitarian,
}


def bundled_data(relative: str) -> Path:
    return Path(str(resources.files("ceasefire") / "data" / relative))


def import_file(
    store: Store, kind: str, path: Path, tz: ZoneInfo, submitted_by: str | None = None
) -> ImportSummary:
    """Import ``path``; ``submitted_by``: the file is that party's submission (reports only), every
    record in it restricted until a guarantor releases it."""
    if kind not in IMPORTERS:
        raise ConfigError(
            f"Unknown import kind {kind!r}; use one of {', '.join(sorted(IMPORTERS))}."
        )
    if submitted_by is not None and kind != "reports":
        raise ConfigError("Only reports are a party's submissions (--submitted-by).")
    # many records, none in a cycle: the collector paused while they are read, stored and linked
    with collector_paused():
        if submitted_by is not None:
            batch = parse_reports(path, tz, submitted_by)
        else:
            batch = IMPORTERS[kind](path, tz)
        summary = store.import_batch(batch)
        link_incidents(store, summary.changed_incidents, summary.stored)
    if summary.changed_incidents or summary.added or summary.revised:
        from ceasefire.alerts import after_change

        # committed already; deliveries recorded (to the public audience: see alerts)
        after_change(store, summary.changed_incidents, replay_from_store=replay_from_store,
                     judge_for=judge_for)  # fmt: skip
    return summary


def convoys_from_store(store: Store) -> list[Convoy]:
    out = []
    for body in store.records("convoy"):
        events = tuple(
            ConvoyEvent(
                status=e["status"],
                window=TimeWindow.from_json(e["window"]),
                place=e["place"],
                by=tuple(e["by"]),
                reason=e["reason"],
                note=e["note"],
                refs=tuple(e["refs"]),
                occurrence=e["occurrence"],
                lat=e["lat"],
                lon=e["lon"],
                admin1=e["admin1"],
                casualties=tuple((c[0], int(c[1]), c[2]) for c in e["casualties"]),
                judgements=tuple(Judgement.from_json(j) for j in e["judgements"]),
            )
            for e in body["events"]
        )
        out.append(
            Convoy(
                id=body["id"],
                organisation=body["organisation"],
                route=body["route"],
                origin=body["from"],
                destination=body["to"],
                trucks=body["trucks"],
                beneficiaries=body["beneficiaries"],
                events=events,
                refs=tuple(body["refs"]),
            )
        )
    return out


def incidents_for(store: Store, *, audience: Audience) -> list[Incident]:
    """The stored incidents ``audience`` may see (start order), reporters withheld where due;
    other feeds' reports of one event linked into one (:func:`links_for`)."""
    return with_links(store, visible_incidents(store.incidents(), restrictions(store, audience)))


def link_incidents(store: Store, keys: Iterable[str] | None = None,
                   known: Mapping[str, tuple[Incident, str]] | None = None) -> list[int]:  # fmt: skip
    """Find and record (audited) the links between stored incidents of different feeds that are
    one event (:mod:`ceasefire.compliance.linking`); ``keys``: only pairs with one of these (the
    incidents an import added or changed); ``known``: those incidents as the import stored them
    (:attr:`ImportSummary.stored`: not read back).  Returns the new links' ids."""
    from ceasefire.agreements.loader import default_registry
    from ceasefire.compliance.linking import MAX_WINDOW, find_links, near_box

    wanted = None if keys is None else list(keys)
    if wanted == []:
        return []
    # Whether a pair links depends on the other incidents it is compared with (one that matches
    # two of a feed links to neither), so each pair is found among what its audience may see:
    # links between incidents everyone sees among those alone, links of a submission not yet
    # released among those and its own party's submissions.  Else an unreleased submission
    # could undo a link the public sees (and tell the public it exists).
    # A pair links only when both windows overlap and are at most MAX_WINDOW long, and both
    # points lie within 2 × MAX_RADIUS_M: so with keys, the incidents that start near those keys'
    # windows, in a box around their points, are all the pairs can involve.
    if wanted is None:
        everything = store.incidents()
    else:
        span = store.incident_span(wanted)
        if span is None:
            return []
        first, last, box = span
        if box is None:
            return []  # none with a point: nothing to link
        everything = store.incidents_starting(first - MAX_WINDOW, last, near_box(box), known)
    hidden = restrictions(store, PUBLIC).hidden
    party_of = {
        str(k): str(p) for k, p in store.conn.execute("SELECT key, party FROM distribution")
    }
    scopes: dict[str | None, list[Incident]] = {None: []}
    for incident in everything:
        scope = party_of[incident.key] if incident.key in hidden else None
        scopes.setdefault(scope, []).append(incident)
    registry = default_registry()
    found: dict[tuple[str, str], Any] = {}
    for scope in sorted(scopes, key=lambda s: (s is not None, s or "")):
        mine = {i.key for i in scopes[scope]}
        pool = scopes[None] if scope is None else [*scopes[None], *scopes[scope]]
        # the pairs with one of this scope's own incidents (everyone's scope: any of its pairs)
        only: list[str] | None
        if wanted is None:
            only = None if scope is None else sorted(mine)
        else:
            only = [k for k in wanted if k in mine]
            if not only:
                continue
        for c in find_links(pool, registry, only):
            found.setdefault((c.a, c.b), c)
    pairs = [found[k] for k in sorted(found)]
    return store.add_links([(c.a, c.b, c.to_json()) for c in pairs], "links.find")


def links_for(store: Store, incidents: list[Incident]) -> list[dict[str, Any]]:
    """The recorded links among ``incidents``, each re-checked on their current revisions
    (``holds``: every criterion still met; a link that no longer holds is not applied)."""
    from ceasefire.agreements.loader import default_registry
    from ceasefire.compliance.linking import check_pair

    links = store.links()
    if not links:
        return []
    wanted = {k for link in links for k in (link["a"], link["b"])}
    by_key = {i.key: i for i in incidents if i.key in wanted}
    registry = None
    out = []
    for link in links:
        a, b = by_key.get(link["a"]), by_key.get(link["b"])
        if a is None or b is None:
            continue
        registry = registry or default_registry()
        now = check_pair(a, b, registry)
        out.append({**link, "holds": now.linked, "now": now.to_json()})
    return out


def with_links(store: Store, incidents: list[Incident]) -> list[Incident]:
    """``incidents`` (those an audience may see) with the recorded links among them applied:
    each linked group one incident (what every surface counts)."""
    from ceasefire.compliance.linking import apply_links

    active = [
        (link["a"], link["b"])
        for link in links_for(store, incidents)
        if link["undone_at"] is None and link["holds"]
    ]
    return apply_links(incidents, active) if active else incidents


def control_for(store: Store, tz: ZoneInfo, *, audience: Audience) -> Any:
    """The workspace's control map as ``audience`` may know it (the territorial events among the
    incidents it may see)."""
    from ceasefire.geo.control_store import workspace_control

    return workspace_control(store, tz, incidents_for(store, audience=audience))


def claims_from_store(store: Store, *, audience: Audience) -> list[Claim]:
    """The stored claims ``audience`` may see."""
    return visible_claims(_claims(store), restrictions(store, audience))


def _claims(store: Store) -> list[Claim]:
    return [
        Claim(
            id=b["id"],
            claimant=b["claimant"],
            reported_at=datetime.fromisoformat(b["reported_at"]),
            quantity=b["quantity"],
            value=int(b["value"]),
            qualifier=b["qualifier"],
            period_from=b["period"]["from"],
            period_to=b["period"]["to"],
            about=b["about"],
            refs=tuple(b["refs"]),
            note=b.get("note", ""),
        )
        for b in store.records("claim")
    ]


def stories_for(
    store: Store, *, audience: Audience, day: date | None = None, tz: ZoneInfo | None = None,
    incident: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The stored news stories ``audience`` may see (key order), each as stored plus its ``key``
    (``story:ID``), with only the incidents it may see; ``day`` (with ``tz``, the workspace's
    zone): stories with an incident overlapping that local day; ``incident``: the story of that
    incident.

    Visibility, decided here with the one rule (:mod:`ceasefire.visibility`): a story's articles
    are public outlets' reporting, so a story is itself never a party's submission; but it is
    read only through what the audience may see of the store.  Its own key may be restricted
    like any record's (``distribution``); its incident list keeps only the incidents the
    audience may see; and a story that gave incidents of which the audience may see none is
    withheld whole (its brief describes them).  A story that gave no incident (nothing dated
    that happened) is shown."""
    r = restrictions(store, audience)
    start = end = None
    if day is not None:
        from ceasefire.model.timewindow import Precision, local_day_window

        window = local_day_window(day, day, tz or ZoneInfo("UTC"), Precision.DAY)
        start, end = window.start, window.end
    out = []
    for body in store.records("story"):
        key = f"story:{body['id']}"
        if not r.may_see(key):
            continue
        seen = [k for k in body["incidents"] if r.may_see(k)]
        if body["incidents"] and not seen:
            continue
        if incident is not None and incident not in seen:
            continue
        if start is not None and end is not None:
            held = (store.incident(k) for k in seen)
            if not any(i is not None and i.window.overlap_seconds(start, end) > 0 for i in held):
                continue
        out.append({"key": key, **body, "incidents": seen})
    return sorted(out, key=lambda s: str(s["key"]))


def story_for(store: Store, key: str, *, audience: Audience) -> dict[str, Any]:
    """One stored story (``story:ID``) as :func:`stories_for` gives it to ``audience``;
    :class:`NotFoundError` when there is none it may see."""
    from ceasefire.errors import NotFoundError

    found = [s for s in stories_for(store, audience=audience) if s["key"] == key]
    if not found:
        raise NotFoundError(f"No story {key!r} (or not one you may see).")
    return found[0]


def with_stored_decisions(store: Store, agreement: Agreement) -> Agreement:
    """The agreement plus the guarantors' decisions recorded in the workspace that are in effect;
    a published determination among them governs its incident from its date."""
    from dataclasses import replace

    from ceasefire.governance import effective_decisions
    from ceasefire.model.agreement import Determination

    stored = effective_decisions(store, agreement)
    if not stored:
        return agreement
    determinations = tuple(
        Determination(incident=d.subject, qualification=d.qualification or "undetermined",
                      by=f"joint decision {d.id} ({', '.join(d.approvals)})", at=d.decided_at, note=d.text)
        for d in stored
        if d.kind == "publish_determination"
    )  # fmt: skip
    return replace(
        agreement,
        decisions=agreement.decisions + tuple(stored),
        determinations=agreement.determinations + determinations,
    )


def judge_for(
    store: Store, agreement: Agreement, incidents: list[Incident] | None = None,
    control: Any = "workspace", *, audience: Audience,
) -> Judge:  # fmt: skip
    """The one judgement path for a workspace: the agreement with the guarantors' decisions
    recorded in it, and the workspace's control map (bundled + imported statements + territorial
    events among the incidents ``audience`` may see; ``incidents``: those, when the caller has
    read them already).  Every surface judges through this, so they all give each incident the
    same finding."""
    if control == "workspace":
        from ceasefire.geo.control_store import workspace_control

        if incidents is None:
            incidents = incidents_for(store, audience=audience)
        control = workspace_control(store, agreement.timezone, incidents)
    agreement = with_stored_decisions(store, agreement)
    # a decision about what the audience may not see keeps its effect, its subject is withheld
    # (a new agreement only then: the agreement's memo of zones and sides is kept otherwise)
    decisions = visible_decisions(agreement.decisions, restrictions(store, audience))
    if decisions != agreement.decisions:
        agreement = dataclasses.replace(agreement, decisions=decisions)
    return Judge(agreement, control)


def replay_from_store(
    store: Store, agreement: Agreement, control: Any = "workspace", *, audience: Audience
) -> Replay:
    """A replay of the stored records ``audience`` may see, judged through :func:`judge_for`;
    its reports carry the audience's distribution marking."""
    r = restrictions(store, audience)
    incidents = with_links(store, visible_incidents(store.incidents(), r))
    judge = judge_for(store, agreement, incidents, control, audience=audience)
    claims = visible_claims(_claims(store), r)
    return Replay(judge, incidents, convoys_from_store(store), claims,
                  distribution=audience.distribution,
                  stories=stories_for(store, audience=audience))  # fmt: skip


def evaluate_store(
    store: Store, agreement: Agreement, as_of: datetime | None = None, control: Any = "workspace",
    *, audience: Audience,
) -> list[tuple[Incident, Finding]]:  # fmt: skip
    """Every stored incident ``audience`` may see, known at ``as_of``, with its finding (through
    :func:`judge_for`)."""
    incidents = incidents_for(store, audience=audience)
    judge = judge_for(store, agreement, incidents, control, audience=audience)
    if as_of is not None:
        incidents = [i for i in incidents if i.known_by(as_of)]
    return list(zip(incidents, judge.findings(incidents, as_of), strict=True))


def evaluate_store_on(
    store: Store, agreement: Agreement, engine: str, folder: Path, findings_out: Path,
    as_of: datetime | None = None, control: Any = "workspace", *, audience: Audience,
    scheduler: str | None = None, master: str | None = None,
) -> list[str]:  # fmt: skip
    """:func:`evaluate_store` on an engine of :mod:`ceasefire.engines`: the incidents ``audience``
    may see written as month partitions to ``folder``, judged there through :func:`judge_for`,
    the findings written to ``findings_out``.  Returns the partitions' names (what
    :func:`ceasefire.engines.finding_lines` merges)."""
    from ceasefire.engines import evaluate_partitions
    from ceasefire.export.parquet import write_partitions

    incidents = incidents_for(store, audience=audience)
    if not incidents:
        return []  # nothing to judge (an empty folder is an error for --input, not here)
    judge = judge_for(store, agreement, incidents, control, audience=audience)
    write_partitions(incidents, folder)
    results = evaluate_partitions(folder, judge, engine, findings_out, as_of=as_of,
                                  scheduler=scheduler, master=master)  # fmt: skip
    return [r.name for r in results]


def status_from_store(
    store: Store, agreement: Agreement, at: datetime, *, audience: Audience
) -> dict[str, Any]:
    replay = replay_from_store(store, agreement, control=None, audience=audience)
    status = status_at(replay.clock(at), at)
    status["deadlines"] = deadline_states(replay.judge, replay.incidents, at)
    status["distribution"] = audience.distribution
    return status


def release_submission(store: Store, account: Account, key: str) -> None:
    """A guarantor releases a restricted submission to everyone (audited); alerts then go out as
    for a new record, since the public learns of it only now."""
    from ceasefire.errors import NotFoundError
    from ceasefire.store import audit
    from ceasefire.visibility import release

    with store.transaction() as conn:
        row = conn.execute(
            "SELECT party FROM distribution WHERE key = ? AND released_at IS NULL", (key,)
        ).fetchone()
        if row is None or not release(conn, key):
            raise NotFoundError(f"No restricted submission {key!r} awaiting release.")
        audit.append(conn, account.name, "reports.release", key, {"by_guarantor": account.party},
                     [("distribution", (key,))])  # fmt: skip
    from ceasefire.alerts import after_change

    keys = [key] if store.incident(key) is not None else []
    link_incidents(store, keys)  # now among what everyone sees (its links were its party's)
    after_change(store, keys, replay_from_store=replay_from_store, judge_for=judge_for,
                 released_from=str(row[0]))  # fmt: skip


def approve_decision(
    store: Store, account: Account, decision_id: str, agreement: Agreement, signature: str
) -> dict[str, Any]:
    """Approve a guarantor decision with the guarantor key's ``signature`` of its statement; when
    this approval makes it take effect, alert the subscribed webhooks (the decision, then the
    clock changes it makes)."""
    from ceasefire.alerts import decision_took_effect
    from ceasefire.governance import approve_and_alert

    alert = partial(decision_took_effect, replay_from_store=replay_from_store)
    return approve_and_alert(store, account, decision_id, agreement, signature, alert)


def daily_dates(first: date, last: date) -> list[date]:
    from datetime import timedelta

    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
