"""The dashboard's routes on the HTTP API.

The page (``/``) and its built assets (``/static/…``) are public; every piece of data comes from a
JSON endpoint named in the API's one permission table (``ENDPOINT_PERMISSIONS`` in
:mod:`ceasefire.api.app`), and what it returns is filtered for the caller (see
:mod:`ceasefire.dashboard.views`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Header
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ceasefire import catalogue
from ceasefire.agreements.loader import bundled_names
from ceasefire.governance import Account
from ceasefire.store import Store

__all__ = ["STATIC_DIR", "register"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_NO_STORE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ceasefire — dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
color:#111;line-height:1.5}code{background:#eee;padding:0 .2rem}</style></head>
<body><h1>The dashboard is not built</h1>
<p>The HTTP API works (see <a href="/openapi.json">/openapi.json</a>), but the web page's files
are missing from <code>{static}</code>.</p>
<p>Build them once with <code>scripts/setup</code> (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>web/</code>; it needs Node.js and npm), then reload.</p>
</body></html>"""


def register(
    app: FastAPI,
    tz: ZoneInfo,
    store: Callable[[], Store],
    account: Callable[[Store, str | None], Account | None],
    require: Callable[[str, Account | None], None],
    default_agreement: str = "syria-2016-09",
    cache: Any = None,
) -> None:
    """Add the page, its static files and the dashboard's endpoints to ``app``; ``cache``: the
    server's :class:`~ceasefire.dashboard.views.DashboardCache` (shared with the API's daily
    report), else one of its own."""
    from ceasefire.dashboard.views import (
        DashboardCache,
        basemap_layer,
        decisions_view,
        humanitarian_view,
        parse_day,
    )
    from ceasefire.geo.zone_export import zones_geojson
    from ceasefire.visibility import audience_of

    cache = cache if cache is not None else DashboardCache()
    opened = default_agreement if default_agreement in bundled_names() else bundled_names()[0]

    def caller(db: Store, endpoint: str, authorization: str | None) -> Account | None:
        who = account(db, authorization)
        require(endpoint, who)
        return who

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        page = STATIC_DIR / "index.html"
        if not page.is_file():
            return HTMLResponse(_NOT_BUILT.replace("{static}", str(STATIC_DIR)), status_code=503)
        return HTMLResponse(page.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})

    if (STATIC_DIR / "assets").is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/whoami")
    def whoami(authorization: str | None = Header(default=None)) -> dict[str, Any]:
        """The caller's role, party and account name (the public has no account)."""
        with store() as db:
            who = audience_of(caller(db, "GET /whoami", authorization))
            names = sorted({e.name for e in catalogue.entries(db)})
        return {"role": who.role, "party": who.party, "name": who.name,
                "sees_unreleased": who.sees_all, "agreements": names,
                "default_agreement": opened}  # fmt: skip

    @app.get("/zones")
    def zones(agreement: str, authorization: str | None = Header(default=None)) -> Any:
        """The agreement's zones, reference lines and bands as GeoJSON."""
        with store() as db:
            caller(db, "GET /zones", authorization)
            return zones_geojson(catalogue.load(db, agreement))

    @app.get("/humanitarian")
    def humanitarian(authorization: str | None = Header(default=None)) -> Any:
        """Humanitarian routes and convoys with their events and latest status."""
        with store() as db:
            caller(db, "GET /humanitarian", authorization)
            return humanitarian_view(db)

    @app.get("/decisions")
    def decisions(agreement: str, authorization: str | None = Header(default=None)) -> Any:
        """Joint decisions of the guarantors: approvals and whether each is in effect."""
        with store() as db:
            who = audience_of(caller(db, "GET /decisions", authorization))
            return decisions_view(db, catalogue.load(db, agreement), who)

    @app.get("/control/map")
    def control_map(date: str, authorization: str | None = Header(default=None)) -> Any:
        """Areas and who held them on the date (GeoJSON)."""
        day = parse_day(date)
        with store() as db:
            who = audience_of(caller(db, "GET /control/map", authorization))
            return cache.control_map(db, day, tz, who)

    @app.get("/incidents/{key:path}")
    def incident(key: str, agreement: str, authorization: str | None = Header(default=None)) -> Any:
        """One incident: sources, the finding and its explanation, revisions and judgements."""
        with store() as db:
            who = audience_of(caller(db, "GET /incidents/{key}", authorization))
            return cache.incident(db, catalogue.resolve(db, agreement), who, key)

    @app.get("/scorecards")
    def scorecards(agreement: str, authorization: str | None = Header(default=None)) -> Any:
        """Per party and day: violations it bore, undetermined incidents it was part of."""
        with store() as db:
            who = audience_of(caller(db, "GET /scorecards", authorization))
            return JSONResponse(cache.scorecards(db, catalogue.resolve(db, agreement), who),
                                headers=_NO_STORE)  # fmt: skip

    @app.get("/dashboard/layer")
    def layer(
        agreement: str | None = None, authorization: str | None = Header(default=None)
    ) -> Response:
        """The incidents for the map, as columns: keys, lat, lon, q (qualification), day.
        Without ``agreement``, the one the server opens by default (``serve --agreement``)."""
        with store() as db:
            who = audience_of(caller(db, "GET /dashboard/layer", authorization))
            name = agreement if agreement is not None else opened
            body = cache.layer(db, catalogue.resolve(db, name), who)
        return Response(body, media_type="application/json", headers=_NO_STORE)

    @app.get("/dashboard/day")
    def day(agreement: str, date: str, authorization: str | None = Header(default=None)) -> Any:
        """The clock on the date (day N of 7, conditions, phases, decisions) and its summary."""
        when = parse_day(date)
        with store() as db:
            who = audience_of(caller(db, "GET /dashboard/day", authorization))
            return JSONResponse(cache.day(db, catalogue.resolve(db, agreement), who, when),
                                headers=_NO_STORE)  # fmt: skip

    @app.get("/dashboard/report")
    def report(agreement: str, date: str, authorization: str | None = Header(default=None)) -> Any:
        """The daily report as printable HTML."""
        when = parse_day(date)
        with store() as db:
            who = audience_of(caller(db, "GET /dashboard/report", authorization))
            html = cache.report_html(db, catalogue.resolve(db, agreement), who, when)
        return HTMLResponse(html, headers=_NO_STORE)

    @app.get("/basemap/{layer}")
    def basemap(layer: str, authorization: str | None = Header(default=None)) -> Response:
        """Base map data: admin1, neighbourhoods (OCHA), places (gazetteer), actors (EN/AR)."""
        with store() as db:
            caller(db, "GET /basemap/{layer}", authorization)
        return Response(basemap_layer(layer), media_type="application/json",
                        headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip
