"""Schemathesis against the OpenAPI description: generated requests find no server error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ceasefire.api.app import create_app
from ceasefire.governance import add_user
from ceasefire.service import import_file
from ceasefire.store import Store
from tests.conftest import TZ, UCDP_SEPT

_WS = Path(__import__("tempfile").mkdtemp(prefix="ceasefire-fuzz-")) / "ws"
with Store(_WS) as _store:
    import_file(_store, "ucdp", UCDP_SEPT, TZ)
    add_user(_store, "root", "admin", None, "bootstrap")
    _TOKEN = add_user(_store, "us-desk", "guarantor", "USA", "root")
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_WS, TZ))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: Any) -> None:
    for headers in ({}, {"Authorization": f"Bearer {_TOKEN}"}):
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            case.method,
            case.path,
            response.status_code,
            response.text[:300],
        )
