"""Load an agreement file, validate every part of it, and report problems with their lines.

A file is read as YAML with the line of every value (:mod:`ceasefire.agreements.located`),
validated against the typed format (:mod:`ceasefire.agreements.schema`), then built into the
runtime model with every cross-reference checked (:mod:`ceasefire.agreements.build`).  All
problems are collected (not just the first) as ``FILE:LINE: field: message``; an
:class:`~ceasefire.errors.AgreementError` carries them.  Warnings (a stated start that disagrees
with the computed sundown) are kept on the agreement as notes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ceasefire.agreements.build import Builder
from ceasefire.agreements.located import Located, LocatedError, load_located
from ceasefire.agreements.schema import AgreementFile
from ceasefire.errors import AgreementError, ConfigError, NotFoundError, Problem
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.agreement import Agreement

__all__ = [
    "MAX_AGREEMENT_BYTES",
    "bundled_agreement_path",
    "bundled_names",
    "check_agreement",
    "default_registry",
    "load_agreement",
    "load_bundled_agreement",
    "parse_agreement",
    "resolve_agreement_path",
]

MAX_AGREEMENT_BYTES = 5_000_000
CONVERT_HINT = (
    "schema_version 1 is no longer read: convert the file with `ceasefire agreement convert FILE"
    " --output NEW.yaml`, then check NEW.yaml (docs/agreement-format.md describes version 2)"
)


def _data_dir() -> Path:
    return Path(str(resources.files("ceasefire") / "data"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in (_data_dir() / "agreements").glob("*.yaml"))


def resolve_agreement_path(name_or_path: str) -> Path:
    """A file path, or the name of a bundled agreement (``syria-2016-09``)."""
    candidate = Path(name_or_path)
    if _is_file(candidate):
        return candidate
    if name_or_path in bundled_names():
        return _data_dir() / "agreements" / f"{name_or_path}.yaml"
    names = ", ".join(bundled_names())
    raise ConfigError(
        f"No agreement file or bundled agreement named {name_or_path!r}. "
        f"Give a path to a YAML file, or one of the bundled names: {names}."
    )


def bundled_agreement_path(name: str) -> Path:
    """The file of a bundled agreement, by name only: what the server accepts (a name sent over
    HTTP is never read as a path on the server)."""
    if name not in bundled_names():
        raise NotFoundError(f"No agreement {name!r}; known: {', '.join(bundled_names())}.")
    return _data_dir() / "agreements" / f"{name}.yaml"


def load_bundled_agreement(name: str) -> Agreement:
    """A bundled agreement by name only (see ``bundled_agreement_path``); an unknown name is a
    usage error (:class:`ConfigError`), as for any other bad parameter."""
    if name not in bundled_names():
        raise ConfigError(f"No bundled agreement {name!r}; known: {', '.join(bundled_names())}.")
    return load_agreement(str(bundled_agreement_path(name)))


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that says no, rather than raising, for a name too long or malformed."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


@cache
def _bundled_registry() -> ActorRegistry:
    registry = ActorRegistry.from_csv(_data_dir() / "actors.csv")
    registry.load_memberships(_data_dir() / "memberships.csv")
    return registry


def default_registry() -> ActorRegistry:
    """The bundled actor registry with its dated memberships (a fresh copy each call)."""
    return _bundled_registry().copy()


def load_agreement(name_or_path: str, registry: ActorRegistry | None = None) -> Agreement:
    path = resolve_agreement_path(name_or_path)
    display = str(path) if _is_file(Path(name_or_path)) else name_or_path
    text, problems = _read(path, display)
    if text is None:
        raise AgreementError(problems)
    return parse_agreement(text, display, registry or default_registry(), path.parent)


def parse_agreement(
    text: str, filename: str, registry: ActorRegistry,
    base_dir: Path | Mapping[str, str] | None = None,
) -> Agreement:  # fmt: skip
    """An agreement from its text; ``base_dir``: where its geometry files are (a folder, or the
    files themselves by name, for an agreement registered in a workspace)."""
    agreement, problems = _build(text, filename, registry, base_dir)
    errors = [p for p in problems if p.severity == "error"]
    if errors or agreement is None:
        raise AgreementError(errors or problems)
    return agreement


def check_agreement(name_or_path: str) -> list[Problem]:
    """Every problem (errors and warnings) in a file, for ``ceasefire agreement check``."""
    path = resolve_agreement_path(name_or_path)
    text, problems = _read(path, name_or_path)
    if text is None:
        return problems
    _, problems = _build(text, name_or_path, default_registry(), path.parent)
    return sorted(set(problems))


def read_document(name_or_path: str) -> tuple[Located | None, list[Problem]]:
    """The located YAML document of a file (for conversion), or the problems reading it."""
    path = resolve_agreement_path(name_or_path)
    text, problems = _read(path, name_or_path)
    if text is None:
        return None, problems
    return _parse_yaml(text, name_or_path)


def _read(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    try:
        size = path.stat().st_size
        if size > MAX_AGREEMENT_BYTES:
            return None, [
                Problem(
                    display, 1, "(file)", f"is {size:,} bytes; the limit is {MAX_AGREEMENT_BYTES:,}"
                )
            ]
        return path.read_text(encoding="utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 1, "(file)", f"is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem(display, 1, "(file)", f"cannot be read ({exc.strerror})")]


def _parse_yaml(text: str, filename: str) -> tuple[Located | None, list[Problem]]:
    try:
        return load_located(text), []
    except LocatedError as exc:
        return None, [Problem(filename, exc.line, "(yaml)", str(exc))]
    except RecursionError:
        return None, [Problem(filename, 1, "(yaml)", "the document is nested too deeply to read")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(filename, line, "(yaml)", f"not valid YAML: {problem}")]


def _build(
    text: str, filename: str, registry: ActorRegistry, base_dir: Path | Mapping[str, str] | None
) -> tuple[Agreement | None, list[Problem]]:
    located, problems = _parse_yaml(text, filename)
    if located is None:
        return None, problems
    doc = located.data
    if not isinstance(doc, dict):
        return None, [
            Problem(
                filename,
                1,
                "(document)",
                "must be a YAML mapping with 'schema_version: 2' and 'agreement'",
            )
        ]
    if doc.get("schema_version") == 1:
        return None, [
            Problem(filename, located.line(("schema_version",)), "schema_version", CONVERT_HINT)
        ]
    try:
        spec = AgreementFile.model_validate(doc)
    except ValidationError as exc:
        return None, sorted({_problem(located, filename, e) for e in exc.errors()})
    builder = Builder(spec, located, filename, registry, base_dir)
    agreement = builder.build()
    return agreement, builder.problems


# -- pydantic errors → located problems -------------------------------------------------------
_KINDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "finite_number": "a finite number",
}


def _data_path(doc: Any, loc: tuple[Any, ...]) -> tuple[tuple[str | int, ...], Any, bool]:
    """The path in the document that ``loc`` names (union tags and wrappers skipped), the value
    there, and whether the whole path exists."""
    node: Any = doc
    path: list[str | int] = []
    exists = True
    for part in loc:
        child = _child(node, part)
        if child is not _MISSING:
            node = child
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part not in _TAGS:
            path.append(part)  # a missing or unknown key
            exists = False
            break
    return tuple(path), node, exists


_MISSING = object()


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


_TAGS = {
    "reduced_violence",
    "humanitarian_access_delivered",
    "air_activity_halted",
    "consecutive_days",
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _problem(located: Located, filename: str, error: Any) -> Problem:
    loc = tuple(error["loc"])
    path, value, exists = _data_path(located.data, loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    shown_path = path
    if kind == "missing":
        shown_path = path[:-1]
        message = f"is missing the required field {path[-1]!r}" if path else "is incomplete"
    elif kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        hint = _closest(key, _all_field_names())
        message = "is not a known field" + (f"; did you mean {hint!r}?" if hint else "")
    elif kind == "literal_error":
        message = f"{_show(error.get('input'))} must be one of {ctx.get('expected', '')}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        message = f"'type' must be one of {ctx.get('expected_tags', sorted(_TAGS))}"
    elif kind == "string_pattern_mismatch":
        message = f"{_show(error.get('input'))} {_pattern_message(str(ctx.get('pattern', '')))}"
    elif kind in _KINDS:
        got = error.get("input")
        message = f"must be {_KINDS[kind]}, not {type(got).__name__} {_show(got)}"
    else:
        message = str(error.get("msg", "is invalid")).rstrip(".")
        message = message[:1].lower() + message[1:]
    _ = exists, value
    field = ".".join(str(p) for p in shown_path if p != "agreement") or "(document)"
    return Problem(filename, located.line(path), field, message)


def _pattern_message(pattern: str) -> str:
    if "{0,119}" in pattern:
        return "must be a file name beside the agreement file (letters, digits, _ . -), not a path"
    if "[A-Z]{2}[0-9]" in pattern:
        return "is not an OCHA P-code (e.g. SY07, SY0703, SY070300)"
    if "{0,39}" in pattern:
        return "is not a source key (letters, digits, _ . -; e.g. S12)"
    return "is not a valid id: start with a letter; use letters, digits, _ . : - (at most 80)"


@cache
def _all_field_names() -> frozenset[str]:
    names: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            for key, value in schema.items():
                if key == "properties" and isinstance(value, dict):
                    names.update(value)
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    walk(AgreementFile.model_json_schema())
    return frozenset(names)


def _closest(word: str, options: frozenset[str] | set[str]) -> str | None:
    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return found[0] if found else None
