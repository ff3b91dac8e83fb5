"""Reports built from the store: the daily report in JSON, Markdown and HTML."""

from ceasefire.reports.daily import Replay, daily_report
from ceasefire.reports.render import render_html, render_json, render_markdown

__all__ = ["Replay", "daily_report", "render_html", "render_json", "render_markdown"]
