"""The three new agreements against an analyst's key written from their texts and UCDP's coded
sides, places and dates by someone who did not read the engine (tests/data/analyst_keys/README.md):
excluded groups → not a violation; outside the agreement's areas or period → not a violation of it;
covered fighting inside its areas and period → violation or undetermined, never "not a
violation"; no party inside → out of scope or not a violation.  Goal: ≥ 98 % of keyed events."""

from __future__ import annotations

import csv
from collections import Counter
from functools import cache

import pytest

from ceasefire.agreements.loader import load_agreement
from ceasefire.compliance.judge import Judge
from ceasefire.geo.control import load_aleppo_2016
from ceasefire.intake.ucdp import parse_ucdp
from ceasefire.model.incidents import Incident
from tests.conftest import ROOT, TZ, UCDP_FULL

KEYS = ROOT / "tests" / "data" / "analyst_keys"
ACCEPTS = {
    "not_violation": {"not_violation"},
    "covered": {"violation", "undetermined"},
    "not_party": {"out_of_scope", "not_violation"},
}


@cache
def _incidents() -> tuple[Incident, ...]:
    return tuple(parse_ucdp(UCDP_FULL, TZ).records)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["syria-2016-02", "syria-2017-05", "syria-2018-09"])
def test_findings_agree_with_the_analysts_key(name: str) -> None:
    with (KEYS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        key = {row["ucdp_id"]: row for row in csv.DictReader(handle)}
    assert len(key) > 1000
    # what `ceasefire import ucdp` then `evaluate` gives in a workspace holding only UCDP events
    judge = Judge(load_agreement(name), load_aleppo_2016())
    findings = {f.incident.split(":", 1)[1]: f for f in judge.findings(_incidents())}
    misses: Counter[tuple[str, str]] = Counter()
    examples: dict[str, list[str]] = {}
    for ucdp_id, row in key.items():
        f = findings[ucdp_id]
        if f.qualification not in ACCEPTS[row["key"]]:
            misses[(row["reason"], f.qualification)] += 1
            examples.setdefault(f"{row['reason']}->{f.qualification}", []).append(
                f"{ucdp_id}: {f.codes}"
            )
    agreement = 1 - sum(misses.values()) / len(key)
    detail = {k: v[:5] for k, v in examples.items()}
    assert agreement >= 0.98, (name, f"{agreement:.4f}", dict(misses), detail)
