"""The ``ceasefire`` command: parse, call the library, print. Errors become messages and exit codes."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ceasefire import __version__
from ceasefire.agreements.loader import (
    bundled_names,
    check_agreement,
    load_agreement,
    resolve_agreement_path,
)
from ceasefire.engines import ENGINES
from ceasefire.errors import CeasefireError, ConfigError
from ceasefire.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CeasefireError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _parse_instant(text: str, settings: Settings, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not an ISO 8601 date-time (e.g. 2016-09-14T12:00+03:00)."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=settings.timezone)


AUDIENCE_HELP = (
    "Whom the output is for (one rule, ceasefire.visibility): 'public' leaves out every party "
    "submission not yet released and every reporter's identity; 'party:ID' gives what that party's "
    "cell may see; 'all' is the centre's staff (reports marked RESTRICTED)."
)


def audience_option(func: F) -> F:
    """``--audience public|all|party:ID`` (default all: the centre's own staff)."""
    return click.option("--audience", "audience", default="all", show_default=True,
                        metavar="public|all|party:ID", help=AUDIENCE_HELP)(func)  # fmt: skip


def _audience(text: str) -> Any:
    from ceasefire.visibility import parse_audience

    try:
        return parse_audience(text)
    except ValueError as exc:
        raise ConfigError(f"--audience: {exc}") from None


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a valid date (YYYY-MM-DD).") from None


@click.group()
@click.version_option(__version__, prog_name="ceasefire")
@click.option(
    "--workspace",
    envvar="CEASEFIRE_WORKSPACE",
    type=click.Path(file_okay=False),
    help="Workspace folder holding the store [env CEASEFIRE_WORKSPACE; default ./workspace].",
)
@click.option(
    "--timezone",
    envvar="CEASEFIRE_TIMEZONE",
    default=None,
    help="IANA zone for dates without an offset [default Asia/Damascus].",
)
@click.option(
    "--database",
    envvar="CEASEFIRE_DATABASE_URL",
    default=None,
    help="Database URL: postgresql://user@host:port/db[?schema=NAME|auto] for PostgreSQL/PostGIS "
    "[env CEASEFIRE_DATABASE_URL; default the SQLite file in the workspace].",
)
@click.pass_context
@handle_errors
def cli(
    ctx: click.Context, workspace: str | None, timezone: str | None, database: str | None
) -> None:
    """ceasefire: agreements as code, incidents, compliance findings and the agreement clock."""
    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(workspace, timezone, database)


# -- agreement ------------------------------------------------------------------------------
@cli.group()
def agreement() -> None:
    """Check, show and list agreement files."""


@agreement.command("check")
@click.argument("file")
@handle_errors
def agreement_check(file: str) -> None:
    """Validate FILE; print every problem as FILE:LINE: field: message (exit 1 on errors)."""
    problems = check_agreement(file)
    for p in problems:
        click.echo(f"{p}" + (" (warning)" if p.severity == "warning" else ""))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        click.echo(f"{len(errors)} error(s).", err=True)
        sys.exit(1)
    click.echo(f"{file}: valid" + (f" ({len(problems)} warning(s))" if problems else ""), err=True)


def _agreement_for(ctx: click.Context, name: str) -> Any:
    """``--agreement``: a file, a bundled name, or an agreement registered in the workspace."""
    if name in bundled_names() or _is_local_file(name):
        return load_agreement(name)
    from ceasefire import catalogue

    settings = _settings(ctx)
    if not settings.workspace.is_dir() and settings.database_url is None:
        return load_agreement(name)  # not a file, not bundled: its error names both
    with settings.store() as store:
        return catalogue.load(store, name)


def _is_local_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


@agreement.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="A registered version.")
@click.pass_context
@handle_errors
def agreement_show(ctx: click.Context, name: str, version: int | None) -> None:
    """Print an agreement file: a bundled one, one registered in the workspace, or any file."""
    if version is None and (name in bundled_names() or _is_local_file(name)):
        click.echo(resolve_agreement_path(name).read_text(encoding="utf-8"), nl=False)
        return
    from ceasefire import catalogue

    with _settings(ctx).store() as store:
        click.echo(catalogue.text_of(store, name, version), nl=False)


@agreement.command("register")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--token", envvar="CEASEFIRE_TOKEN", default=None,
              help="An admin's token [env CEASEFIRE_TOKEN].")  # fmt: skip
@click.pass_context
@handle_errors
def agreement_register(ctx: click.Context, file: Path, token: str | None) -> None:
    """Register FILE in the workspace (admin; audited), with the geometry files it names beside
    it, under its own id: the API and the dashboard then know it by that name.  The same id
    again with other content is a new version."""
    from ceasefire import catalogue
    from ceasefire.governance import allow, authenticate

    text = file.read_text(encoding="utf-8")
    files = {name: (file.parent / name).read_text(encoding="utf-8")
             for name in _geometry_files(text) if (file.parent / name).is_file()}  # fmt: skip
    with _settings(ctx).store() as store:
        admin = authenticate(store, token)
        allow(admin, "agreements.register")
        entry = catalogue.register(store, text, files, admin.name)
    click.echo(json.dumps(entry.to_json(), sort_keys=True))


