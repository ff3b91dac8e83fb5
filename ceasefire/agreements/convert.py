"""Convert a version 1 agreement file to version 2 (``ceasefire agreement convert``).

Version 1 had one start and phases that listed their obligations; version 2 has lifecycles, and
terms that carry their own scope (bearers, zones, phases, means).  The conversion is mechanical:
what version 1 could not say (targets, zone lifecycles, deadlines, classification) is left for
the author to add, and the result is checked like any other file.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["convert_v1"]


def convert_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """The version 2 document for a version 1 document (both plain data)."""
    v1 = dict(doc.get("agreement") or {})
    out: dict[str, Any] = {}
    for key in (
        "id",
        "title",
        "timezone",
        "notes",
        "sources",
        "instruments",
        "actor_groups",
        "guarantors",
        "parties",
        "coverage_by_side",
        "exclusions",
    ):
        if key in v1:
            out[key] = v1[key]
    phases = [dict(p) for p in v1.get("phases") or [] if isinstance(p, dict)]
    listed: dict[str, list[str]] = {}
    for phase in phases:
        for ob in phase.pop("obligations", None) or []:
            listed.setdefault(str(ob), []).append(str(phase.get("id")))
        entry = phase.get("entry_conditions")
        if isinstance(entry, list):
            phase["entry_conditions"] = {"all_of": entry}
    out["lifecycles"] = [{"id": "main", "start": v1.get("start"), "phases": phases}]
    if "conditions" in v1:
        out["conditions"] = v1["conditions"]
    zones = []
    for zone in v1.get("zones") or []:
        if not isinstance(zone, dict):
            continue
        z = dict(zone)
        if "admin1" in z:
            z["within"] = z.pop("admin1")
        z.pop("active_in", None)
        if z.get("status") == "approximate" and not z.get("method") and not z.get("reference_line"):
            z["method"] = "(converted from version 1: say how the geometry was made)"
        zones.append(z)
    if zones:
        out["zones"] = zones
    obligations = [o for o in v1.get("obligations") or [] if isinstance(o, dict)]
    permissions = {str(o.get("id")) for o in obligations if o.get("type") == "permission"}
    terms = []
    for ob in obligations:
        term: dict[str, Any] = {
            k: ob[k] for k in ("id", "title", "type", "action", "refs") if k in ob
        }
        bearer = ob.get("bearer", "all_covered")
        scope: dict[str, Any] = {
            "bearers": bearer if isinstance(bearer, list) else [bearer],
            "when": ob.get("phases") or listed.get(str(ob.get("id")), []),
        }
        if ob.get("zone"):
            scope["where"] = {"inside": [ob["zone"]]}
        if ob.get("means"):
            scope["means"] = ob["means"]
        term["scope"] = scope
        self_defence = [e for e in ob.get("exceptions") or [] if e in permissions]
        if self_defence:
            term["exceptions"] = {"self_defence": self_defence[0]}
        terms.append(term)
    if terms:
        out["terms"] = terms
    if "decisions" in v1:
        out["decisions"] = v1["decisions"]
    if isinstance(v1.get("monitoring"), dict) and "report_cutoff" in v1["monitoring"]:
        out["monitoring"] = {"report_cutoff": v1["monitoring"]["report_cutoff"]}
    return {"schema_version": 2, "agreement": out}


def dump(doc: dict[str, Any]) -> str:
    """YAML text for a converted document (keys in the order written, Unicode kept)."""
    text: str = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return text
