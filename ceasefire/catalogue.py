"""The agreements a workspace knows: the bundled ones, and those an admin registered in it.

A name sent over HTTP, or kept by a webhook, is looked up here and nowhere else; it is never read
as a path.  A name is lower-case letters, digits and single hyphens (``syria-2016-09``), at most
64 characters: anything else is refused before any lookup (:class:`InvalidNameError`), and a
well-formed name that is neither bundled nor registered is not found (:class:`NotFoundError`).

Registering (``ceasefire agreement register FILE`` or ``POST /agreements``, admin only, audited)
stores the agreement's text and the geometry files it names, after the same checks as
``ceasefire agreement check``; its name is the agreement's own ``id``.  Registering the same id
again with different content adds a version; reads use the latest, and every version stays
readable.  A bundled name cannot be registered over.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ceasefire.agreements.loader import (
    MAX_AGREEMENT_BYTES,
    bundled_agreement_path,
    bundled_names,
    default_registry,
    load_bundled_agreement,
    parse_agreement,
)
from ceasefire.errors import ConfigError, NotFoundError
from ceasefire.model.agreement import Agreement
from ceasefire.store import Store, audit

__all__ = [
    "NAME_PATTERN",
    "Entry",
    "InvalidNameError",
    "Resolved",
    "check_name",
    "entries",
    "load",
    "register",
    "resolve",
    "text_of",
]

NAME_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_NAME = 64
MAX_FILES = 16
_NAME = re.compile(NAME_PATTERN)
_CACHE_SIZE = 16


class InvalidNameError(ConfigError):
    """A value given where an agreement's name belongs is not a name (a path, say)."""


@dataclass(frozen=True)
class Entry:
    name: str
    source: str  # "bundled" or "registered"
    version: int  # 0 for a bundled agreement
    sha256: str
    registered_by: str | None = None
    registered_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "version": self.version,
                "sha256": self.sha256, "registered_by": self.registered_by,
                "registered_at": self.registered_at}  # fmt: skip


def check_name(name: object) -> str:
    """``name`` if it is an agreement name; :class:`InvalidNameError` (nothing looked up) if not."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not _NAME.match(name):
        shown = repr(name)[:80]
        raise InvalidNameError(
            f"agreement: {shown} is not an agreement name (lower-case letters, digits and single "
            f"hyphens, at most {MAX_NAME} characters; see GET /agreements)"
        )
    return name


def _unknown(name: str) -> str:
    return (f"No agreement {name!r}: bundled names are {', '.join(bundled_names())}; the "
            "registered ones are listed by GET /agreements (ceasefire agreement list).")  # fmt: skip


def _bundle_digest(text: str, files: Mapping[str, str]) -> str:
    body = json.dumps({"text": text, "files": dict(sorted(files.items()))}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _latest(store: Store, name: str) -> tuple[int, str, str, str] | None:
    row = store.conn.execute(
        "SELECT version, text, files, sha256 FROM agreements WHERE name = ? "
        "ORDER BY version DESC LIMIT 1",
        (name,),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))


_cache: OrderedDict[tuple[str, str], Agreement] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[str, str], make: Any) -> Agreement:
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    agreement: Agreement = make()
    with _cache_lock:
        _cache[key] = agreement
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return agreement


@dataclass(frozen=True)
class Resolved:
    """An agreement looked up by name, with a key that changes when its content does."""

    key: str
    agreement: Agreement


def resolve(store: Store, name: object) -> Resolved:
    """The agreement called ``name`` in this workspace (bundled, or the latest registered
    version), with its content key.  Never reads a path."""
    checked = check_name(name)
    if checked in bundled_names():
        return Resolved(f"{checked}@bundled", _cached((checked, "bundled"),
                                                       lambda: load_bundled_agreement(checked)))  # fmt: skip
    latest = _latest(store, checked)
    if latest is None:
        raise NotFoundError(_unknown(checked))
    version, text, files, digest = latest
    display = f"{checked} (registered v{version})"
    agreement = _cached(
        (checked, digest),
        lambda: parse_agreement(text, display, default_registry(), json.loads(files)),
    )
    return Resolved(f"{checked}@{digest}", agreement)


def load(store: Store, name: object) -> Agreement:
    """The agreement called ``name`` in this workspace (see :func:`resolve`)."""
    return resolve(store, name).agreement


def text_of(store: Store, name: object, version: int | None = None) -> str:
    """The YAML text of an agreement (a registered one at ``version``, default the latest)."""
    checked = check_name(name)
    if checked in bundled_names():
        if version not in (None, 0):
            raise NotFoundError(f"A bundled agreement has one version; {checked!r} v{version}?")
        return bundled_agreement_path(checked).read_text(encoding="utf-8")
    if version is None:
        latest = _latest(store, checked)
        if latest is None:
            raise NotFoundError(_unknown(checked))
        return latest[1]
    row = store.conn.execute(
        "SELECT text FROM agreements WHERE name = ? AND version = ?", (checked, version)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"No version {version} of agreement {checked!r}.")
    return str(row[0])


def entries(store: Store) -> list[Entry]:
    """Every agreement the workspace knows, bundled first, each registered one at every version."""
    out = []
    for name in bundled_names():
        text = bundled_agreement_path(name).read_bytes()
        out.append(Entry(name, "bundled", 0, hashlib.sha256(text).hexdigest()))
    rows = store.conn.execute(
        "SELECT name, version, sha256, registered_by, registered_at FROM agreements "
        "ORDER BY name, version"
    ).fetchall()
    out.extend(
        Entry(str(n), "registered", int(v), str(h), str(b), str(a)) for n, v, h, b, a in rows
    )
    return out


def register(store: Store, text: str, files: Mapping[str, str], by: str) -> Entry:
    """Check and store an agreement (admin: the caller checks the permission); returns its
    entry.  The same content again changes nothing; different content is a new version."""
    if len(text.encode("utf-8")) > MAX_AGREEMENT_BYTES:
        raise ConfigError(f"An agreement is at most {MAX_AGREEMENT_BYTES:,} bytes.")
    if len(files) > MAX_FILES:
        raise ConfigError(f"An agreement comes with at most {MAX_FILES} geometry files.")
    files = dict(sorted(files.items()))
    agreement = parse_agreement(text, "the agreement to register", default_registry(), files)
    name = check_name(agreement.id)
    if name in bundled_names():
        raise ConfigError(f"{name!r} is a bundled agreement; register it under another id.")
    digest = _bundle_digest(text, files)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT version, sha256, registered_by, registered_at FROM agreements WHERE name = ? "
            "ORDER BY version DESC LIMIT 1",
            (name,),
        ).fetchone()
        if row is not None and row[1] == digest:
            return Entry(name, "registered", int(row[0]), digest, str(row[2]), str(row[3]))
        version = 1 if row is None else int(row[0]) + 1
        conn.execute(
            "INSERT INTO agreements(name, version, text, files, sha256, registered_by, "
            "registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, version, text, json.dumps(files, sort_keys=True), digest, by, now),
        )
        audit.append(conn, by, "agreements.register", name,
                     {"version": version, "sha256": digest, "files": sorted(files)},
                     [("agreements", (name, version))])  # fmt: skip
    return Entry(name, "registered", version, digest, by, now)