def _geometry_files(text: str) -> list[str]:
    """The geometry files an agreement's zones name (plain file names only: no folders)."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []  # the register step reports the located problem
    zones = (doc.get("agreement") or {}).get("zones") if isinstance(doc, dict) else None
    names = {z.get("geometry_file") for z in zones or [] if isinstance(z, dict)}
    return sorted(
        n for n in names if isinstance(n, str) and re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", n)
    )


@agreement.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@handle_errors
def agreement_list(ctx: click.Context, fmt: str) -> None:
    """List the agreements: bundled, and those registered in the workspace (latest version)."""
    rows = []
    settings = _settings(ctx)
    found: list[tuple[str, str, Any]] = [("bundled", n, load_agreement(n)) for n in bundled_names()]
    if settings.workspace.is_dir() or settings.database_url is not None:
        from ceasefire import catalogue

        with settings.store() as store:
            latest = {e.name: e for e in catalogue.entries(store) if e.source == "registered"}
            found += [(f"registered v{e.version}", n, catalogue.load(store, n))
                      for n, e in sorted(latest.items())]  # fmt: skip
    for source, name, a in found:
        rows.append({"name": name, "title": a.title, "start": a.first_start.isoformat(),
                     "source": source, "lifecycles": [lc.id for lc in a.lifecycles],
                     "zones": [z.id for z in a.zones], "terms": [t.id for t in a.terms]})  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(rows, sort_keys=True, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']}\t{row['start']}\t{row['title']}")


@agreement.command("schema")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json")
def agreement_schema(fmt: str) -> None:
    """Print the agreement format's JSON Schema (or its reference page, docs/agreement-format.md)."""
    from ceasefire.agreements.reference import format_reference, json_schema

    if fmt == "json":
        click.echo(json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(format_reference(), nl=False)


@agreement.command("convert")
@click.argument("file")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the version 2 file here (default: standard output).")  # fmt: skip
@handle_errors
def agreement_convert(file: str, output: Path | None) -> None:
    """Convert a version 1 agreement file to version 2, then check the result."""
    from ceasefire.agreements.convert import convert_v1, dump
    from ceasefire.agreements.loader import read_document

    located, problems = read_document(file)
    if located is None or not isinstance(located.data, dict):
        for p in problems:
            click.echo(str(p), err=True)
        raise ConfigError(f"{file} is not a YAML mapping; nothing to convert.")
    if located.data.get("schema_version") != 1:
        raise ConfigError(f"{file} is not a version 1 agreement file (schema_version is "
                          f"{located.data.get('schema_version')!r}).")  # fmt: skip
    text = dump(convert_v1(located.data))
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomic(output, text)
    problems = check_agreement(str(output))
    for p in problems:
        click.echo(f"{p}" + (" (warning)" if p.severity == "warning" else ""), err=True)
    click.echo(
        f"{output}: written; {sum(p.severity == 'error' for p in problems)} error(s) to fix",
        err=True,
    )


# -- import -----------------------------------------------------------------------------------
@cli.command("import")
@click.argument("kind", type=click.Choice(["ucdp", "acled", "reports", "humanitarian"]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--submitted-by", "submitted_by", default=None, metavar="PARTY",
              help="The file is this party's submission to the centre (reports): every record in "
                   "it stays restricted to its cell, the guarantors, monitors and admins until a "
                   "guarantor releases it.")  # fmt: skip
@click.pass_context
@handle_errors
def import_(ctx: click.Context, kind: str, file: Path, fmt: str, submitted_by: str | None) -> None:
    """Import FILE (plain or gzip): all of it or nothing; bad rows go to quarantine.

    A report whose object names ``submitted_by`` (or whose reporter's type is ``party``) is a
    party's submission and is restricted until released, whichever way it arrives."""
    from ceasefire.service import import_file

    settings = _settings(ctx)
    with settings.store() as store:
        summary = import_file(store, kind, file, settings.timezone, submitted_by)
    if fmt == "json":
        click.echo(json.dumps(summary.to_json(), sort_keys=True, ensure_ascii=False))
        return
    click.echo(
        f"{kind} {file}: added {summary.added}, revised {summary.revised}, "
        f"unchanged {summary.unchanged}, quarantined {summary.quarantined}"
    )
    for problem in summary.problems[:50]:
        click.echo(f"  quarantined: {problem}")
    if len(summary.problems) > 50:
        click.echo(f"  … and {len(summary.problems) - 50} more (ceasefire quarantine)")


@cli.command("quarantine")
@click.pass_context
@handle_errors
def quarantine(ctx: click.Context) -> None:
    """List quarantined rows with their file, line, field and reason."""
    with _settings(ctx).store() as store:
        for row in store.quarantine():
            click.echo(
                f"{row['file']}:{row['line']}: {row['field']}: {row['reason']} (batch {row['batch']})"
            )


# -- evaluate / status -------------------------------------------------------------------------
@cli.command("evaluate")
@click.option(
    "--agreement", "agreement_name", required=True, help="Agreement file or bundled name."
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "text"]), default="text")
@click.option("--as-of", "as_of", default=None, help="Use only what was known at this instant.")
@click.option("--control/--no-control", default=True,
              help="Add who held the ground (the workspace's control map: bundled + imported).")  # fmt: skip
@click.option("--engine", type=click.Choice(ENGINES), default=None,
              help="Judge month partitions on this engine (default: in process, as always).")  # fmt: skip
@click.option("--input", "input_dir", type=click.Path(path_type=Path), default=None,
              help="A partitioned Parquet folder (`export parquet --partition-by month`) "
                   "instead of the workspace; the bundled control map.")  # fmt: skip
@click.option("--scheduler", default=None, help="Dask scheduler address (else a LocalCluster).")
@click.option("--master", default=None, help="Spark master URL (else local[2]).")
@click.option("--findings-out", "findings_out", type=click.Path(path_type=Path), default=None,
              help="Also keep the findings as a Parquet folder, one file per partition.")  # fmt: skip
@audience_option
@click.pass_context
@handle_errors
def evaluate(ctx: click.Context, agreement_name: str, fmt: str, as_of: str | None, control: bool,
             engine: str | None, input_dir: Path | None, scheduler: str | None,
             master: str | None, findings_out: Path | None, audience: str) -> None:  # fmt: skip
    """Judge every stored incident against every term of the agreement."""
    from ceasefire.service import evaluate_store

    settings = _settings(ctx)
    agreement_obj = _agreement_for(ctx, agreement_name)
    when = _parse_instant(as_of, settings, "--as-of") if as_of else None
    who = _audience(audience)
    if engine is not None or input_dir is not None:
        _evaluate_on_engine(settings, agreement_obj, fmt, when, control, engine or "local",
                            input_dir, scheduler, master, findings_out, who)  # fmt: skip
        return
    for name, value in (("--scheduler", scheduler), ("--master", master),
                        ("--findings-out", findings_out)):  # fmt: skip
        if value is not None:
            raise click.UsageError(f"{name} goes with --engine or --input.")
    with settings.store() as store:
        pairs = evaluate_store(store, agreement_obj, when, "workspace" if control else None,
                               audience=who)  # fmt: skip
    pairs.sort(key=lambda p: p[0].key)
    if fmt == "jsonl":
        for _, finding in pairs:
            click.echo(finding.json_line())
    elif fmt == "json":
        click.echo(
            json.dumps(
                [f.to_json() for _, f in pairs], sort_keys=True, ensure_ascii=False, indent=2
            )
        )
    else:
        from collections import Counter

        for incident, finding in pairs:
            click.echo(f"{incident.key}\t{finding.qualification}\t{','.join(finding.codes)}")
        counts = Counter(f.qualification for _, f in pairs)
        click.echo("; ".join(f"{k}: {v}" for k, v in sorted(counts.items())), err=True)


