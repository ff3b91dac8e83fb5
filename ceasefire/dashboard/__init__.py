"""The web dashboard: a map, the agreement's clock, incident drill-down, scorecards, daily reports.

:mod:`ceasefire.dashboard.views` builds the JSON the page needs (filtered by the caller's role);
:mod:`ceasefire.dashboard.routes` registers the page, its static files and its endpoints on the
HTTP API.  The front-end source is in ``web/``; ``scripts/setup`` builds it into ``static/``.
"""

from __future__ import annotations

from ceasefire.dashboard.routes import STATIC_DIR, register

__all__ = ["STATIC_DIR", "register"]
