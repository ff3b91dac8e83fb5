"""Analysts' control statements kept in the workspace, on top of the bundled control map.

Each imported version is stored as a record (its geometry as GeoJSON); re-importing the same file
changes nothing; versions are replayed in the order they were first recorded, so the latest
statement wins where intervals overlap and every earlier one stays in the history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import mapping, shape

from ceasefire.geo.control import (
    ControlImport,
    ControlMap,
    ControlVersion,
    apply_incident_change,
    import_csv,
    import_geojson,
    load_aleppo_2016,
)
from ceasefire.model.batches import Batch, RowProblem
from ceasefire.model.incidents import Incident
from ceasefire.store import ImportSummary, Store

__all__ = [
    "affects_control",
    "apply_territorial_incidents",
    "import_control_file",
    "workspace_control",
]

KIND = "control_version"


@dataclass(frozen=True)
class _Record:
    id: str
    body: dict[str, Any]
    kind: str = KIND

    def to_json(self) -> dict[str, Any]:
        return self.body


def _body(v: ControlVersion) -> dict[str, Any]:
    return {
        "area_id": v.area_id, "kind": v.kind, "name": v.name, "geometry": mapping(v.geometry),
        "actors": list(v.actors), "status": v.status, "valid_from": v.valid_from.isoformat(),
        "valid_to": v.valid_to.isoformat() if v.valid_to else None, "sources": list(v.sources),
        "confidence": v.confidence, "recorded_by": v.recorded_by,
    }  # fmt: skip


def _version(body: dict[str, Any]) -> ControlVersion:
    return ControlVersion(
        area_id=body["area_id"], kind=body["kind"], name=body["name"], geometry=shape(body["geometry"]),
        actors=tuple(body["actors"]), status=body["status"], valid_from=date.fromisoformat(body["valid_from"]),
        valid_to=date.fromisoformat(body["valid_to"]) if body["valid_to"] else None,
        sources=tuple(body["sources"]), confidence=body["confidence"], recorded_by=body["recorded_by"],
    )  # fmt: skip


TERRITORY_EVENTS = ("Government regains territory", "Non-state actor overtakes territory")


def workspace_control(
    store: Store, tz: ZoneInfo | None, incidents: Iterable[Incident]
) -> ControlMap:
    """The bundled control map, every statement imported into the workspace, and the changes of
    control that ``incidents`` report (ACLED events at precise places inside a mapped area only).
    The caller says which incidents — those its audience may see (``ceasefire.service.control_for``)."""
    control = load_aleppo_2016()
    for body in store.records_in_order(KIND):
        control.add(_version(body))
    apply_territorial_incidents(control, incidents, tz or ZoneInfo("Asia/Damascus"))
    return control


def affects_control(incident: Incident) -> bool:
    """Whether the incident is an event :func:`apply_territorial_incidents` may read."""
    return incident.source_system == "acled" and incident.sub_category in TERRITORY_EVENTS


def apply_territorial_incidents(
    control: ControlMap, incidents: Iterable[Incident], tz: ZoneInfo
) -> list[ControlVersion]:
    """ACLED "government regains territory" / "non-state actor overtakes territory" events located
    precisely (geo_precision 1) inside a mapped area become new versions from their day, held by
    actor 1 as the source names it (resolved at that day); nothing is inferred for other events."""
    from ceasefire.agreements.loader import default_registry

    registry = default_registry()
    added = []
    for incident in sorted(incidents, key=lambda i: (i.window.start, i.key)):
        if not affects_control(incident):
            continue
        place = incident.place
        if place.lat is None or place.lon is None or place.precision != 1:
            continue
        on = incident.window.start.astimezone(tz).date()  # the local day, not the UTC one
        answer = control.at(place.lat, place.lon, on)
        if answer.area_id is None:
            continue
        names = [a.name for a in incident.actors_in("actor1")]
        actors = tuple(i for n in names for i in registry.resolve_list(n, on, "acled").actor_ids)
        if not actors:
            continue
        added.append(apply_incident_change(control, answer.area_id, actors, on, incident.key,
                                           recorded_by="incident (ACLED)"))  # fmt: skip
    return added


def import_control_file(store: Store, path: Path, recorded_by: str) -> ImportSummary:
    """Import a GeoJSON or CSV control layer; bad rows are quarantined with file, row and field."""
    # the areas already known, to check the file's ids against (statements only: no incident)
    known = workspace_control(store, None, ())
    result: ControlImport = (
        import_csv(path, known=known, recorded_by=recorded_by)
        if path.suffix.lower() == ".csv"
        else import_geojson(path, recorded_by=recorded_by)
    )
    batch = Batch(kind="control", file=str(path))
    for v in result.versions:
        body = _body(v)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        batch.records.append(_Record(f"{v.area_id}/{v.valid_from.isoformat()}/{digest}", body))
    for problem in result.problems:
        if problem.severity == "error":
            batch.problems.append(
                RowProblem(problem.file, problem.line, problem.field, problem.message)
            )
    return store.import_batch(batch)