def _evaluate_on_engine(
    settings: Settings, agreement: Any, fmt: str, when: datetime | None, control: bool,
    engine: str, input_dir: Path | None, scheduler: str | None, master: str | None,
    findings_out: Path | None, who: Any,
) -> None:  # fmt: skip
    """``evaluate --engine/--input``: month partitions judged by :mod:`ceasefire.engines`, the
    findings merged back in incident key order; the same output as without an engine."""
    import tempfile

    from ceasefire.engines import evaluate_partitions, finding_lines, input_control, partitions

    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask.")
    if master is not None and engine != "spark":
        raise click.UsageError("--master goes with --engine spark.")
    with tempfile.TemporaryDirectory(prefix="ceasefire-evaluate-") as tmp:
        out = findings_out if findings_out is not None else Path(tmp) / "findings"
        if input_dir is None:
            from ceasefire.service import evaluate_store_on

            with settings.store() as store:
                names = evaluate_store_on(
                    store, agreement, engine, Path(tmp) / "incidents", out, when,
                    "workspace" if control else None, audience=who, scheduler=scheduler,
                    master=master,
                )  # fmt: skip
        else:
            from ceasefire.compliance.judge import Judge

            names = partitions(input_dir)
            ground = input_control(input_dir, names, agreement.timezone) if control else None
            results = evaluate_partitions(input_dir, Judge(agreement, ground), engine, out,
                                          as_of=when, scheduler=scheduler, master=master)  # fmt: skip
            names = [r.name for r in results]
        lines = finding_lines(out, names)
        if fmt == "jsonl":
            for line in lines:
                click.echo(line)
        elif fmt == "json":
            click.echo(json.dumps([json.loads(line) for line in lines], sort_keys=True,
                                  ensure_ascii=False, indent=2))  # fmt: skip
        else:
            from collections import Counter

            counts: Counter[str] = Counter()
            for line in lines:
                f = json.loads(line)
                counts[f["qualification"]] += 1
                click.echo(f"{f['incident']}\t{f['qualification']}\t{','.join(f['codes'])}")
            click.echo("; ".join(f"{k}: {v}" for k, v in sorted(counts.items())), err=True)


