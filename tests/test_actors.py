"""Actor registry: dated names, lineage, coalitions, Arabic names."""

from __future__ import annotations

from datetime import date

import pytest

from ceasefire.agreements.loader import default_registry
from ceasefire.model.actors import normalise_name
from tests.conftest import STORELESS

pytestmark = STORELESS


@pytest.mark.parametrize(
    ("name", "on", "expected", "method"),
    [
        ("Jabhat al-Nusra", date(2016, 3, 1), ("JN",), "alias"),
        ("Jabhat al-Nusra", date(2016, 9, 14), ("JFS",), "lineage"),  # renamed 28 Jul 2016
        ("Nusra Front", date(2017, 6, 1), ("HTS",), "lineage"),  # merged 28 Jan 2017
        ("Hay'at Tahrir al-Sham", date(2016, 9, 14), ("JFS",), "lineage"),
        ("جبهة فتح الشام", date(2016, 9, 14), ("JFS",), "alias"),
        ("Daesh", date(2016, 9, 14), ("ISIS",), "alias"),
        ("Sham Legion", date(2016, 9, 14), ("FAYLAQ",), "alias"),
        ("Jaish al-Islam", date(2016, 9, 14), ("JAYSH_ISLAM",), "alias"),
    ],
)
def test_resolve_names_at_a_date(
    name: str, on: date, expected: tuple[str, ...], method: str
) -> None:
    result = default_registry().resolve(name, on)
    assert result.actor_ids == expected
    assert result.method == method
    assert 0.5 < result.confidence <= 1.0


def test_ucdp_side_names_and_coalitions() -> None:
    registry = default_registry()
    on = date(2016, 9, 14)
    assert registry.resolve_list("Government of Syria", on, "ucdp").actor_ids == ("SYR_GOV",)
    assert registry.resolve_list("IS", on, "ucdp").actor_ids == ("ISIS",)
    assert registry.resolve_list("Civilians", on, "ucdp").actor_ids == ("CIVILIANS",)
    coalition = registry.resolve_list(
        "Ahrar al-Sham, Jabhat Fateh al-Sham, Jaysh al-Islam, Jaysh Asoud al-Sharqiya, "
        "Martyr Lieutenant Ahmed Abdou Brigades, Rahman Corps",
        on,
        "ucdp",
    )
    assert coalition.actor_ids == (
        "AHRAR",
        "JFS",
        "JAYSH_ISLAM",
        "ASOUD_SHARQIYA",
        "AHMED_ABDOU",
        "RAHMAN",
    )
    assert coalition.method == "member-split"


def test_unknown_and_partial_names_are_not_guessed() -> None:
    registry = default_registry()
    assert not registry.resolve("Brigade of Nobody", date(2016, 9, 14)).resolved
    partial = registry.resolve_list("Ahrar al-Sham, Brigade of Nobody", date(2016, 9, 14), "ucdp")
    assert partial.actor_ids == ("AHRAR",)
    assert partial.confidence < 1.0
    assert partial.method == "member-split-partial"


def test_normalise_folds_spellings() -> None:
    assert normalise_name("Jabhat Fateh al-Sham") == normalise_name("JABHAT FATEH AL SHAM")
    assert normalise_name("Hay’at Tahrir al-Sham") == normalise_name("Hayat Tahrir al Sham")
