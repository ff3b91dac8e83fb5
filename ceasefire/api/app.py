"""``ceasefire serve``: the HTTP API.

Every endpoint names the permission it needs (one table: :data:`ENDPOINT_PERMISSIONS`); every error
has one JSON shape, ``{"error": {"code": …, "message": …}}``; an acknowledged report is committed
(SQLite WAL, synchronous=NORMAL … FULL for intake) before the response, and a retry with the same
``Idempotency-Key`` returns the first response instead of storing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ceasefire.agreements.loader import bundled_agreement_path, load_bundled_agreement
from ceasefire.api.intake import IntakeItem, IntakeWriter
from ceasefire.api.security import BodyTooLargeError, SecurityHeaders, read_body
from ceasefire.errors import AccessDeniedError, CeasefireError, NotFoundError
from ceasefire.governance import Account, authenticate
from ceasefire.intake.common import BadField
from ceasefire.intake.jsonlines import parse_report_json
from ceasefire.store import Store, audit

__all__ = ["ENDPOINT_PERMISSIONS", "MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1_000_000
MAX_IDEMPOTENCY_KEY = 200  # characters
RATE_PER_SECOND = 200.0  # per token (or per client address without one)
RATE_BURST = 400.0


class _Buckets:
    """Token buckets per caller: a burst, then a steady rate; over it → 429 with Retry-After."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.state: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, who: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.state.get(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self.state[who] = (tokens - 1.0, now)
                return 0.0
            self.state[who] = (tokens, now)
            return (1.0 - tokens) / self.rate


class _RateLimit:
    """Pure ASGI middleware (no per-request task, unlike ``@app.middleware``): one token bucket
    per token, or per client host without one; over it → 429 with Retry-After."""

    def __init__(self, app: Any, buckets: _Buckets) -> None:
        self.app, self.buckets = app, buckets

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        auth = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), b"")
        client = scope.get("client") or ("unknown", 0)
        who = "token:" + hashlib.sha256(auth).hexdigest() if auth else f"addr:{client[0]}"
        wait = self.buckets.take(who)
        if wait > 0:
            response = _error(429, "rate_limited", f"Too many requests; retry in {wait:.2f} s.")
            response.headers["Retry-After"] = str(max(1, round(wait)))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class DecisionIn(BaseModel):
    """A proposed joint decision (times are ISO 8601 with a UTC offset)."""

    agreement: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=50)
    subject: str = Field(min_length=1, max_length=200)
    effective: str = Field(min_length=1, max_length=64)
    until: str | None = Field(default=None, max_length=64)
    decided_at: str | None = Field(default=None, max_length=64)
    text: str = Field(default="", max_length=10_000)
    value: str | None = Field(
        default=None,
        max_length=50,
        description="The new coverage (change_coverage) or the qualification (publish_determination).",
    )