@cli.command("status")
@click.option("--agreement", "agreement_name", required=True)
@click.option("--at", "at", required=True, help="ISO 8601 instant (offset optional).")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@audience_option
@click.pass_context
@handle_errors
def status(ctx: click.Context, agreement_name: str, at: str, fmt: str, audience: str) -> None:
    """Where the agreement clock stands at an instant: phase, day, conditions."""
    from ceasefire.service import status_from_store

    settings = _settings(ctx)
    agreement_obj = _agreement_for(ctx, agreement_name)
    when = _parse_instant(at, settings, "--at")
    who = _audience(audience)
    with settings.store() as store:
        result = status_from_store(store, agreement_obj, when, audience=who)
    if fmt == "json":
        click.echo(json.dumps(result, sort_keys=True, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{result['agreement']} at {result['at']}: phase {result['phase'] or 'none'}, "
        f"day {result['day'] or '—'}, {result['consecutive_days']} of {result['target_days']} days"
    )
    for pid, ph in result["phases"].items():
        unmet = "; ".join(f"{u['condition']}: {u['detail']}" for u in ph.get("unmet", []))
        click.echo(f"  phase {pid}: {ph['state']}" + (f" (unmet: {unmet})" if unmet else ""))
    for cid, cond in result["conditions"].items():
        click.echo(f"  condition {cid}: {cond.get('state')}")


# -- reports ------------------------------------------------------------------------------------
@cli.group()
def report() -> None:
    """Build reports."""


@report.command("daily")
@click.option("--agreement", "agreement_name", required=True)
@click.option(
    "--date", "day", required=True, help="YYYY-MM-DD (local day of the agreement's zone)."
)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@audience_option
@click.pass_context
@handle_errors
def report_daily(ctx: click.Context, agreement_name: str, day: str, fmt: str,
                 output: Path | None, audience: str) -> None:  # fmt: skip
    """The daily report for one day, in Markdown, HTML or JSON, for an audience (the public
    report is a rendering of its own, marked PUBLIC: --audience public)."""
    from ceasefire.reports import render_html, render_json, render_markdown
    from ceasefire.service import replay_from_store

    settings = _settings(ctx)
    agreement_obj = _agreement_for(ctx, agreement_name)
    when = _parse_date(day, "--date")
    who = _audience(audience)
    with settings.store() as store:
        data = replay_from_store(store, agreement_obj, audience=who).report(when)
    text = {"md": render_markdown, "html": render_html, "json": render_json}[fmt](data)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(output, text)


def _write_atomic(path: Path, text: str) -> None:
    _write_atomic_bytes(path, text.encode("utf-8"))


def _write_atomic_bytes(path: Path, data: bytes) -> None:
    """Write whole or not at all: a temporary file beside the target, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# -- exports ------------------------------------------------------------------------------------
@cli.command("export")
@click.argument("layout", type=click.Choice(["ucdp", "acled", "geojson", "hxl", "parquet"]))
@click.option(
    "--agreement", "agreement_name", default=None, help="Add findings (GeoJSON, HXL, Parquet)."
)
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="The file to write (with --partition-by: the folder).")  # fmt: skip
@click.option("--partition-by", "partition_by", type=click.Choice(["month"]), default=None,
              help="Parquet only: a folder DIR/month=YYYY-MM/part-00000.parquet (month of the "
                   "first local day), what `evaluate --input DIR` reads.")  # fmt: skip
@click.option("--rows-per-file", "rows_per_file", type=int, default=None,
              help="With --partition-by: split a month into part files of at most N rows.")  # fmt: skip
@audience_option
@click.pass_context
@handle_errors
def export(ctx: click.Context, layout: str, agreement_name: str | None, output: Path | None,
           partition_by: str | None, rows_per_file: int | None, audience: str) -> None:  # fmt: skip
    """Export stored incidents as UCDP CSV, ACLED CSV, GeoJSON, HXL-tagged CSV or Parquet."""
    import io

    from ceasefire.export.tables import (
        geojson_feature_collection,
        write_acled_csv,
        write_geojson,
        write_hxl_csv,
        write_ucdp_csv,
    )
    from ceasefire.service import incidents_for, judge_for

    if partition_by is not None and layout != "parquet":
        raise click.UsageError("--partition-by is for Parquet only.")
    if rows_per_file is not None and partition_by is None:
        raise click.UsageError("--rows-per-file goes with --partition-by.")
    if partition_by is None and output is not None and output.is_dir():
        raise click.UsageError(f"--output {output} is a folder; give a file (or --partition-by).")
    settings = _settings(ctx)
    findings = None
    who = _audience(audience)
    with settings.store() as store:
        incidents = sorted(incidents_for(store, audience=who), key=lambda i: i.key)
        if agreement_name:
            judge = judge_for(store, _agreement_for(ctx, agreement_name), incidents, audience=who)
            findings = {f.incident: f.to_json() for f in judge.findings(incidents)}
    if layout == "parquet":
        from ceasefire.export.parquet import write_parquet, write_partitions

        if output is None:
            raise click.UsageError("Parquet is binary: give --output FILE.parquet.")
        if partition_by is not None:
            months = write_partitions(incidents, output, findings, rows_per_file)
            click.echo(
                f"{len(incidents)} incidents in {len(months)} month partition(s) → {output}",
                err=True,
            )
            return
        data = io.BytesIO()
        write_parquet(incidents, data, findings)
        _write_atomic_bytes(output, data.getvalue())
        click.echo(f"{len(incidents)} incidents → {output}", err=True)
        return
    buf = io.StringIO()
    if layout == "ucdp":
        write_ucdp_csv(incidents, buf)
    elif layout == "acled":
        write_acled_csv(incidents, buf)
    elif layout == "hxl":
        write_hxl_csv(incidents, buf, findings)
    else:
        write_geojson(geojson_feature_collection(incidents, findings), buf)
    if output is None:
        click.echo(buf.getvalue(), nl=False)
    else:
        _write_atomic(output, buf.getvalue())


@cli.command("incident")
@click.argument("key")
@click.option("--agreement", "agreement_name", default=None)
@click.option("--as-of", "as_of", default=None, help="Use only what was known at this instant.")
@audience_option
@click.pass_context
@handle_errors
def incident(ctx: click.Context, key: str, agreement_name: str | None, as_of: str | None,
             audience: str) -> None:  # fmt: skip
    """Show one incident: its revisions, judgements and (with --agreement) its finding."""
    from ceasefire.visibility import restrictions, visible_incidents

    settings = _settings(ctx)
    when = _parse_instant(as_of, settings, "--as-of") if as_of else None
    who = _audience(audience)
    with settings.store() as store:
        r = restrictions(store, who)
        history = store.incident_history(key) if r.may_see(key) else []
        if not history:
            raise ConfigError(f"No incident {key!r} in the workspace (or not one --audience "
                              f"{audience} may see); keys look like ucdp:227667.")  # fmt: skip
        seen = visible_incidents([i for _, i in history], r)
        out: dict[str, Any] = {
            "incident": key,
            "revisions": [
                {"revision": n, **i.to_json()} for (n, _), i in zip(history, seen, strict=True)
            ],
        }
        if agreement_name:
            from ceasefire.service import judge_for

            judge = judge_for(store, _agreement_for(ctx, agreement_name), audience=who)
            out["finding"] = judge.finding(seen[-1], when).to_json()
    click.echo(json.dumps(out, sort_keys=True, ensure_ascii=False, indent=2))


# -- news -------------------------------------------------------------------------------------------
@cli.group()
def ingest() -> None:
    """Ingest sources that need the news → evidence pipeline."""


@ingest.command("news")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--published", default=None, help="Publication date for .txt/.html files.")
@click.option("--source", default=None, help="Source (outlet) for .txt/.html files.")
@click.option("--agreement", "agreement_name", default=None, help="Judge the incidents too.")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None
)
@click.option("--store/--no-store", default=True, help="Store the incidents as alleged (default).")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@click.pass_context
@handle_errors
def ingest_news_cmd(
    ctx: click.Context,
    paths: tuple[Path, ...],
    published: str | None,
    source: str | None,
    agreement_name: str | None,
    config_path: Path | None,
    store: bool,
    fmt: str,
) -> None:
    """Articles (JSON lines, or folders of .txt/.html) → sourced incidents, claims and conflicts."""
    from ceasefire.pipeline.ingest import ingest_news

    settings = _settings(ctx)
    if store:  # the workspace keeps each source's repeated lines across runs
        with settings.store() as db:
            evidence, batch = ingest_news(
                list(paths), settings.timezone, source, published, config_path, store=db
            )
    else:
        evidence, batch = ingest_news(
            list(paths), settings.timezone, source, published, config_path
        )
    if agreement_name:
        from ceasefire.service import judge_for
        from ceasefire.visibility import OPERATOR

        with settings.store() as db:
            judge = judge_for(db, _agreement_for(ctx, agreement_name), audience=OPERATOR)
        from ceasefire.model.incidents import Incident

        incidents = [r for r in batch.records if isinstance(r, Incident)]  # not the stories
        findings = {f.incident: f.to_json() for f in judge.findings(incidents)}
        for inc in evidence["incidents"]:
            inc["finding"] = findings.get(f"news:{inc['id']}")
    if store:
        from ceasefire.service import incidents_for, link_incidents
        from ceasefire.visibility import OPERATOR

        with settings.store() as db:
            summary = db.import_batch(batch)
            evidence["store"] = summary.to_json()
            link_incidents(db, summary.changed_incidents, summary.stored)
            merged = {i.key: i.linked for i in incidents_for(db, audience=OPERATOR)}
            into = {m: k for k, ms in merged.items() for m in ms}  # a member → its representative
        for inc in evidence["incidents"]:
            key = f"news:{inc['id']}"
            group = into.get(key, key)
            inc["linked"] = sorted(k for k in (group, *merged.get(group, ())) if k != key)
    if fmt == "json":
        evidence.pop("timings", None)
        click.echo(json.dumps(evidence, sort_keys=True, ensure_ascii=False, indent=2))
        return
    click.echo(f"documents {len(evidence['documents'])}, quarantined {len(evidence['quarantined'])}, "
               f"syndication groups {len(evidence['syndication_groups'])}, stories {len(evidence['stories'])}, "
               f"incidents {len(evidence['incidents'])}, claims {len(evidence['claims'])}, "
               f"conflicts {len(evidence['conflicts'])}")  # fmt: skip
    for q in evidence["quarantined"]:
        click.echo(f"  quarantined: {q['document']}:{q['line']}: {q['stage']}: {q['reason']}")


@cli.group()
def links() -> None:
    """Incidents of different feeds linked as one event: list them with why, undo one."""


@links.command("list")
@click.option("--all", "show_all", is_flag=True, help="Undone links too.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@audience_option
@click.pass_context
@handle_errors
def links_list(ctx: click.Context, show_all: bool, fmt: str, audience: str) -> None:
    """Each link with the criteria that matched, distance, time overlap and shared actors, and
    whether it still holds on the incidents' current revisions (links between incidents the
    audience may see)."""
    from ceasefire.service import links_for
    from ceasefire.visibility import restrictions, visible_incidents

    who = _audience(audience)
    with _settings(ctx).store() as store:
        rows = links_for(store, visible_incidents(store.incidents(), restrictions(store, who)))
    rows = [r for r in rows if show_all or r["undone_at"] is None]
    if fmt == "json":
        click.echo(json.dumps(rows, sort_keys=True, ensure_ascii=False, indent=2))
        return
    for r in rows:
        d = r["explanation"]["detail"]
        state = "undone" if r["undone_at"] else ("linked" if r["holds"] else "no longer holds")
        click.echo(f"{r['id']}\t{r['a']} = {r['b']}\t{state}\t{d['distance_m']} m of "
                   f"{d['within_m']} m, {d['overlap_hours']} h overlap, shared "
                   f"{', '.join(d['shared'])}, types {d['types']}")  # fmt: skip


@links.command("undo")
@click.argument("link_id", type=int)
@click.option("--reason", required=True, help="Why the two are not one event (kept, audited).")
@click.option("--token", envvar="CEASEFIRE_TOKEN", default=None,
              help="An admin's or a monitor's token [env CEASEFIRE_TOKEN].")  # fmt: skip
@click.pass_context
@handle_errors
def links_undo(ctx: click.Context, link_id: int, reason: str, token: str | None) -> None:
    """Undo a link (an admin or a monitor): the two incidents count apart again."""
    from ceasefire.errors import NotFoundError
    from ceasefire.governance import allow, authenticate

    with _settings(ctx).store() as store:
        account = authenticate(store, token)
        allow(account, "links.undo")
        if not store.undo_link(link_id, account.name, reason):
            raise NotFoundError(f"No active link {link_id}.")
    click.echo(f"link {link_id} undone")


@cli.group()
def pipeline() -> None:
    """Inspect the news pipeline."""


@pipeline.command("stages")
def pipeline_stages() -> None:
    """List the registered stages with what they require and assign."""
    from ceasefire.pipeline.registry import registered

    click.echo(json.dumps(registered(), indent=2, sort_keys=True))


# -- territory ------------------------------------------------------------------------------------
@cli.group()
def control() -> None:
    """Territorial control over time (bundled: Aleppo's neighbourhoods, Sept–Dec 2016)."""


def _control_answer_json(answer: Any) -> dict[str, Any]:
    return {
        "status": answer.status,
        "actors": list(answer.actors),
        "area_id": answer.area_id,
        "area_name": answer.area_name,
        "version": answer.version,
        "valid_from": answer.valid_from.isoformat() if answer.valid_from else None,
        "valid_to": answer.valid_to.isoformat() if answer.valid_to else None,
        "sources": list(answer.sources),
        "confidence": answer.confidence,
        "reason": answer.reason,
    }


def _workspace_control(ctx: click.Context, audience: str) -> Any:
    """The bundled control map plus the workspace's imported statements and the territorial events
    the audience may see (if a workspace exists)."""
    from ceasefire.geo.control import load_aleppo_2016
    from ceasefire.service import control_for

    settings = _settings(ctx)
    who = _audience(audience)
    if not settings.workspace.is_dir():
        return load_aleppo_2016()
    with settings.store() as store:
        return control_for(store, settings.timezone, audience=who)


@control.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--by", "recorded_by", default="analyst", help="Who records these statements.")
@click.pass_context
@handle_errors
def control_import(ctx: click.Context, file: Path, recorded_by: str) -> None:
    """Add control statements (GeoJSON features or CSV rows) as new, sourced versions."""
    from ceasefire.geo.control_store import import_control_file

    with _settings(ctx).store() as store:
        summary = import_control_file(store, file, recorded_by)
    click.echo(f"control {file}: added {summary.added}, unchanged {summary.unchanged}, "
               f"quarantined {summary.quarantined}")  # fmt: skip
    for problem in summary.problems:
        click.echo(f"  quarantined: {problem}")


@control.command("at")
@click.option("--date", "day", required=True)
@click.option("--lat", type=click.FloatRange(-90, 90), default=None)
@click.option("--lon", type=click.FloatRange(-180, 180), default=None)
@click.option("--area", "area_id", default=None, help="An area id (P-code) instead of a point.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@audience_option
@click.pass_context
@handle_errors
def control_at(
    ctx: click.Context,
    day: str,
    lat: float | None,
    lon: float | None,
    area_id: str | None,
    fmt: str,
    audience: str,
) -> None:
    """Who held the point (or area) on the date, with the evidence (or "unknown" and why)."""
    from ceasefire.geo.control import ControlAnswer

    control_map = _workspace_control(ctx, audience)
    on = _parse_date(day, "--date")
    if area_id is not None:
        version = control_map.area_at(area_id, on)
        if version is None:
            known = "known" if area_id in control_map.area_ids() else "not a mapped area id"
            found = ControlAnswer(status="unknown", area_id=area_id,
                                  reason=f"no version of {area_id} ({known}) covers {on}")  # fmt: skip
        else:
            found = ControlAnswer.of(version)
    elif lat is not None and lon is not None:
        found = control_map.at(lat, lon, on)
    else:
        raise ConfigError("Give --lat and --lon, or --area.")
    answer = _control_answer_json(found)
    if fmt == "json":
        click.echo(json.dumps(answer, sort_keys=True, ensure_ascii=False, indent=2))
    else:
        who = ", ".join(answer["actors"]) or "—"
        click.echo(f"{answer['status']} ({who}) in {answer['area_name'] or '—'}; "
                   f"sources {', '.join(answer['sources']) or '—'} {answer['reason']}".rstrip())  # fmt: skip


def _boundary_repairs() -> dict[str, int]:
    """How many packaged OCHA geometries of the control map's layers (governorates and
    neighbourhoods) were invalid and repaired (from the data manifest)."""
    from ceasefire.geo.control import KINDS
    from ceasefire.service import bundled_data

    manifest = json.loads(bundled_data("boundaries/manifest.json").read_text(encoding="utf-8"))
    return {
        name: int(layer.get("repaired_with_make_valid", 0))
        for name, layer in manifest["layers"].items()
        if name in KINDS
    }


@control.command("map")
@click.option("--date", "day", required=True)
@click.option("--format", "fmt", type=click.Choice(["geojson"]), default="geojson")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@audience_option
@click.pass_context
@handle_errors
def control_map(ctx: click.Context, day: str, fmt: str, output: Path | None, audience: str) -> None:
    """The control map on the date as RFC 7946 GeoJSON."""
    collection = _workspace_control(ctx, audience).to_geojson(_parse_date(day, "--date"))
    collection["ceasefire:geometry_repairs"] = _boundary_repairs()  # RFC 7946 foreign member
    text = json.dumps(collection, sort_keys=True, ensure_ascii=False) + "\n"

    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(output, text)


@control.command("separation")
@click.option("--agreement", "agreement_name", required=True)
@click.option("--date", "day", required=True)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json")
@audience_option
@click.pass_context
@handle_errors
def control_separation(
    ctx: click.Context, agreement_name: str, day: str, fmt: str, audience: str
) -> None:
    """Where areas held by covered (or unknown) groups meet areas held by excluded groups.

    It describes areas held; it never designates anything as open to attack."""
    from ceasefire.compliance.separation import separation_report

    report = separation_report(
        _workspace_control(ctx, audience),
        _agreement_for(ctx, agreement_name),
        _parse_date(day, "--date"),
    )
    click.echo(json.dumps(report, sort_keys=True, ensure_ascii=False, indent=2, default=str))


@cli.command("zones")
@click.option("--agreement", "agreement_name", required=True)
@click.option("--format", "fmt", type=click.Choice(["geojson"]), default="geojson")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@handle_errors
def zones_cmd(agreement_name: str, fmt: str, output: Path | None) -> None:
    """The agreement's zones, reference lines and distance bands as RFC 7946 GeoJSON."""
    from ceasefire.geo.zone_export import zones_geojson

    text = (
        json.dumps(
            zones_geojson(load_agreement(agreement_name)), sort_keys=True, ensure_ascii=False
        )
        + "\n"
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(output, text)


# -- governance --------------------------------------------------------------------------------------
_TOKEN = click.option(
    "--token", envvar="CEASEFIRE_TOKEN", default=None, help="Account token [env CEASEFIRE_TOKEN]."
)
_KEY = click.option(
    "--key", "key_file", envvar="CEASEFIRE_KEY", required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your guarantor's private key file (ceasefire keys generate) [env CEASEFIRE_KEY].",
)  # fmt: skip


def _admin(store: Any, token: str | None) -> Any:
    from ceasefire.governance import allow, authenticate

    admin = authenticate(store, token)
    allow(admin, "users.manage")
    return admin


@cli.group()
def users() -> None:
    """Accounts and roles (admin, guarantor, party, monitor, public) and their tokens."""


@users.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "guarantor", "party", "monitor", "public"])
)
@click.option(
    "--party", default=None, help="The guarantor (USA, RUS) or party the account speaks for."
)
@click.option("--agreement", "agreement_name", default="syria-2016-09")
@click.option("--expires", default=None, help="When the token stops working (ISO 8601).")
@_TOKEN
@click.pass_context
@handle_errors
def users_add(ctx: click.Context, name: str, role: str, party: str | None, agreement_name: str,
              expires: str | None, token: str | None) -> None:  # fmt: skip
    """Create an account and print its token once (only its hash is stored).

    The first account is an admin and needs no token; later ones need an admin's token."""
    from ceasefire.governance import add_user, allow, authenticate

    settings = _settings(ctx)
    with settings.store() as store:
        (count,) = store.conn.execute("SELECT count(*) FROM users").fetchone()
        by = "bootstrap"
        if count:
            admin = authenticate(store, token)
            allow(admin, "users.add")
            by = admin.name
        new_token = add_user(store, name, role, party, by, _agreement_for(ctx, agreement_name),
                             _parse_instant(expires, settings, "--expires") if expires else None)  # fmt: skip
    click.echo(
        f"account {name} ({role}{', ' + party if party else ''}) created; its token, shown once:"
    )
    click.echo(new_token)


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_TOKEN
@click.pass_context
@handle_errors
def users_list(ctx: click.Context, fmt: str, token: str | None) -> None:
    """Every account: role, party, state (active, disabled, expired), token expiry (admin)."""
    from ceasefire.governance import list_users

    with _settings(ctx).store() as store:
        rows = list_users(store, _admin(store, token))
    if fmt == "json":
        click.echo(json.dumps(rows, sort_keys=True, indent=2))
        return
    for r in rows:
        party = f":{r['party']}" if r["party"] else ""
        click.echo(f"{r['name']}\t{r['role']}{party}\t{r['state']}\texpires {r['expires_at'] or 'never'}"
                   f"\ttoken {r['token']}")  # fmt: skip


