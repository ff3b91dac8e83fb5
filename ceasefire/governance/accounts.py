"""Accounts, roles and tokens — every change audited, with the account's row in the entry.

A token is ``cfj_`` + 40 random base62 characters + a 6-character CRC-32 checksum of them, so a
secret scanner can recognise one (and reject a typo) without asking the server; only its sha256
is stored. An admin lists accounts, disables or re-enables one, sets when its token expires, and
rotates it (a new token, shown once; the old one stops working at once). Tokens made before
schema 8 have no prefix and still work until rotated; ``users list`` marks them.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ceasefire.errors import AccessDeniedError, ConfigError, NotFoundError
from ceasefire.model.agreement import Agreement
from ceasefire.store import Store, audit

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "TOKEN_PREFIX",
    "Account",
    "add_user",
    "allow",
    "authenticate",
    "disable_user",
    "expire_user",
    "list_users",
    "rotate_token",
]

ROLES = ("admin", "guarantor", "party", "monitor", "public")
EVERYONE = frozenset(ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.add": frozenset({"admin"}),
    "agreements.register": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),  # list, disable, enable, expire, rotate
    "decisions.propose": frozenset({"guarantor"}),
    "decisions.approve": frozenset({"guarantor"}),
    "decisions.read": EVERYONE,
    "keys.register": frozenset({"guarantor"}),
    "keys.change": frozenset({"guarantor"}),
    "keys.read": EVERYONE,
    "audit.verify": frozenset({"admin", "guarantor", "monitor"}),
    "links.undo": frozenset({"admin", "monitor"}),  # two feeds' incidents are not one event
}
# the public prefix every token starts with (for secret scanners), not a secret
TOKEN_PREFIX = "cfj_"  # nosec B105
_ALPHABET = string.digits + string.ascii_letters
_BODY = 40
_CHECK = 6


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    party: str | None


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _checksum(body: str) -> str:
    n = zlib.crc32(body.encode("ascii"))
    out = ""
    for _ in range(_CHECK):
        n, digit = divmod(n, len(_ALPHABET))
        out = _ALPHABET[digit] + out
    return out


def new_token() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    return f"{TOKEN_PREFIX}{body}{_checksum(body)}"


def well_formed(token: str) -> bool:
    """A ``cfj_`` token whose checksum holds (a legacy token, without the prefix, passes)."""
    if not token.startswith(TOKEN_PREFIX):
        return True
    rest = token[len(TOKEN_PREFIX) :]
    body, check = rest[:-_CHECK], rest[-_CHECK:]
    return len(body) == _BODY and all(c in _ALPHABET for c in rest) and _checksum(body) == check


def allow(account: Account, permission: str) -> None:
    if account.role not in PERMISSIONS[permission]:
        raise AccessDeniedError(
            f"The {account.role} account {account.name!r} may not {permission}."
        )


def add_user(store: Store, name: str, role: str, party: str | None, by: str,
             agreement: Agreement | None = None, expires_at: datetime | None = None) -> str:  # fmt: skip
    """Create an account; returns its token (shown once). The first account must be an admin."""
    if role not in ROLES:
        raise ConfigError(f"Role {role!r} is not one of {', '.join(ROLES)}.")
    if role in ("guarantor", "party") and not party:
        raise ConfigError(f"A {role} account needs --party (the guarantor or party it speaks for).")
    if role == "guarantor" and agreement is not None and party not in agreement.guarantor_ids():
        raise ConfigError(
            f"{party!r} is not a guarantor of {agreement.id}: {', '.join(agreement.guarantor_ids())}."
        )
    token = new_token()
    expires = _instant(expires_at, "expires") if expires_at else None
    with store.transaction() as conn:
        (count,) = conn.execute("SELECT count(*) FROM users").fetchone()
        if count == 0 and role != "admin":
            raise ConfigError(
                "The first account must be an admin: ceasefire users add NAME --role admin."
            )
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise ConfigError(f"An account named {name!r} exists already.")
        now = now_text()
        (user_id,) = conn.execute(
            "INSERT INTO users(name, role, party, token_hash, created_at, expires_at, token_set_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (name, role, party, _hash(token), now, expires, now),
        ).fetchone()
        audit.append(conn, by, "users.add", name,
                     {"role": role, "party": party, "expires_at": expires},
                     [("users", (user_id,))])  # fmt: skip
    return token


def _instant(when: datetime, what: str) -> str:
    if when.tzinfo is None:
        raise ConfigError(f"{what}: give a UTC offset (e.g. 2026-12-31T23:59+00:00).")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def authenticate(store: Store, token: str | None) -> Account:
    """The account a token belongs to; refused when unknown, disabled or expired."""
    if not token:
        raise AccessDeniedError("This needs an account: give --token (or set CEASEFIRE_TOKEN).")
    if not well_formed(token):
        raise AccessDeniedError("The token is not valid for this workspace (its checksum fails).")
    row = store.conn.execute(
        "SELECT id, name, role, party, disabled, expires_at FROM users WHERE token_hash = ?",
        (_hash(token),),
    ).fetchone()
    if row is None:
        raise AccessDeniedError("The token is not valid for this workspace.")
    if row[4]:
        raise AccessDeniedError("The token is not valid for this workspace: its account is disabled.")  # fmt: skip
    if row[5] and datetime.fromisoformat(row[5]) <= datetime.now(UTC):
        raise AccessDeniedError(f"The token is not valid for this workspace: it expired at {row[5]}.")  # fmt: skip
    return Account(int(row[0]), str(row[1]), str(row[2]), row[3])


def list_users(store: Store, admin: Account) -> list[dict[str, Any]]:
    allow(admin, "users.manage")
    rows = store.conn.execute(
        "SELECT name, role, party, created_at, disabled, expires_at, token_set_at FROM users "
        "ORDER BY id"
    ).fetchall()
    now = datetime.now(UTC)
    out = []
    for name, role, party, created, disabled, expires, token_set in rows:
        state = ("disabled" if disabled else
                 "expired" if expires and datetime.fromisoformat(expires) <= now else "active")  # fmt: skip
        out.append({"name": name, "role": role, "party": party, "created_at": created,
                    "state": state, "expires_at": expires, "token_set_at": token_set,
                    "token": "cfj" if token_set else "legacy (no prefix): rotate it"})  # fmt: skip
    return out


def _change(store: Store, admin: Account, name: str, action: str, sql: str,
            params: tuple[Any, ...], detail: dict[str, Any]) -> None:  # fmt: skip
    allow(admin, "users.manage")
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT id, role, disabled FROM users WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"No account {name!r}; see ceasefire users list.")
        if action == "users.disable" and row[1] == "admin" and not row[2]:
            (others,) = conn.execute(
                "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?",
                (row[0],),
            ).fetchone()
            if not others:
                raise ConfigError(f"{name!r} is the last enabled admin; disabling it would lock "
                                  "every account change out.")  # fmt: skip
        conn.execute(sql, (*params, row[0]))
        audit.append(conn, admin.name, action, name, detail, [("users", (row[0],))])


def disable_user(store: Store, admin: Account, name: str, disabled: bool = True) -> None:
    """Disable an account (its token stops working at once), or enable it again."""
    _change(store, admin, name, "users.disable" if disabled else "users.enable",
            "UPDATE users SET disabled = ? WHERE id = ?", (1 if disabled else 0,), {})  # fmt: skip


def expire_user(store: Store, admin: Account, name: str, at: datetime | None) -> str:
    """Set when the account's token stops working (now by default); returns that instant."""
    when = _instant(at, "--at") if at else now_text()
    _change(store, admin, name, "users.expire", "UPDATE users SET expires_at = ? WHERE id = ?",
            (when,), {"expires_at": when})  # fmt: skip
    return when


def rotate_token(
    store: Store, admin: Account, name: str, expires_at: datetime | None = None
) -> str:
    """A new token for the account (shown once); the old one stops working at once."""
    token = new_token()
    expires = _instant(expires_at, "--expires") if expires_at else None
    _change(store, admin, name, "users.rotate",
            "UPDATE users SET token_hash = ?, token_set_at = ?, expires_at = ? WHERE id = ?",
            (_hash(token), now_text(), expires), {"expires_at": expires})  # fmt: skip
    return token
