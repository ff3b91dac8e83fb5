"""Territory inside findings: who held the ground, within the place's precision, and ground held
only by an excluded group."""

from __future__ import annotations

import dataclasses
from datetime import date

from shapely.geometry import box

from ceasefire.compliance.engine import evaluate, evaluate_all
from ceasefire.geo.control import ControlMap, ControlVersion, load_aleppo_2016
from ceasefire.model.agreement import Agreement
from ceasefire.model.incidents import Incident
from ceasefire.model.timewindow import Precision, local_day_window
from tests.conftest import STORELESS, TZ

pytestmark = STORELESS


def test_ucdp_aleppo_events_carry_the_ground_control(
    agreement: Agreement, sept_incidents: list[Incident]
) -> None:
    findings = {
        f.incident: f for f in evaluate_all(agreement, sept_incidents, control=load_aleppo_2016())
    }
    aleppo = [i for i in sept_incidents if i.place.admin1 == "Aleppo Governorate"]
    assert len(aleppo) == 119
    with_side = [i.key for i in aleppo if (findings[i.key].control or {}).get("at_coded_point")]
    # 27 = the independent count in tests/test_control.py (points inside a labelled neighbourhood)
    assert len(with_side) == 27
    ramouseh = findings["ucdp:227922"].control
    assert ramouseh is not None
    assert ramouseh["at_coded_point"] == {"status": "held", "actors": ["SYR_GOV"], "area": "N0226"}
    # the event's ±1 km also covers contested ground: the overall answer is not guessed
    assert ramouseh["status"] == "uncertain"
    # UCDP's "Aleppo town" is the city's centre point: never read as one neighbourhood's control
    centre = next(
        i for i in aleppo
        if i.place.name == "Aleppo town" and i.place.precision == 1 and i.window.start.date() >= date(2016, 9, 12)
    )  # fmt: skip
    assert findings[centre.key].control["status"] == "uncertain"  # type: ignore[index]
    # outside the mapped city there is no control data: said, not guessed
    far = next(i for i in sept_incidents if i.place.admin1 == "Deir ez Zor Governorate")
    assert findings[far.key].control["status"] == "unknown"  # type: ignore[index]


def test_ground_held_only_by_an_excluded_group(
    agreement: Agreement, sept_incidents: list[Incident]
) -> None:
    clash = next(
        i for i in sept_incidents if i.key == "ucdp:227762"
    )  # Gov vs insurgents, 14 Sept, Homs
    assert clash.place.lat is not None
    assert clash.place.lon is not None
    day = date(2016, 9, 15)
    moved = dataclasses.replace(
        clash, window=local_day_window(day, day, TZ, Precision.DAY, str(day))
    )
    # UCDP places this clash within 25 km (where_prec 2): the synthetic area must hold that disc
    lon, lat = clash.place.lon, clash.place.lat
    area = box(lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5)
    synthetic = ControlMap([
        ControlVersion("TEST1", "geojson", "synthetic JFS-held area", area, ("JFS",), "held",
                       date(2016, 9, 1), date(2016, 9, 30), ("synthetic",), "high", "test"),
    ])  # fmt: skip
    assert evaluate(agreement, moved).qualification == "undetermined"
    finding = evaluate(agreement, moved, control=synthetic)
    assert finding.qualification == "not_violation"
    assert "NV.EXCLUDED_GROUND" in finding.codes
    held_by_rebels = ControlMap(
        [dataclasses.replace(synthetic.versions[0], actors=("SYR_INSURGENTS",), version=0)]
    )
    assert evaluate(agreement, moved, control=held_by_rebels).qualification == "undetermined"


def test_a_disc_that_reaches_the_mapped_ground_is_never_skipped() -> None:
    """A disc of 1 km touches an area whose edge is 0.99 km away (east, north, and in the
    corner's direction) and misses one 1.01 km away; repeated places give the same answer."""
    from shapely.geometry import Point

    from ceasefire.compliance.territory import control_at_incident
    from ceasefire.geo.zones import LocalFrame
    from ceasefire.model.incidents import Place

    lon0, lat0 = 37.0, 36.2
    frame = LocalFrame(lon0=lon0, lat0=lat0)
    day = date(2016, 9, 15)

    def held(edge_m: float, corner: bool = False) -> str:
        # the area lies beyond edge_m to the east (and, for the corner, beyond edge_m north too)
        x0 = frame.to_wgs84(Point(edge_m, 0.0)).x
        y0 = frame.to_wgs84(Point(0.0, edge_m if corner else -50_000.0)).y
        area = box(x0, y0, lon0 + 1.0, lat0 + 1.0)
        control = ControlMap([
            ControlVersion("T", "geojson", "synthetic", area, ("SYR_GOV",), "held",
                           date(2016, 9, 1), None, ("synthetic",), "high", "test"),
        ])  # fmt: skip
        incident = Incident(
            source_system="report", source_id="p", category="X", sub_category="", actors=(),
            window=local_day_window(day, day, TZ, Precision.DAY, str(day)),
            place=Place(name="a field", lat=lat0, lon=lon0, precision=1, radius_m=1_000.0),
        )  # fmt: skip
        first = control_at_incident(control, incident, TZ)
        assert control_at_incident(control, incident, TZ) == first
        return first.status

    assert held(990.0) == "uncertain"  # reaches the area, and beyond it
    assert held(1_010.0) == "unknown"
    # the corner is 0.99 km east and north: the disc's nearest point is 1.4 km away
    assert held(990.0, corner=True) == "unknown"
    assert held(700.0, corner=True) == "uncertain"  # 0.99 km along the diagonal