@users.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@_TOKEN
@click.pass_context
@handle_errors
def users_disable(ctx: click.Context, name: str, enable: bool, token: str | None) -> None:
    """Disable an account: its token stops working at once (admin)."""
    from ceasefire.governance import disable_user

    with _settings(ctx).store() as store:
        disable_user(store, _admin(store, token), name, disabled=not enable)
    click.echo(f"account {name} {'enabled' if enable else 'disabled'}")


@users.command("expire")
@click.argument("name")
@click.option("--at", "at", default=None, help="When its token stops working [default: now].")
@_TOKEN
@click.pass_context
@handle_errors
def users_expire(ctx: click.Context, name: str, at: str | None, token: str | None) -> None:
    """Set when an account's token stops working (admin)."""
    from ceasefire.governance import expire_user

    settings = _settings(ctx)
    with settings.store() as store:
        when = expire_user(store, _admin(store, token), name,
                           _parse_instant(at, settings, "--at") if at else None)  # fmt: skip
    click.echo(f"account {name}: its token expires at {when}")


@users.command("rotate")
@click.argument("name")
@click.option("--expires", default=None, help="When the new token stops working (ISO 8601).")
@_TOKEN
@click.pass_context
@handle_errors
def users_rotate(ctx: click.Context, name: str, expires: str | None, token: str | None) -> None:
    """Give an account a new token (printed once); the old one stops working at once (admin)."""
    from ceasefire.governance import rotate_token

    settings = _settings(ctx)
    with settings.store() as store:
        new_token = rotate_token(store, _admin(store, token), name,
                                 _parse_instant(expires, settings, "--expires") if expires else None)  # fmt: skip
    click.echo(f"account {name}: new token, shown once:")
    click.echo(new_token)


