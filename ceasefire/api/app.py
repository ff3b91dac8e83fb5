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
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ceasefire import catalogue
from ceasefire.api.backoff import AuthBackoff, FailedAuthBackoff
from ceasefire.api.intake import IntakeItem, IntakeWriter
from ceasefire.api.limits import Buckets, Limiter, RateLimit
from ceasefire.api.security import BodyTooLargeError, SecurityHeaders, read_body
from ceasefire.catalogue import InvalidNameError
from ceasefire.errors import (
    AccessDeniedError,
    AgreementError,
    CeasefireError,
    ConfigError,
    NotFoundError,
)
from ceasefire.governance import Account, authenticate
from ceasefire.intake.common import BadField
from ceasefire.intake.jsonlines import check_party_submission, parse_report_json
from ceasefire.store import Store, audit
from ceasefire.visibility import audience_of

__all__ = ["ENDPOINT_PERMISSIONS", "MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1_000_000
MAX_IDEMPOTENCY_KEY = 200  # characters
RATE_PER_SECOND = 200.0  # per account (or per client address without a valid token)
RATE_BURST = 400.0


class AgreementIn(BaseModel):
    """An agreement to register: its YAML text, and the geometry files it names (name → text)."""

    text: str = Field(min_length=1, max_length=5_000_000)
    files: dict[str, str] = Field(default_factory=dict, max_length=16)


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


class SignatureIn(BaseModel):
    """A guarantor key's signature (base64) of a statement: a decision's (``statement`` in the
    decision's status) or a key change's."""

    signature: str = Field(min_length=1, max_length=200)


class KeyIn(BaseModel):
    """A guarantor's public key (base64 of its 32 raw bytes) and the proof that the caller holds
    it: the key's signature of ``{"guarantor":…,"public_key":…,"statement":"ceasefire.key/1"}``
    (canonical JSON)."""

    public_key: str = Field(min_length=1, max_length=200)
    proof: str = Field(min_length=1, max_length=200)


class ExpiryIn(BaseModel):
    """When a token stops working (ISO 8601 with a UTC offset); none: now (expire) or never
    (rotate)."""

    at: str | None = Field(default=None, max_length=64)


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
    "GET /users": frozenset({"admin"}),
    "POST /users/{name}/disable": frozenset({"admin"}),
    "POST /users/{name}/enable": frozenset({"admin"}),
    "POST /users/{name}/expire": frozenset({"admin"}),
    "POST /users/{name}/rotate": frozenset({"admin"}),
    "GET /keys": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "POST /keys": frozenset({"guarantor"}),
    "POST /keys/changes": frozenset({"guarantor"}),
    "POST /keys/changes/{change_id}/approve": frozenset({"guarantor"}),
    "GET /reports": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "POST /reports/{key}/release": frozenset({"guarantor"}),
    "POST /decisions": frozenset({"guarantor"}),
    "POST /decisions/{decision_id}/approve": frozenset({"guarantor"}),
    "GET /agreements": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "POST /agreements": frozenset({"admin"}),
    "GET /agreements/{name}": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /incidents": frozenset({"admin", "guarantor", "monitor"}),
    # news stories (briefs, counts, conflicts) come from public outlets: every role, each answer
    # filtered for the caller (ceasefire.service.stories_for says how)
    "GET /stories": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
    "GET /stories/{key}": frozenset({"admin", "guarantor", "party", "monitor", PUBLIC}),
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
# who sees what: one rule, ceasefire.visibility (a submission: its own cell, the guarantors, the
# monitors and the admins until released; reporter identities never to another party nor the public)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def create_app(workspace: Path, tz: ZoneInfo | None = None, rate: float = RATE_PER_SECOND,
               burst: float = RATE_BURST, database_url: str | None = None,
               default_agreement: str = DEFAULT_AGREEMENT) -> FastAPI:  # fmt: skip
    from ceasefire.dashboard.views import DashboardCache

    tz = tz or ZoneInfo("Asia/Damascus")
    buckets = Buckets(rate, burst)
    # what the dashboard and the daily report show, built once per store state, agreement and
    # audience (then each report is the day's work only)
    views = DashboardCache()
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

    def account_of(token: str) -> str | None:
        """The account a token belongs to (its bucket), or None (the caller's address)."""
        with store() as db:
            try:
                return f"{authenticate(db, token).id}"
            except AccessDeniedError:
                return None

    app.add_middleware(AuthBackoff, backoff=FailedAuthBackoff())
    app.state.limiter = Limiter(buckets, account_of)
    app.add_middleware(RateLimit, limiter=app.state.limiter)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries them, a 429 too

    @app.exception_handler(CeasefireError)
    async def _ceasefire_error(request: Request, exc: CeasefireError) -> JSONResponse:
        if isinstance(exc, AccessDeniedError):
            status = 401 if "needs an account" in str(exc) or "not valid" in str(exc) else 403
            return _error(status, "access_denied", str(exc))
        if isinstance(exc, NotFoundError):
            return _error(404, "not_found", str(exc))
        if isinstance(exc, InvalidNameError):
            return _error(422, "invalid_request", str(exc))
        if isinstance(exc, AgreementError):
            return _error(422, "invalid_agreement", str(exc))
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
            who = account(db, authorization)
            require("GET /status", who)
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                return _error(422, "invalid_request", f"at: {at!r} is not an ISO 8601 date-time")  # type: ignore[return-value]
            when = when if when.tzinfo else when.replace(tzinfo=tz)
            return status_from_store(db, catalogue.load(db, agreement), when,
                                     audience=audience_of(who))  # fmt: skip

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
            who = account(db, authorization)
            require("GET /findings", who)
            if when is None:  # as known now: the findings the server keeps per store state
                model = views.model(db, catalogue.resolve(db, agreement), audience_of(who))
                pairs = [(i, model.finding(i.key)) for i in model.incidents]
            else:
                pairs = evaluate_store(db, catalogue.load(db, agreement), when,
                                       audience=audience_of(who))  # fmt: skip
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
        role, party = await run_in_threadpool(_may_post, token)
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            return _error(422, "invalid_request",
                          f"Idempotency-Key: give 1 to {MAX_IDEMPOTENCY_KEY} characters.")  # fmt: skip
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except BodyTooLargeError:
            return _error(413, "too_large", f"A report is at most {MAX_BODY_BYTES // 1000} kB.")
        try:
            record, validated = parse_report_json(body, tz)
            if role == "party":
                check_party_submission(validated, party or "")
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

    def _may_post(token: str) -> tuple[str, str | None]:
        """Before any of the body is read: a valid token of a role that may post (the writer
        checks again inside its transaction, for an account disabled meanwhile); its role and
        the party it speaks for."""
        with store() as db:
            who = authenticate(db, token)
            require("POST /reports", who)
            return who.role, who.party

    @app.get("/reports")
    def list_reports(authorization: str | None = Header(default=None)) -> list[dict[str, Any]]:
        """The submissions made to the centre (reports and claims of the parties' cells, the
        monitors and the guarantors) that the caller may see, released or not."""
        from ceasefire.visibility import restrictions

        with store() as db:
            who = account(db, authorization)
            require("GET /reports", who)
            r = restrictions(db, audience_of(who))
            rows = db.conn.execute(
                "SELECT d.key, d.party, d.released_at, i.body, c.body FROM distribution d "
                "LEFT JOIN incidents i ON i.key = d.key "
                "LEFT JOIN records c ON c.kind = 'claim' AND 'claim:' || c.id = d.key "
                "ORDER BY d.key"
            ).fetchall()
        out = []
        for key, party, released, incident, claim in rows:
            if not r.may_see(key) or (incident or claim) is None:
                continue
            record = db.readable_body("incident" if incident is not None else "claim", key,
                                      incident or claim)  # fmt: skip
            if record is None:
                continue
            item: dict[str, Any] = {"key": key, "party": party, "released_at": released}
            if incident is not None:
                item |= {k: record[k] for k in ("category", "window", "place", "actors")}
                if r.sees_reporter(key):
                    item["sources"] = record["sources"]  # the reporter, as the report named it
            else:
                item |= {k: record[k] for k in ("claimant", "quantity", "value", "period")}
            out.append(item)
        return out

    @app.post("/reports/{key}/release")
    def release(key: str, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        with store() as db:
            who = account(db, authorization)
            require("POST /reports/{key}/release", who)
            assert who is not None
            from ceasefire import service

            service.release_submission(db, who, key)
        return {"key": key, "released": True}

    @app.post("/decisions", status_code=201)
    def propose_decision(body: DecisionIn, authorization: str | None = Header(default=None)) -> Any:
        """Propose a joint decision (guarantors); the proposer's approval is recorded with it and
        counts once. It takes effect only with one approval from each guarantor, by two accounts."""
        from ceasefire.governance import decision_status, propose

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
            agreement_obj = catalogue.load(db, body.agreement)
            decision_id = propose(db, who, body.kind, body.subject, body.text, times[0], times[1],
                                  times[2], agreement=agreement_obj, value=body.value)  # fmt: skip
            return JSONResponse(status_code=201,
                                content=decision_status(db, decision_id, agreement_obj))  # fmt: skip

    @app.post("/decisions/{decision_id}/approve")
    def approve_decision(decision_id: str, agreement: str, body: SignatureIn,
                         authorization: str | None = Header(default=None)) -> Any:  # fmt: skip
        """Approve as the guarantor the account speaks for, with that guarantor's key's signature
        of the decision's ``statement``; when this approval makes the decision take effect, the
        decision and clock alerts go out."""
        from ceasefire import service

        with store() as db:
            who = account(db, authorization)
            require("POST /decisions/{decision_id}/approve", who)
            assert who is not None
            agreement_obj = catalogue.load(db, agreement)
            return service.approve_decision(db, who, decision_id, agreement_obj, body.signature)

    @app.get("/users")
    def users_list(authorization: str | None = Header(default=None)) -> Any:
        """Every account: role, party, state (active, disabled, expired), token expiry."""
        from ceasefire.governance import list_users

        with store() as db:
            who = account(db, authorization)
            require("GET /users", who)
            assert who is not None
            return list_users(db, who)

    def _manage(endpoint: str, authorization: str | None) -> tuple[Store, Account]:
        db = store()
        try:
            who = account(db, authorization)
            require(endpoint, who)
        except BaseException:
            db.close()
            raise
        assert who is not None
        return db, who

    def _instant(text: str | None, what: str) -> datetime | None:
        if text is None:
            return None
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{what}: {text!r} is not an ISO 8601 date-time.") from None
        if when.tzinfo is None:
            raise ConfigError(f"{what}: give a UTC offset (e.g. +00:00).")
        return when

    @app.post("/users/{name}/disable")
    def users_disable(name: str, authorization: str | None = Header(default=None)) -> Any:
        """Disable an account: its token stops working at once."""
        from ceasefire.governance import disable_user

        db, who = _manage("POST /users/{name}/disable", authorization)
        with db:
            disable_user(db, who, name)
        return {"name": name, "state": "disabled"}

    @app.post("/users/{name}/enable")
    def users_enable(name: str, authorization: str | None = Header(default=None)) -> Any:
        """Enable a disabled account again."""
        from ceasefire.governance import disable_user

        db, who = _manage("POST /users/{name}/enable", authorization)
        with db:
            disable_user(db, who, name, disabled=False)
        return {"name": name, "state": "enabled"}

    @app.post("/users/{name}/expire")
    def users_expire(name: str, body: ExpiryIn | None = None,
                     authorization: str | None = Header(default=None)) -> Any:  # fmt: skip
        """Set when the account's token stops working (``at``; now by default)."""
        from ceasefire.governance import expire_user

        db, who = _manage("POST /users/{name}/expire", authorization)
        with db:
            when = expire_user(db, who, name, _instant(body.at if body else None, "at"))
        return {"name": name, "expires_at": when}

    @app.post("/users/{name}/rotate")
    def users_rotate(name: str, body: ExpiryIn | None = None,
                     authorization: str | None = Header(default=None)) -> Any:  # fmt: skip
        """A new token for the account (in this answer only); the old one stops working at once.
        ``at``: when the new token expires (never by default)."""
        from ceasefire.governance import rotate_token

        db, who = _manage("POST /users/{name}/rotate", authorization)
        with db:
            token = rotate_token(db, who, name, _instant(body.at if body else None, "at"))
        return {"name": name, "token": token}

    @app.get("/keys")
    def keys_list(authorization: str | None = Header(default=None)) -> Any:
        """Each guarantor's public keys and fingerprints, as the audit chain vouches for them."""
        from ceasefire.governance import list_keys

        with store() as db:
            require("GET /keys", account(db, authorization))
            return list_keys(db)

    @app.post("/keys", status_code=201)
    def keys_register(body: KeyIn, authorization: str | None = Header(default=None)) -> Any:
        """Register the first key of the caller's guarantor (later keys need a key change)."""
        from ceasefire.governance import register_key

        db, who = _manage("POST /keys", authorization)
        with db:
            fp = register_key(db, who, body.public_key, body.proof)
        return JSONResponse(status_code=201, content={"guarantor": who.party, "fingerprint": fp})

    @app.post("/keys/changes", status_code=201)
    def keys_change(body: KeyIn, authorization: str | None = Header(default=None)) -> Any:
        """Propose a new key for the caller's guarantor; the answer's ``statement`` is what every
        guarantor's current key signs (``POST /keys/changes/{change_id}/approve``)."""
        from ceasefire.governance import propose_key_change

        db, who = _manage("POST /keys/changes", authorization)
        with db:
            status = propose_key_change(db, who, body.public_key, body.proof)
        return JSONResponse(status_code=201, content=status)

    @app.post("/keys/changes/{change_id}/approve")
    def keys_change_approve(change_id: int, body: SignatureIn,
                            authorization: str | None = Header(default=None)) -> Any:  # fmt: skip
        """Sign a key change with the caller's guarantor's current key; it takes effect when every
        guarantor's current key has signed."""
        from ceasefire.governance import approve_key_change

        db, who = _manage("POST /keys/changes/{change_id}/approve", authorization)
        with db:
            return approve_key_change(db, who, change_id, body.signature)

    @app.get("/agreements")
    def agreements(authorization: str | None = Header(default=None)) -> list[dict[str, Any]]:
        """The agreements this centre knows: bundled, and registered (every version)."""
        with store() as db:
            require("GET /agreements", account(db, authorization))
            return [e.to_json() for e in catalogue.entries(db)]

    @app.post("/agreements", status_code=201)
    def register_agreement(
        body: AgreementIn, authorization: str | None = Header(default=None)
    ) -> dict[str, Any]:
        """Register an agreement in the workspace (admin; checked as ``agreement check`` does,
        audited; a new version when its id is registered already)."""
        with store() as db:
            who = account(db, authorization)
            require("POST /agreements", who)
            assert who is not None
            return catalogue.register(db, body.text, body.files, who.name).to_json()

    @app.get("/agreements/{name}")
    def agreement_file(
        name: str, version: int | None = None, authorization: str | None = Header(default=None)
    ) -> Response:
        with store() as db:
            require("GET /agreements/{name}", account(db, authorization))
            text = catalogue.text_of(db, name, version)
        return Response(text, media_type="application/yaml")

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
        from ceasefire.visibility import restrictions, visible_incidents

        with store() as db:
            who = account(db, authorization)
            require("GET /incidents", who)
            r = restrictions(db, audience_of(who))
            if bbox is None:
                every = [k for (k,) in db.conn.execute("SELECT key FROM incidents ORDER BY key")]
            else:
                every = db.incident_keys_in_box(*box)
            keys = [k for k in every if r.may_see(k)][offset : offset + limit]
            found = [i for i in (db.incident(key) for key in keys) if i is not None]
            return [i.to_json() for i in visible_incidents(found, r)]

    @app.get("/stories")
    def stories(
        date: str | None = None, incident: str | None = None,
        authorization: str | None = Header(default=None),
    ) -> Any:  # fmt: skip
        """The stored news stories the caller may see (key order): each brief's sentences with
        their sources (document, outlet, publication instant), the counts the articles state and
        where they conflict, the story's incidents.  ``date=YYYY-MM-DD``: stories with an incident
        on that local day (the workspace's zone); ``incident=news:ID``: that incident's story."""
        from datetime import date as date_type

        from ceasefire.service import stories_for

        day = None
        if date is not None:
            try:
                day = date_type.fromisoformat(date)
            except ValueError:
                return _error(422, "invalid_request", f"date: {date!r} is not YYYY-MM-DD")
        with store() as db:
            who = account(db, authorization)
            require("GET /stories", who)
            return stories_for(db, audience=audience_of(who), day=day, tz=tz, incident=incident)

    @app.get("/stories/{key:path}")
    def story(key: str, authorization: str | None = Header(default=None)) -> Any:
        """One stored news story (``story:ID``) as :meth:`stories` gives it."""
        from ceasefire.service import story_for

        with store() as db:
            who = account(db, authorization)
            require("GET /stories/{key}", who)
            return story_for(db, key, audience=audience_of(who))

    @app.get("/reports/daily")
    def daily(agreement: str, date: str, authorization: str | None = Header(default=None)) -> Any:
        from datetime import date as date_type

        try:
            day = date_type.fromisoformat(date)
        except ValueError:
            return _error(422, "invalid_request", f"date: {date!r} is not YYYY-MM-DD")
        with store() as db:
            who = account(db, authorization)
            require("GET /reports/daily", who)
            model = views.model(db, catalogue.resolve(db, agreement), audience_of(who))
        return Response(model.report_json(day), media_type="application/json")

    @app.get("/control/at")
    def control_at(
        date: str, lat: float, lon: float, authorization: str | None = Header(default=None)
    ) -> Any:
        from datetime import date as date_type

        from ceasefire.service import control_for

        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return _error(422, "invalid_request", "lat/lon out of range")
        try:
            day = date_type.fromisoformat(date)
        except ValueError:
            return _error(422, "invalid_request", f"date: {date!r} is not YYYY-MM-DD")
        with store() as db:
            who = account(db, authorization)
            require("GET /control/at", who)
            answer = control_for(db, tz, audience=audience_of(who)).at(lat, lon, day)
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
        from ceasefire.service import incidents_for, judge_for

        with store() as db:
            who = account(db, authorization)
            require("GET /exports/{layout}", who)
            audience = audience_of(who)
            rows = sorted(incidents_for(db, audience=audience), key=lambda i: i.key)
            if agreement is not None:  # "" is not a name: refused like any other
                judge = judge_for(db, catalogue.load(db, agreement), rows, audience=audience)
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
        """The chain, every covered row, every key and every approval's signature."""
        from ceasefire.governance import verify_workspace

        with store() as db:
            require("GET /audit/verify", account(db, authorization))
            problems = verify_workspace(db)
            seq, digest = audit.head(db.conn)
        return {
            "intact": not problems,
            "problems": [str(p) for p in problems],
            "head": f"{seq}:{digest}",
        }

    from ceasefire.dashboard import register as register_dashboard

    register_dashboard(app, tz, store, account, require, default_agreement, cache=views)
    return app
