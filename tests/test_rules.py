"""The rules' correctness points, each from a real or realistically coded record, each failing on
the engine before the rules were registered one by one (see docs/compliance.md).

Expected values come from the agreement's text and the records' own coding: the Sept 2016
cessation binds the covered government side from 19:00 on 12 Sept to 19:00 on 19 Sept (after the
two joint extensions), civilians are protected persons, and a term binds only its bearers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ceasefire.agreements.loader import parse_agreement, resolve_agreement_path
from ceasefire.compliance.engine import Finding, evaluate
from ceasefire.errors import ConfigError
from ceasefire.intake.acled import parse_acled
from ceasefire.intake.jsonlines import parse_reports
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from ceasefire.store import Store
from ceasefire.visibility import OPERATOR
from tests.conftest import TZ
from tests.test_acled import acled_row, write_csv

BUNDLED = resolve_agreement_path("syria-2016-09").read_text(encoding="utf-8")


def _variant(old: str, new: str) -> Agreement:
    """The bundled Sept 2016 file with one passage changed, as an analyst would edit it."""
    from ceasefire.agreements.loader import default_registry

    assert old in BUNDLED, old
    return parse_agreement(BUNDLED.replace(old, new, 1), "variant.yaml", default_registry())


def _report(tmp_path: Path, **fields: Any) -> Incident:
    body = {
        "id": "r-1", "kind": "incident", "reported_at": "2016-09-16T12:00+03:00",
        "reporter": {"name": "monitor team 3", "type": "monitor"},
        "time": {"at": "2016-09-15T10:00+03:00", "precision": "hour"},
        "place": {"name": "Aleppo", "lat": 36.2021, "lon": 37.1343, "admin1": "Aleppo Governorate",
                  "precision": 1},
        "occurrence": "observed",
        **fields,
    }  # fmt: skip
    path = tmp_path / f"report-{abs(hash(json.dumps(body, sort_keys=True)))}.jsonl"
    path.write_text(json.dumps(body) + "\n", encoding="utf-8")
    batch = parse_reports(path, TZ)
    assert not batch.problems, batch.problems
    (incident,) = batch.records
    assert isinstance(incident, Incident)
    return incident


def _acled(tmp_path: Path, **values: str) -> Incident:
    path = tmp_path / "acled.csv"
    write_csv(path, [acled_row("SYR9001", **values)])
    batch = parse_acled(path, TZ)
    assert not batch.problems, batch.problems
    (incident,) = batch.records
    assert isinstance(incident, Incident)
    return incident


# 1. civilians as targets are protected, not a "non-party" -------------------------------------
def test_an_air_strike_on_civilians_by_the_syrian_air_force_is_a_violation(
    agreement: Agreement, tmp_path: Path
) -> None:
    strike = _acled(
        tmp_path, event_date="2016-09-15", event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike", actor1="Air Force of Syria (2000-)", inter1="1",
        actor2="Civilians (Syria)", inter2="7", interaction="17", fatalities="4",
    )  # fmt: skip
    f = evaluate(agreement, strike)
    assert f.qualification == "violation", f.explanation
    assert f.bearers == ("SyAAF",)
    assert f.phase == "cessation"
    assert "OOS.NON_PARTY" not in f.codes


# 2. self-defence is assessed when a report claims it ----------------------------------------------
def test_a_claim_of_self_defence_is_assessed_not_judged_outright(
    agreement: Agreement, tmp_path: Path
) -> None:
    base = {"category": "ATK.IND", "actors": [{"name": "Syrian Arab Army", "role": "perpetrator"},
                                              {"name": "Civilians", "role": "target"}]}  # fmt: skip
    plain = evaluate(agreement, _report(tmp_path, **base))
    claimed = evaluate(
        agreement, _report(tmp_path, **base, self_defence_claimed_by=["Syrian Arab Army"])
    )
    assert plain.qualification == "violation"
    assert claimed.qualification == "undetermined"
    assert "UNDET.SELF_DEFENCE" in claimed.codes
    assert "O4_proportionate_self_defence" in claimed.rule
    assert claimed.bearers == ("SAA",)  # who would bear it, if it was not proportionate


# 3. recorded determinations govern from their date -----------------------------------------------
@pytest.fixture
def decided(tmp_path: Path, database_url: str | None) -> Iterator[Store]:
    from ceasefire.governance import add_user, approve, authenticate, propose
    from ceasefire.service import import_file
    from tests.guarantor_keys import register, signature

    store = Store(tmp_path / "ws") if database_url else Store.memory()
    agreement = _variant("", "")
    admin = add_user(store, "admin", "admin", None, "test", agreement)
    tokens = {
        g: add_user(store, f"g-{g}", "guarantor", g, "admin", agreement) for g in ("USA", "RUS")
    }
    _ = admin
    from tests.conftest import UCDP_SEPT

    import_file(store, "ucdp", UCDP_SEPT, TZ)
    us, ru = (authenticate(store, tokens[g]) for g in ("USA", "RUS"))
    us_key, ru_key = (register(store, tokens[g]) for g in ("USA", "RUS"))
    # a JIC-style determination on ucdp:227922 (Government of Syria v Syrian insurgents, 12–16
    # Sept, undetermined by the engine), published on 25 Sept 2016
    decision = propose(store, us, "publish_determination", "ucdp:227922", "JIC determination",
                       datetime(2016, 9, 25, 12, tzinfo=TZ), None,
                       datetime(2016, 9, 25, 12, tzinfo=TZ), agreement=agreement, value="violation",
                       key=us_key)  # fmt: skip
    approve(store, ru, decision, signature(store, ru_key, decision))
    yield store
    store.close()


def test_a_published_determination_governs_from_its_date(decided: Store) -> None:
    from ceasefire.service import evaluate_store

    agreement = _variant("", "")
    before = dict(
        evaluate_store(decided, agreement, datetime(2016, 9, 24, tzinfo=TZ), audience=OPERATOR)
    )
    after = dict(
        evaluate_store(decided, agreement, datetime(2016, 9, 26, tzinfo=TZ), audience=OPERATOR)
    )
    f_before = next(f for i, f in before.items() if i.key == "ucdp:227922")
    f_after = next(f for i, f in after.items() if i.key == "ucdp:227922")
    assert f_before.qualification == "undetermined"
    assert "DET.RECORDED" not in f_before.codes
    assert f_after.qualification == "violation"
    assert "DET.RECORDED" in f_after.codes
    assert any("engine's own assessment: undetermined" in fact for fact in f_after.facts)


def test_a_qualification_judgement_on_the_incident_governs_from_its_date(
    agreement: Agreement, tmp_path: Path
) -> None:
    incident = _report(
        tmp_path, category="ATK.GND",
        actors=[{"name": "Syrian Arab Army", "role": "side_a"}, {"name": "Ahrar al-Sham", "role": "side_b"}],
        judgements=[{"axis": "qualification", "value": "violation", "known_from": "2016-10-01T00:00+03:00",
                     "by": "Joint Implementation Centre", "note": "verified on site"}],
    )  # fmt: skip
    assert (
        evaluate(agreement, incident, datetime(2016, 9, 30, tzinfo=TZ)).qualification
        == "undetermined"
    )
    later = evaluate(agreement, incident, datetime(2016, 10, 2, tzinfo=TZ))
    assert later.qualification == "violation"
    assert "Joint Implementation Centre" in later.rule


# 4. the same stated direction gives the same verdict however it is worded -------------------------
@pytest.mark.parametrize(
    "roles",
    [("side_a", "side_b"), ("side_b", "side_a"), ("perpetrator", "target")],
)
def test_a_clash_gets_the_same_qualification_whichever_way_it_is_worded(
    agreement: Agreement, tmp_path: Path, roles: tuple[str, str]
) -> None:
    incident = _report(
        tmp_path, category="ATK.GND",
        actors=[{"name": "Syrian Arab Army", "role": roles[0]}, {"name": "Ahrar al-Sham", "role": roles[1]}],
    )  # fmt: skip
    f = evaluate(agreement, incident)
    # Ahrar al-Sham's coverage is unknown (group declarations were never published)
    assert (f.qualification, "UNDET.COVERAGE_UNKNOWN" in f.codes) == ("undetermined", True)


def test_an_acled_strike_and_a_report_stating_the_same_direction_agree(
    agreement: Agreement, tmp_path: Path
) -> None:
    acled = _acled(
        tmp_path, event_date="2016-09-15", event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack", actor1="Military Forces of Syria (2000-)",
        actor2="Civilians (Syria)",
    )  # fmt: skip
    report = _report(
        tmp_path, category="ATK.IND", time={"from": "2016-09-15", "until": "2016-09-15"},
        actors=[{"name": "Government of Syria", "role": "perpetrator"}, {"name": "Civilians", "role": "target"}],
    )  # fmt: skip
    a, r = evaluate(agreement, acled), evaluate(agreement, report)
    assert (
        (a.qualification, a.bearers) == (r.qualification, r.bearers) == ("violation", ("SYR_GOV",))
    )


# 5. restricted airspace uses the zone's geometry --------------------------------------------------
EAST_ALEPPO = (
    "geometry: {type: Polygon, coordinates: [[[37.15, 36.17], [37.22, 36.17], [37.22, 36.24],"
    " [37.15, 36.24], [37.15, 36.17]]]}\n      status: approximate\n"
    '      method: "a test box over eastern Aleppo"'
)


@pytest.fixture(scope="module")
def airspace() -> Agreement:
    # the designated areas delineated (as the JIC was to do) and the flight ban in force
    agreement = _variant("      status: unpublished\n      note: \"To be delineated",
                         "      " + EAST_ALEPPO + "\n      note: \"To be delineated")  # fmt: skip
    assert agreement.zone("designated_areas").geometry is not None
    from dataclasses import replace

    terms = tuple(replace(t, phases=("cessation",)) if t.id == "O7_syaaf_no_combat_flights" else t
                  for t in agreement.terms)  # fmt: skip
    return replace(agreement, terms=terms)


@pytest.mark.parametrize(
    ("lat", "lon", "radius", "qualification", "code"),
    [
        (36.20, 37.19, 500, "violation", None),  # inside eastern Aleppo
        (35.13, 36.75, 500, "not_violation", "NV.OUTSIDE_ZONE"),  # Hama, about 130 km away
        (36.20, 37.15, 3000, "undetermined", "UNDET.SPATIAL"),  # on the edge, ±3 km
    ],
)
def test_a_flight_is_judged_against_the_restricted_area(
    airspace: Agreement, tmp_path: Path, lat: float, lon: float, radius: float,
    qualification: str, code: str | None,
) -> None:  # fmt: skip
    flight = _report(
        tmp_path, category="AIR.FLIGHT",
        place={"name": "flight", "lat": lat, "lon": lon, "radius_m": radius, "precision": 1},
        actors=[{"name": "Syrian Arab Air Force", "role": "perpetrator"}],
    )  # fmt: skip
    f = evaluate(airspace, flight)
    assert f.qualification == qualification, f.explanation
    if code:
        assert code in f.codes
    else:
        assert "O7_syaaf_no_combat_flights" in f.obligations
        assert f.bearers == ("SyAAF",)
    assert any(z["zone"] == "designated_areas" for z in f.zones)


# 6. an unknown weapon class is undetermined -------------------------------------------------------
def test_an_unknown_weapon_class_is_undetermined_not_cleared(
    agreement: Agreement, tmp_path: Path
) -> None:
    from ceasefire.geo.zones import load_reference_line
    from tests.test_zones import offset_point

    lon, lat, _, _ = offset_point(load_reference_line(), 2000)
    position = _report(
        tmp_path, category="POS.BAND", sub_category="thermobaric_launcher",
        place={"name": "Castello Road area", "lat": lat, "lon": lon, "radius_m": 100, "precision": 1},
        actors=[{"name": "Syrian Arab Army", "role": "perpetrator"}],
    )  # fmt: skip
    f = evaluate(agreement, position)
    assert f.qualification == "undetermined"
    assert "UNDET.WEAPON_CLASS" in f.codes


# 7. admin areas compare by P-code ---------------------------------------------------------------
def test_a_zone_without_geometry_is_placed_by_p_code_not_by_name(tmp_path: Path) -> None:
    from dataclasses import replace

    agreement = _variant("      status: unpublished\n      note: \"To be delineated",
                         "      status: unpublished\n      within: [Idlib Governorate]\n      note: \"To be delineated")  # fmt: skip
    agreement = replace(agreement, terms=tuple(
        replace(t, phases=("cessation",)) if t.id == "O7_syaaf_no_combat_flights" else t for t in agreement.terms
    ))  # fmt: skip

    def flight(admin1: str, lat: float, lon: float) -> Finding:
        return evaluate(agreement, _report(
            tmp_path, category="AIR.FLIGHT",
            place={"name": "x", "lat": lat, "lon": lon, "admin1": admin1, "radius_m": 1000, "precision": 1},
            actors=[{"name": "Syrian Arab Air Force", "role": "perpetrator"}],
        ))  # fmt: skip

    idleb = flight("Idleb", 35.93, 36.63)  # ACLED's spelling; the file says "Idlib Governorate"
    assert idleb.qualification == "undetermined"
    assert "UNDET.ZONE_UNMAPPED" in idleb.codes
    assert {"zone": "designated_areas", "result": "unknown"}.items() <= idleb.zones[0].items()
    aleppo = flight("Aleppo", 36.20, 37.16)
    assert aleppo.qualification == "not_violation"
    assert "NV.OUTSIDE_ZONE" in aleppo.codes


# 8. a decision is validated when proposed ---------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "subject", "until", "message"),
    [
        ("extend_phase", "cesation", "2016-09-21T19:00+03:00", "did you mean 'cessation'"),
        ("extend_phase", "cessation", None, "needs 'until'"),
        ("extend_the_phase", "cessation", "2016-09-21T19:00+03:00", "is not a decision kind"),
        ("reset_clock", "C_reduced_violence", None, "is not a consecutive-days condition"),
    ],
)
def test_a_decision_is_refused_when_proposed(
    agreement: Agreement, kind: str, subject: str, until: str | None, message: str
) -> None:
    from ceasefire.governance import add_user, authenticate, propose

    with Store.memory() as store:
        add_user(store, "admin", "admin", None, "test", agreement)
        token = add_user(store, "us", "guarantor", "USA", "admin", agreement)
        with pytest.raises(ConfigError, match=message):
            propose(store, authenticate(store, token), kind, subject, "", datetime(2016, 9, 19, 18, tzinfo=TZ),
                    datetime.fromisoformat(until) if until else None, agreement=agreement)  # fmt: skip
        (count,) = store.conn.execute("SELECT count(*) FROM decisions").fetchone()
        assert count == 0  # nothing recorded


# bearers: a term binds only its own bearers --------------------------------------------------------
def test_a_term_binding_russian_forces_is_not_cited_against_the_government(tmp_path: Path) -> None:
    agreement = _variant(
        "  decisions:\n",
        "    - id: O8_vks_no_strikes_on_participants\n      title: \"VKS stop attacks on participating groups\"\n"
        "      type: prohibition\n      action: attack\n      scope: {bearers: [RU_VKS], when: [cessation]}\n\n"
        "  decisions:\n",
    )  # fmt: skip
    strike = _acled(
        tmp_path, event_date="2016-09-15", event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike", actor1="Air Force of Syria (2000-)", actor2="Civilians (Syria)",
    )  # fmt: skip
    f = evaluate(agreement, strike)
    assert f.qualification == "violation"
    assert "O8_vks_no_strikes_on_participants" not in f.obligations
    assert f.bearers == ("SyAAF",)
    vks = _acled(
        tmp_path, event_date="2016-09-15", event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike", actor1="Military Forces of Russia (2000-)", actor2="Civilians (Syria)",
    )  # fmt: skip
    g = evaluate(agreement, vks)
    assert "O8_vks_no_strikes_on_participants" in g.obligations
    assert g.bearers == ("RU_VKS",)
