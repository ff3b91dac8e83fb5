"""Docs tested against the code, and the curated public API."""

from __future__ import annotations

from pathlib import Path

import ceasefire
from ceasefire.compliance.engine import REASON_CODES
from tests.conftest import ROOT


def test_every_reason_code_is_documented() -> None:
    text = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    missing = [code for code in REASON_CODES if f"### {code}\n" not in text]
    assert not missing


def test_engine_emits_only_documented_codes() -> None:
    import re

    from ceasefire.compliance.rules import registered_rules

    folder = ROOT / "ceasefire" / "compliance"
    source = "".join(
        (folder / name).read_text(encoding="utf-8") for name in ("rules.py", "bands.py")
    )
    emitted = set(re.findall(r'"((?:NV|UNDET|OOS|POS|DET|SEP)\.[A-Z_]+)"', source))
    assert {"NV.NO_TERM", "NV.OUTSIDE_ZONE", "UNDET.SELF_DEFENCE", "DET.RECORDED"} <= emitted
    assert emitted <= set(REASON_CODES)
    declared = {code for spec in registered_rules() for code in spec.codes}
    assert emitted <= declared | {"SEP.COMMINGLE"}, emitted - declared


def test_every_rule_is_documented_in_order() -> None:
    from ceasefire.compliance.rules import registered_rules

    text = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    names = [spec.name for spec in registered_rules()]
    positions = [text.find(f"### {name}\n") for name in names]
    assert all(p >= 0 for p in positions), [
        n for n, p in zip(names, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)  # documented in the order they run
    assert all(spec.doc for spec in registered_rules())


def test_public_api_is_sorted_and_importable() -> None:
    assert ceasefire.__all__ == sorted(ceasefire.__all__)
    for name in ceasefire.__all__:
        assert hasattr(ceasefire, name), name


def test_readme_shows_the_two_commands() -> None:
    readme = Path(ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/demo" in readme
    assert "scripts/test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in ci


def test_pipeline_registry_matches_its_snapshot_and_docs() -> None:
    import json

    from ceasefire.pipeline.registry import registered

    snapshot = json.loads(
        (ROOT / "tests" / "data" / "registry_snapshot.json").read_text(encoding="utf-8")
    )
    current = registered()
    assert current == snapshot, (
        "a stage was renamed or changed its requires/assigns: update the snapshot"
    )
    text = (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
    assert all(f"### {name}\n" in text for name in current)


def test_every_endpoint_is_documented_with_its_roles() -> None:
    from ceasefire.api.app import ENDPOINT_PERMISSIONS

    text = (ROOT / "docs" / "server.md").read_text(encoding="utf-8")
    table = text.split("<!-- endpoints:", 1)[1].split("\n\n", 1)[0]
    documented = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert documented == set(ENDPOINT_PERMISSIONS)
    everyone = {"admin", "guarantor", "party", "monitor", "public"}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        endpoint, roles = line.split("`")[1], line.split("|")[2]
        allowed = set(ENDPOINT_PERMISSIONS[endpoint])
        if roles.strip().startswith("everyone"):
            assert allowed == everyone, endpoint
        else:
            named = {r.strip() for r in roles.split("(")[0].split(",")}
            assert named == allowed, endpoint