PUBLIC = "public"
DEFAULT_AGREEMENT = (
    "syria-2016-09"  # what the dashboard opens unless told otherwise (serve --agreement)
)
# endpoint → roles allowed (the one permission table of the API; a test walks every pair)
ENDPOINT_PERMISSIONS: dict[str, frozenset[str]] = {
    "GET /status": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /findings": frozenset({"admin", "guarantor", "monitor"}),
    "POST /reports": frozenset({"guarantor", "party", "monitor"}),
    "GET /audit/verify": frozenset({"admin", "guarantor", "monitor"}),
    "GET /reports": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "POST /reports/{key}/release": frozenset({"guarantor"}),
    "POST /decisions": frozenset({"guarantor"}),
    "POST /decisions/{decision_id}/approve": frozenset({"guarantor"}),
    "GET /agreements/{name}": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /incidents": frozenset({"admin", "guarantor", "monitor"}),
    "GET /reports/daily": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /control/at": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /exports/{layout}": frozenset({"admin", "guarantor", "monitor"}),
    # the dashboard (ceasefire/dashboard): open to every role, each answer filtered for the caller
    # (a party complaint not yet released reaches only its cell, the guarantors, monitors, admins)
    "GET /whoami": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /zones": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /humanitarian": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /decisions": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /control/map": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /incidents/{key}": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /scorecards": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /dashboard/layer": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /dashboard/day": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /dashboard/report": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /basemap/{layer}": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
}
# who sees a report: its own cell, the guarantors and the monitors; anyone once released;
# reporter identities never to a party (other than its own cell) nor to the public
_SEES_ALL = frozenset({"admin", "guarantor", "monitor"})


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def create_app(workspace: Path, tz: ZoneInfo | None = None, rate: float = RATE_PER_SECOND,
               burst: float = RATE_BURST, database_url: str | None = None,
               default_agreement: str = DEFAULT_AGREEMENT) -> FastAPI:  # fmt: skip
    tz = tz or ZoneInfo("Asia/Damascus")
    buckets = _Buckets(rate, burst)
    app = FastAPI(
        title="ceasefire", version="0.1.0", description="Ceasefire monitoring and verification API."
    )

    def store() -> Store:
        return Store(workspace, actor="api", database_url=database_url)

    def account(db: Store, authorization: str | None) -> Account | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AccessDeniedError("Use 'Authorization: Bearer <token>'.")
        return authenticate(db, token)

    def require(endpoint: str, who: Account | None) -> None:
        role = who.role if who else PUBLIC
        if role not in ENDPOINT_PERMISSIONS[endpoint]:
            if who is None:
                raise AccessDeniedError("This endpoint needs an account token.")
            raise AccessDeniedError(f"The {role} role may not call {endpoint}.")

    app.add_middleware(_RateLimit, buckets=buckets)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries them, a 429 too

    @app.exception_handler(CeasefireError)
    async def _ceasefire_error(request: Request, exc: CeasefireError) -> JSONResponse:
        if isinstance(exc, AccessDeniedError):
            status = 401 if "needs an account" in str(exc) or "not valid" in str(exc) else 403
            return _error(status, "access_denied", str(exc))
        if isinstance(exc, NotFoundError):
            return _error(404, "not_found", str(exc))
        return _error(400, "bad_request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.get("/status")
    def status(
        agreement: str, at: str, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        from ceasefire.service import status_from_store

        with store() as db:
            require("GET /status", account(db, authorization))
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                return _error(422, "invalid_request", f"at: {at!r} is not an ISO 8601 date-time")  # type: ignore[return-value]
            when = when if when.tzinfo else when.replace(tzinfo=tz)
            return status_from_store(db, load_bundled_agreement(agreement), when)

    @app.get("/findings")
    def findings(
        agreement: str, as_of: str | None = None, authorization: str | None = Header(default=None)
    ) -> list[dict[str, Any]]:
        from ceasefire.service import evaluate_store

        when = None
        if as_of is not None:
            try:
                when = datetime.fromisoformat(as_of)
            except ValueError:
                return _error(
                    422, "invalid_request", f"as_of: {as_of!r} is not an ISO 8601 date-time"
                )  # type: ignore[return-value]
            when = when if when.tzinfo else when.replace(tzinfo=tz)
        with store() as db:
            require("GET /findings", account(db, authorization))
            pairs = evaluate_store(db, load_bundled_agreement(agreement), when)
        return [f.to_json() for _, f in sorted(pairs, key=lambda p: p[0].key)]

    writer = IntakeWriter(store)

    @app.post("/reports", status_code=201)
    async def reports(request: Request, authorization: str | None = Header(default=None),
                      idempotency_key: str | None = Header(default=None)) -> JSONResponse:  # fmt: skip
        """Durable intake: the response comes after the commit (group commit, see api/intake.py).
        The caller is authenticated before the body is read, and the body is read no further than
        its limit; the report is validated at the door (ceasefire/intake/formats.py)."""
        if not authorization:
            raise AccessDeniedError("This endpoint needs an account token.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AccessDeniedError("Use 'Authorization: Bearer <token>'.")
        await run_in_threadpool(_may_post, token)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            return _error(422, "invalid_request",
                          f"Idempotency-Key: give 1 to {MAX_IDEMPOTENCY_KEY} characters.")  # fmt: skip
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except BodyTooLargeError:
            return _error(413, "too_large", f"A report is at most {MAX_BODY_BYTES // 1000} kB.")
        try:
            record, validated = parse_report_json(body, tz)
        except BadField as exc:
            code = "invalid_json" if exc.field == "(json)" else "invalid_report"
            return _error(400 if code == "invalid_json" else 422, code, f"{exc.field}: {exc}")
        digest = hashlib.sha256(
            validated.model_dump_json(by_alias=True).encode("utf-8")
        ).hexdigest()
        item = IntakeItem(token, lambda who: require("POST /reports", who), idempotency_key, record,
                          digest)  # fmt: skip
        try:
            status, response = await asyncio.wrap_future(writer.submit(item))
        except CeasefireError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: not stored, say so
            return _error(503, "not_stored", f"The report was not stored ({type(exc).__name__}); "
                          "retry with the same Idempotency-Key.")  # fmt: skip
        return JSONResponse(status_code=status, content=response)

    def _may_post(token: str) -> None:
        """Before any of the body is read: a valid token of a role that may post (the writer
        checks again inside its transaction, for an account disabled meanwhile)."""
        with store() as db:
            require("POST /reports", authenticate(db, token))

    @app.get("/reports")
    def list_reports(authorization: str | None = Header(default=None)) -> list[dict[str, Any]]:
        with store() as db:
            who = account(db, authorization)
            require("GET /reports", who)
            role = who.role if who else PUBLIC
            rows = db.conn.execute(
                "SELECT m.key, m.party, m.released_at, i.body FROM report_meta m JOIN incidents i ON i.key = m.key "
                "ORDER BY m.key"
            ).fetchall()
        out = []
        for key, party, released, body in rows:
            own = who is not None and who.role == "party" and who.party == party
            if not (role in _SEES_ALL or own or released):
                continue
            record = db.readable_body("incident", key, body)
            if record is None:
                continue
            item = {"key": key, "party": party, "released_at": released, "category": record["category"],
                    "window": record["window"], "place": record["place"], "actors": record["actors"]}  # fmt: skip
            if role in _SEES_ALL or own:
                item["sources"] = record["sources"]  # the reporter, as the report named it
            out.append(item)
        return out

    @app.post("/reports/{key}/release")
    def release(key: str, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        with store() as db:
            who = account(db, authorization)
            require("POST /reports/{key}/release", who)
            assert who is not None
            with db.transaction() as conn:
                changed = conn.execute(
                    "UPDATE report_meta SET released_at = coalesce(released_at, ?) WHERE key = ?",
                    (datetime.now(UTC).isoformat(timespec="seconds"), key),
                ).rowcount
                if not changed:
                    raise NotFoundError(f"No report {key!r}.")
                audit.append(conn, who.name, "reports.release", key, {"by_guarantor": who.party})
        return {"key": key, "released": True}

    @app.post("/decisions", status_code=201)
    def propose_decision(body: DecisionIn, authorization: str | None = Header(default=None)) -> Any:
        """Propose a joint decision (guarantors); the proposer's approval is recorded with it and
        counts once. It takes effect only with one approval from each guarantor, by two accounts."""
        from ceasefire.governance import decision_status, propose

        agreement_obj = load_bundled_agreement(body.agreement)
        times: list[datetime | None] = []
        for name in ("effective", "until", "decided_at"):
            value = getattr(body, name)
            if value is None:
                times.append(None)
                continue
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                return _error(
                    422, "invalid_request", f"{name}: {value!r} is not an ISO 8601 date-time"
                )
            if when.tzinfo is None:
                return _error(422, "invalid_request", f"{name}: give a UTC offset (e.g. +03:00)")
            times.append(when)
        with store() as db:
            who = account(db, authorization)
            require("POST /decisions", who)
            assert who is not None
            assert times[0] is not None
            decision_id = propose(db, who, body.kind, body.subject, body.text, times[0], times[1],
                                  times[2], agreement=agreement_obj, value=body.value)  # fmt: skip
            return JSONResponse(status_code=201,
                                content=decision_status(db, decision_id, agreement_obj))  # fmt: skip

    @app.post("/decisions/{decision_id}/approve")
    def approve_decision(
        decision_id: str, agreement: str, authorization: str | None = Header(default=None)
    ) -> Any:
        """Approve as the guarantor the account speaks for; when this approval makes the decision
        take effect, the decision and clock alerts go out."""
        from ceasefire import service

        agreement_obj = load_bundled_agreement(agreement)
        with store() as db:
            who = account(db, authorization)
            require("POST /decisions/{decision_id}/approve", who)
            assert who is not None
            return service.approve_decision(db, who, decision_id, agreement_obj)

    @app.get("/agreements/{name}")
    def agreement_file(name: str, authorization: str | None = Header(default=None)) -> Response:
        with store() as db:
            require("GET /agreements/{name}", account(db, authorization))
        return Response(
            bundled_agreement_path(name).read_text(encoding="utf-8"), media_type="application/yaml"
        )

    @app.get("/incidents")
    def incidents(
        limit: int = 100, offset: int = 0, bbox: str | None = None,
        authorization: str | None = Header(default=None),
    ) -> Any:  # fmt: skip
        """Incidents in key order, paged; ``bbox=min_lon,min_lat,max_lon,max_lat`` keeps those whose
        point lies in the box (PostGIS index on PostgreSQL)."""
        if not (1 <= limit <= 1000) or offset < 0:
            return _error(422, "invalid_request", "limit must be 1..1000 and offset ≥ 0")
        box: list[float] = []
        if bbox is not None:
            try:
                box = [float(v) for v in bbox.split(",")]
            except ValueError:
                box = []
            if (len(box) != 4 or not all(math.isfinite(v) for v in box)
                    or not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90)):  # fmt: skip
                return _error(422, "invalid_request",
                              "bbox: give min_lon,min_lat,max_lon,max_lat in degrees, min ≤ max")  # fmt: skip
        with store() as db:
            require("GET /incidents", account(db, authorization))
            if bbox is None:
                return db.incident_bodies(limit, offset)
            keys = db.incident_keys_in_box(*box)[offset : offset + limit]
            found = [db.incident(key) for key in keys]
            return [i.to_json() for i in found if i is not None]

    @app.get("/reports/daily")
    def daily(agreement: str, date: str, authorization: str | None = Header(default=None)) -> Any:
        from datetime import date as date_type

        from ceasefire.reports import render_json
        from ceasefire.service import replay_from_store

        try:
            day = date_type.fromisoformat(date)
        except ValueError:
            return _error(422, "invalid_request", f"date: {date!r} is not YYYY-MM-DD")
        with store() as db:
            require("GET /reports/daily", account(db, authorization))
            data = replay_from_store(db, load_bundled_agreement(agreement)).report(day)
        return Response(render_json(data), media_type="application/json")

    @app.get("/control/at")
    def control_at(
        date: str, lat: float, lon: float, authorization: str | None = Header(default=None)
    ) -> Any:
        from datetime import date as date_type

        from ceasefire.geo.control_store import workspace_control

        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return _error(422, "invalid_request", "lat/lon out of range")
        try:
            day = date_type.fromisoformat(date)
        except ValueError:
            return _error(422, "invalid_request", f"date: {date!r} is not YYYY-MM-DD")
        with store() as db:
            require("GET /control/at", account(db, authorization))
            answer = workspace_control(db, tz).at(lat, lon, day)
        return {
            "status": answer.status, "actors": list(answer.actors), "area_id": answer.area_id,
            "area_name": answer.area_name, "sources": list(answer.sources), "reason": answer.reason,
            "valid_from": answer.valid_from.isoformat() if answer.valid_from else None,
            "valid_to": answer.valid_to.isoformat() if answer.valid_to else None,
        }  # fmt: skip

    @app.get("/exports/{layout}")
    def export(
        layout: str, agreement: str | None = None, authorization: str | None = Header(default=None)
    ) -> Any:
        import io

        from ceasefire.export.tables import (
            geojson_feature_collection,
            write_acled_csv,
            write_geojson,
            write_hxl_csv,
            write_ucdp_csv,
        )

        if layout not in ("ucdp", "acled", "geojson", "hxl", "parquet"):
            return _error(404, "not_found",
                          f"No export {layout!r}: ucdp, acled, geojson, hxl or parquet.")  # fmt: skip
        findings = None
        with store() as db:
            require("GET /exports/{layout}", account(db, authorization))
            rows = sorted(db.incidents(), key=lambda i: i.key)
            if agreement:
                from ceasefire.service import judge_for

                judge = judge_for(db, load_bundled_agreement(agreement), rows)
                findings = {f.incident: f.to_json() for f in judge.findings(rows)}
        if layout == "parquet":
            from ceasefire.export.parquet import write_parquet

            data = io.BytesIO()
            write_parquet(rows, data, findings)
            return Response(data.getvalue(), media_type="application/vnd.apache.parquet")
        buf = io.StringIO()
        if layout == "ucdp":
            write_ucdp_csv(rows, buf)
        elif layout == "acled":
            write_acled_csv(rows, buf)
        elif layout == "hxl":
            write_hxl_csv(rows, buf, findings)
        else:
            write_geojson(geojson_feature_collection(rows, findings), buf)
        media = "application/geo+json" if layout == "geojson" else "text/csv"
        return Response(buf.getvalue(), media_type=media)

    @app.get("/audit/verify")
    def audit_verify(authorization: str | None = Header(default=None)) -> dict[str, Any]:
        with store() as db:
            require("GET /audit/verify", account(db, authorization))
            problems = audit.verify(db.conn)
            seq, digest = audit.head(db.conn)
        return {
            "intact": not problems,
            "problems": [str(p) for p in problems],
            "head": f"{seq}:{digest}",
        }

    from ceasefire.dashboard import register as register_dashboard

    register_dashboard(app, tz, store, account, require, default_agreement)
    return app