@cli.group()
def keys() -> None:
    """Guarantors' Ed25519 keys: an approval is a signature by the guarantor's key."""


@keys.command("generate")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The private key file to write (mode 0600); the public key goes to OUT.pub.")  # fmt: skip
@handle_errors
def keys_generate(out: Path) -> None:
    """Make a key pair on this machine; the private key never leaves the file."""
    from ceasefire.governance.signing import generate_key_file

    public, fp = generate_key_file(out)
    click.echo(f"private key: {out} (keep it; mode 0600)\npublic key: {out}.pub\n"
               f"base64: {public}\nfingerprint: {fp}")  # fmt: skip


@keys.command("register")
@_KEY
@_TOKEN
@click.pass_context
@handle_errors
def keys_register(ctx: click.Context, key_file: Path, token: str | None) -> None:
    """Register your guarantor's first key (at setup; later, only a key change replaces it)."""
    from ceasefire.governance import authenticate, register_key
    from ceasefire.governance.keys import key_statement
    from ceasefire.governance.signing import load_private_key, public_key_of, sign

    key = load_private_key(key_file)
    with _settings(ctx).store() as store:
        account = authenticate(store, token)
        public = public_key_of(key)
        fp = register_key(
            store, account, public, sign(key, key_statement(account.party or "", public))
        )
    click.echo(f"{account.party}: key {fp} registered")


@keys.command("list")
@click.pass_context
@handle_errors
def keys_list(ctx: click.Context) -> None:
    """Each guarantor's keys, as the audit chain vouches for them (compare the fingerprints with
    the ones the guarantors hold)."""
    from ceasefire.governance import list_keys

    with _settings(ctx).store() as store:
        click.echo(json.dumps(list_keys(store), sort_keys=True, indent=2))


@keys.command("propose-change")
@click.option("--new-key", "new_key_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The new private key file.")  # fmt: skip
@_KEY
@_TOKEN
@click.pass_context
@handle_errors
def keys_propose_change(ctx: click.Context, new_key_file: Path, key_file: Path, token: str | None) -> None:  # fmt: skip
    """Propose a new key for your guarantor and sign the change with its current key; it takes
    effect when every guarantor's current key has signed (keys approve-change)."""
    from ceasefire.governance import approve_key_change, authenticate, propose_key_change
    from ceasefire.governance.keys import key_statement
    from ceasefire.governance.signing import load_private_key, public_key_of, sign

    new, current = load_private_key(new_key_file), load_private_key(key_file)
    with _settings(ctx).store() as store:
        account = authenticate(store, token)
        public = public_key_of(new)
        change = propose_key_change(store, account, public,
                                    sign(new, key_statement(account.party or "", public)))  # fmt: skip
        status = approve_key_change(
            store, account, change["id"], sign(current, change["statement"])
        )
    click.echo(json.dumps(status, sort_keys=True, indent=2))


