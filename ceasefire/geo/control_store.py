"""Analysts' control statements kept in the workspace, on top of the bundled control map.

Each imported version is stored as a record (its geometry as GeoJSON); re-importing the same file
changes nothing; versions are replayed in the order they were first recorded, so the latest
statement wins where intervals overlap and every earlier one stays in the history.

A file is measured before it is parsed for its shapes (:func:`check_control_file`): its size, the
size it decompresses to, its JSON (numbers finite, nesting shallow), and the vertices of each
feature and of the whole layer; a file past a bound is refused with the feature that passed it,
so that a hostile layer (a gzip bomb, a million-vertex polygon) ends in a located error in
seconds instead of exhausting memory or time in the geometry library.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import mapping, shape

from ceasefire.errors import IntakeError
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
    "MAX_FEATURE_VERTICES",
    "MAX_FILE_BYTES",
    "MAX_LAYER_VERTICES",
    "affects_control",
    "apply_territorial_incidents",
    "check_control_file",
    "import_control_file",
    "workspace_control",
]

KIND = "control_version"
MAX_FILE_BYTES = 64 << 20  # a control layer, decompressed: the OCHA admin-3 layer is 20 MB
MAX_GZIP_RATIO = 100  # decompressed bytes per compressed byte; GeoJSON gives about 5
MAX_FEATURE_VERTICES = 200_000  # one area's outline: an admin-3 boundary has a few thousand
MAX_LAYER_VERTICES = 2_000_000
_MAX_DEPTH = 12  # FeatureCollection → features → geometry → MultiPolygon rings: 7 levels


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


def _read_bounded(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if path.suffix.lower() != ".gz":
            if size > MAX_FILE_BYTES:
                raise IntakeError(f"{path}: is {size:,} bytes; a control layer is at most "
                                  f"{MAX_FILE_BYTES:,}. Split it or simplify its shapes.")  # fmt: skip
            return path.read_bytes()
        limit = min(MAX_FILE_BYTES, max(1 << 20, MAX_GZIP_RATIO * size))
        with gzip.open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise IntakeError(
            f"{path}: could not be read ({exc}). Check the path and the file."
        ) from exc
    if len(data) > limit:
        raise IntakeError(f"{path}: decompresses to more than {limit:,} bytes (over "
                          f"{MAX_GZIP_RATIO} times its size, or the {MAX_FILE_BYTES:,}-byte "
                          "bound of a control layer); refused.")  # fmt: skip
    return data


def _not_finite(text: str) -> float:
    raise ValueError(f"{text} is not a number GeoJSON allows")


def _vertices(node: Any, depth: int = 0) -> int:
    """Positions in a GeoJSON ``coordinates`` value (a position is a list of numbers)."""
    if depth > _MAX_DEPTH:
        raise ValueError("nests deeper than any GeoJSON geometry")
    if not isinstance(node, list):
        return 0
    if node and not isinstance(node[0], list):
        return 1
    return sum(_vertices(child, depth + 1) for child in node)


def _geometry_vertices(geometry: Any, depth: int = 0) -> int:
    if not isinstance(geometry, dict) or depth > 2:
        return 0
    if geometry.get("type") == "GeometryCollection":
        parts = geometry.get("geometries")
        return (
            sum(_geometry_vertices(g, depth + 1) for g in parts) if isinstance(parts, list) else 0
        )
    return _vertices(geometry.get("coordinates"))


def check_control_file(path: Path) -> None:
    """Raise :class:`IntakeError`, naming the feature, unless a GeoJSON control layer is within
    the bounds above (a CSV layer is bounded by its size only)."""
    data = _read_bounded(path)
    if path.suffix.lower() == ".csv":
        return
    try:
        doc = json.loads(data, parse_constant=_not_finite)
    except RecursionError:
        raise IntakeError(f"{path}: nests deeper than any GeoJSON; refused.") from None
    except ValueError as exc:  # not JSON, not UTF-8, NaN or Infinity, an integer too long
        raise IntakeError(f"{path}: is not GeoJSON ({exc}). Check the file.") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return  # import_geojson says what is wrong with it
    total = 0
    for i, feature in enumerate(features):
        try:
            count = _geometry_vertices(
                feature.get("geometry") if isinstance(feature, dict) else None
            )
        except ValueError as exc:
            raise IntakeError(f"{path}: features[{i}].geometry: {exc}; refused.") from None
        if count > MAX_FEATURE_VERTICES:
            raise IntakeError(
                f"{path}: features[{i}].geometry: has {count:,} vertices; an area has at most "
                f"{MAX_FEATURE_VERTICES:,}. Simplify it (e.g. mapshaper -simplify) and import again."
            )
        total += count
        if total > MAX_LAYER_VERTICES:
            raise IntakeError(
                f"{path}: features[{i}]: the layer passes {MAX_LAYER_VERTICES:,} vertices here; "
                "split it into several files or simplify its shapes."
            )


def import_control_file(store: Store, path: Path, recorded_by: str) -> ImportSummary:
    """Import a GeoJSON or CSV control layer; bad rows are quarantined with file, row and field.
    A file past the bounds of :func:`check_control_file` is refused whole (:class:`IntakeError`)."""
    check_control_file(path)
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