@keys.command("approve-change")
@click.argument("change_id", type=int)
@_KEY
@_TOKEN
@click.pass_context
@handle_errors
def keys_approve_change(ctx: click.Context, change_id: int, key_file: Path, token: str | None) -> None:  # fmt: skip
    """Sign a proposed key change with your guarantor's current key."""
    from ceasefire.governance import approve_key_change, authenticate, key_change_status
    from ceasefire.governance.signing import load_private_key, sign

    key = load_private_key(key_file)
    with _settings(ctx).store() as store:
        account = authenticate(store, token)
        text = key_change_status(store, change_id)["statement"]
        status = approve_key_change(store, account, change_id, sign(key, text))
    click.echo(json.dumps(status, sort_keys=True, indent=2))


@keys.command("sign")
@click.argument("statement_file", type=click.File("r", encoding="utf-8"))
@_KEY
@handle_errors
def keys_sign(statement_file: Any, key_file: Path) -> None:
    """Sign a statement (a file, or - for standard input) and print the base64 signature: for
    approving over the API (POST /decisions/{id}/approve). Check the statement before signing."""
    from ceasefire.governance.signing import load_private_key, sign

    text = statement_file.read()
    click.echo(sign(load_private_key(key_file), text.removesuffix("\n")))


@cli.group()
def decisions() -> None:
    """Joint decisions of the guarantors (extend a phase, reset the clock…)."""


@decisions.command("propose")
@click.option("--agreement", "agreement_name", required=True)
@click.option("--kind", required=True)
@click.option(
    "--subject", required=True, help="The phase, condition, actor, zone or incident it is about."
)
@click.option(
    "--value",
    default=None,
    help="The new coverage (change_coverage) or the qualification (publish_determination).",
)
@click.option("--effective", required=True, help="ISO 8601 date-time with offset.")
@click.option("--until", default=None)
@click.option("--text", default="")
@click.option(
    "--decided-at",
    "decided_at",
    default=None,
    help="When the guarantors decided, if recorded later.",
)
@_KEY
@_TOKEN
@click.pass_context
@handle_errors
def decisions_propose(ctx: click.Context, agreement_name: str, kind: str, subject: str, value: str | None,
                      effective: str, until: str | None, text: str, decided_at: str | None,
                      key_file: Path, token: str | None) -> None:  # fmt: skip
    """Propose a decision and approve it with your guarantor's key (the approval counts once)."""
    from ceasefire.governance import authenticate, decision_status, propose
    from ceasefire.governance.signing import load_private_key

    settings = _settings(ctx)
    agreement_obj = _agreement_for(ctx, agreement_name)
    key = load_private_key(key_file)
    with settings.store() as store:
        account = authenticate(store, token)
        decision_id = propose(store, account, kind, subject, text, _parse_instant(effective, settings, "--effective"),
                              _parse_instant(until, settings, "--until") if until else None,
                              _parse_instant(decided_at, settings, "--decided-at") if decided_at else None,
                              agreement=agreement_obj, value=value, key=key)  # fmt: skip
        status = decision_status(store, decision_id, agreement_obj)
    click.echo(json.dumps(status, sort_keys=True, indent=2))


@decisions.command("approve")
@click.argument("decision_id")
@click.option("--agreement", "agreement_name", required=True)
@_KEY
@_TOKEN
@click.pass_context
@handle_errors
def decisions_approve(
    ctx: click.Context, decision_id: str, agreement_name: str, key_file: Path, token: str | None
) -> None:
    """Approve a decision: your guarantor's key signs its statement."""
    from ceasefire.governance import authenticate, decision_statement
    from ceasefire.governance.signing import load_private_key, sign
    from ceasefire.service import approve_decision

    key = load_private_key(key_file)
    with _settings(ctx).store() as store:
        account = authenticate(store, token)
        signature = sign(key, decision_statement(store, decision_id))
        status = approve_decision(
            store, account, decision_id, _agreement_for(ctx, agreement_name), signature
        )
    click.echo(json.dumps(status, sort_keys=True, indent=2))


@decisions.command("statement")
@click.argument("decision_id")
@click.pass_context
@handle_errors
def decisions_statement(ctx: click.Context, decision_id: str) -> None:
    """Print the exact statement a guarantor's key signs to approve the decision."""
    from ceasefire.governance import decision_statement

    with _settings(ctx).store() as store:
        click.echo(decision_statement(store, decision_id))


@cli.group()
def webhooks() -> None:
    """Signed alerts to other systems."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--events", default="decision", help="Comma-separated: decision, serious_incident, clock."
)
@click.option(
    "--agreement",
    "agreement_name",
    default=None,
    help="The agreement watched: its clock (needed for clock) and its violations (serious_incident).",
)
@click.option("--audience", default="public", show_default=True, metavar="public|all|party:ID",
              help="What the receiver may learn: 'all' for a system of the centre's staff or the "
                   "guarantors, 'party:ID' for a party's cell; unreleased submissions reach only "
                   "the hooks that may see them.")  # fmt: skip
@_TOKEN
@click.pass_context
@handle_errors
def webhooks_add(ctx: click.Context, url: str, events: str, agreement_name: str | None,
                 audience: str, token: str | None) -> None:  # fmt: skip
    """Register a webhook (admin); prints its signing secret once."""
    from ceasefire.alerts import add_webhook
    from ceasefire.governance import allow, authenticate

    with _settings(ctx).store() as store:
        admin = authenticate(store, token)
        allow(admin, "users.add")
        hook_id, secret = add_webhook(
            store, url, [e.strip() for e in events.split(",") if e.strip()], admin.name,
            agreement_name, audience,
        )  # fmt: skip
    click.echo(f"webhook {hook_id} for {events}; signing secret, shown once:")
    click.echo(secret)


@cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log, which vouches for every row written."""


@audit_group.command("verify")
@click.option("--head", "expected", default=None, help="SEQ:HASH kept outside the system.")
@click.option("--checkpoint", "checkpoints", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint file a guarantor signed (ceasefire audit checkpoint); repeatable.")  # fmt: skip
@click.pass_context
@handle_errors
def audit_verify(ctx: click.Context, expected: str | None, checkpoints: tuple[Path, ...]) -> None:
    """Check the chain, every row against the entry that wrote it, every key and every approval's
    signature; name the first bad entry and each row no entry vouches for (exit 1)."""
    from ceasefire.governance import verify_workspace
    from ceasefire.store import audit

    kept = None
    if expected:
        seq, _, digest = expected.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ConfigError("--head must be SEQ:HASH as printed by ceasefire audit head.")
        kept = (int(seq), digest)
    held = []
    for path in checkpoints:
        try:
            held.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: not a checkpoint file ({exc}).") from None
    with _settings(ctx).store() as store:
        problems = verify_workspace(store, kept, tuple(held))
        last = audit.head(store.conn)
    if problems:
        for problem in problems:
            click.echo(str(problem))
        sys.exit(1)
    click.echo(f"audit log intact: {last[0]} entries, head {last[0]}:{last[1]}; every covered row "
               "and every signature verified")  # fmt: skip


@audit_group.command("head")
@click.pass_context
@handle_errors
def audit_head(ctx: click.Context) -> None:
    """Print SEQ:HASH of the last entry, to keep outside the system."""
    from ceasefire.store import audit

    with _settings(ctx).store() as store:
        seq, digest = audit.head(store.conn)
    click.echo(f"{seq}:{digest}")


@audit_group.command("checkpoint")
@_KEY
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the signed checkpoint (JSON); keep it outside the system.")  # fmt: skip
@click.pass_context
@handle_errors
def audit_checkpoint(ctx: click.Context, key_file: Path, out: Path) -> None:
    """Sign the current head and the guarantors' key fingerprints with your guarantor's key."""
    from ceasefire.governance import make_checkpoint
    from ceasefire.governance.signing import load_private_key

    key = load_private_key(key_file)
    with _settings(ctx).store() as store:
        data = make_checkpoint(store, key)
    _write_atomic(out, json.dumps(data, sort_keys=True, indent=2) + "\n")
    fields = data["checkpoint"]
    click.echo(
        f"checkpoint {fields['seq']}:{fields['hash']} signed by {fields['guarantor']}: {out}"
    )


@cli.command("serve")
@click.option("--host", default="127.0.0.1", help="Loopback by default.")
@click.option("--port", default=8740, type=click.IntRange(1, 65535))
@click.option(
    "--rate",
    default=200.0,
    type=click.FloatRange(min=1),
    help="Requests per second allowed per token (or per address without one); 429 above it.",
)
@click.option("--burst", default=400.0, type=click.FloatRange(min=1), help="Burst above the rate.")
@click.option("--access-log/--no-access-log", default=True, help="Log each request.")
@click.option("--agreement", "agreement_name", default="syria-2016-09", show_default=True,
              help="The bundled agreement the dashboard opens (any other can be chosen there).")  # fmt: skip
@click.pass_context
@handle_errors
def serve(
    ctx: click.Context, host: str, port: int, rate: float, burst: float, access_log: bool,
    agreement_name: str,
) -> None:  # fmt: skip
    """Serve the HTTP API (OpenAPI description at /openapi.json)."""
    import uvicorn

    from ceasefire.api.app import create_app

    settings = _settings(ctx)
    with settings.store() as store:
        store.conn  # noqa: B018 - create and migrate the workspace before serving
    from ceasefire.dashboard import STATIC_DIR

    if not (STATIC_DIR / "index.html").is_file():
        click.echo("note: the web dashboard is not built (run scripts/setup; it needs npm); "
                   "the API is served, and / says how to build it.", err=True)  # fmt: skip
    click.echo(f"Dashboard: http://{host}:{port}/")
    if agreement_name not in bundled_names():
        raise ConfigError(
            f"--agreement: {agreement_name!r} is not bundled; one of {', '.join(bundled_names())}."
        )
    app = create_app(settings.workspace, settings.timezone, rate=rate, burst=burst,
                     database_url=settings.database_url, default_agreement=agreement_name)  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)


# -- demo -----------------------------------------------------------------------------------------
@cli.command("demo")
@click.option("--agreement", "agreement_name", default="syria-2016-09", show_default=True,
              help="A bundled agreement: replayed over the bundled UCDP events of its period.")  # fmt: skip
@click.option("--first", default=None, help="First report date [default: the start day].")
@click.option("--last", default=None, help="Last report date [default: eight days later].")
@click.option(
    "--workspace",
    "demo_workspace",
    type=click.Path(file_okay=False),
    default=None,
    help="Workspace for the demo (overrides the global option).",
)
@click.option("--serve/--no-serve", default=True, help="Then serve the dashboard (default).")
@click.option("--host", default="127.0.0.1", help="Loopback by default.")
@click.option("--port", default=8740, type=click.IntRange(1, 65535))
@click.pass_context
@handle_errors
def demo(ctx: click.Context, agreement_name: str, first: str | None, last: str | None,
         demo_workspace: str | None, serve: bool, host: str, port: int) -> None:  # fmt: skip
    """Replay a bundled agreement end to end from UCDP events (default: the US–Russia cessation of
    12–19 Sept 2016), write its daily reports, create demo accounts, then serve the dashboard."""
    if demo_workspace is not None:
        ctx.obj["settings"] = Settings.from_env(demo_workspace, None, _settings(ctx).database_url)
    from rich.console import Console
    from rich.table import Table

    from ceasefire.demo import run_demo

    if agreement_name not in bundled_names():
        raise ConfigError(
            f"--agreement: {agreement_name!r} is not bundled; one of {', '.join(bundled_names())}."
        )
    settings = _settings(ctx)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    result = run_demo(settings, _parse_date(first, "--first") if first else None,
                      _parse_date(last, "--last") if last else None, console, agreement_name)  # fmt: skip
    table = Table(title=f"{result['agreement']} — daily clock (reports in {result['reports_dir']})")
    columns = (("date", "date"), ("phase", "phases in force"), ("day", "agreement day"),
               ("indicator", "violence indicator"), ("violations", "violations"),
               ("undetermined", "undetermined"), ("conditions", "conditions"), ("deadlines", "deadlines"))  # fmt: skip
    for _, title in columns:
        table.add_column(title)
    for row in result["days"]:
        table.add_row(*(str(row[key]) for key, _ in columns))
    console.print(table)
    for line in result["notes"]:
        console.print(f"• {line}")
    from ceasefire.demo import DEMO_KEYS_DIR, ensure_demo_accounts

    accounts = ensure_demo_accounts(settings.workspace, settings.database_url)
    console.print(f"Demo accounts (local demo tokens, one per role): {accounts}; the demo guarantors' "
                  f"signing keys (decisions approve --key): {accounts.parent / DEMO_KEYS_DIR}")  # fmt: skip
    if not serve:
        return
    import uvicorn

    from ceasefire.api.app import create_app
    from ceasefire.dashboard import STATIC_DIR

    if not (STATIC_DIR / "index.html").is_file():
        console.print("The dashboard's web files are not built: run scripts/setup (needs npm).")
    console.print(f"Dashboard: http://{host}:{port}/  (Ctrl-C to stop)")
    app = create_app(
        settings.workspace,
        settings.timezone,
        database_url=settings.database_url,
        default_agreement=agreement_name,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main() -> None:
    cli(prog_name="ceasefire")
