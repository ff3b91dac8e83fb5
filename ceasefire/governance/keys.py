"""The guarantors' public keys: registered once at setup, changed only by every current key.

A guarantor account registers its guarantor's first key (``keys register``) with a proof that it
holds the private key (its signature of ``ceasefire.key/1``). Once a guarantor has a key, no
account — an admin's, another of the same guarantor's — can register another: a new key comes
only through a key change (``keys propose-change``) that takes effect when every guarantor's
current key has signed its statement. The admin holds no key and so can neither approve a decision
nor change a key.

:func:`key_ledger` reads the keys as the audit chain vouches for them and replays their history:
a key counts from the entry that registered it until the entry that replaced it, and only if its
registration was legitimate; everything else is a problem ``audit verify`` names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ceasefire.errors import ConfigError, NotFoundError
from ceasefire.governance.accounts import Account, allow, now_text
from ceasefire.governance.signing import fingerprint, parse_public_key, signature_valid, statement
from ceasefire.store import Store, audit

__all__ = ["GuarantorKey", "KeyLedger", "approve_key_change", "key_change_status", "key_ledger", "key_statement",
           "list_keys", "propose_key_change", "register_key"]  # fmt: skip


@dataclass(frozen=True)
class GuarantorKey:
    fingerprint: str
    guarantor: str
    public_key: str
    registered_at: str
    seq: int  # the audit entry that registered it
    until_seq: int | None = None  # the entry that replaced it
    change_id: int | None = None

    def active_at(self, seq: int) -> bool:
        return self.seq <= seq and (self.until_seq is None or seq < self.until_seq)


@dataclass(frozen=True)
class KeyLedger:
    keys: tuple[GuarantorKey, ...]
    problems: tuple[tuple[str, str], ...]  # (row, what is wrong with it)

    def current(self) -> dict[str, GuarantorKey]:
        return {k.guarantor: k for k in self.keys if k.until_seq is None}

    def by_fingerprint(self, value: str | None) -> GuarantorKey | None:
        return next((k for k in self.keys if k.fingerprint == value), None)


def key_statement(guarantor: str, public_key: str) -> str:
    """What a key's holder signs to register it (proof of possession)."""
    return statement("key", guarantor=guarantor, public_key=public_key)


def change_statement(change_id: int, guarantor: str, public_key: str) -> str:
    return statement("key-change", id=change_id, guarantor=guarantor, public_key=public_key)


def key_ledger(store: Store) -> KeyLedger:
    conn = store.conn
    rows = audit.vouched(conn, "guarantor_keys")
    changes = {k[0]: v for k, v in audit.vouched(conn, "key_changes").items()}
    signatures = audit.vouched(conn, "key_change_signatures")
    active: dict[str, GuarantorKey] = {}
    legit: list[GuarantorKey] = []
    problems: list[tuple[str, str]] = []
    for (fp,), (row, seq) in sorted(rows.items(), key=lambda item: item[1][1]):
        _, guarantor, public_key, proof, _by, registered_at, change_id = row
        where = f"guarantor_keys(fingerprint={fp})"
        if fingerprint(public_key) != fp or not signature_valid(
            public_key, key_statement(guarantor, public_key), proof
        ):
            problems.append((where, "its fingerprint or its holder's proof does not verify"))
            continue
        if change_id is None:
            if guarantor in active:
                problems.append((where, f"a second first key for {guarantor}: it does not count"))
                continue
        else:
            change = changes.get(change_id)
            if change is None or change[0][1:4] != [guarantor, public_key, fp]:
                problems.append((where, f"key change {change_id} does not vouch for it"))
                continue
            text = change_statement(change_id, guarantor, public_key)
            unsigned = [
                g for g, key in active.items()
                if not any(
                    sig_key == (change_id, g) and sig_row[2] == key.fingerprint and sig_seq < seq
                    and signature_valid(key.public_key, text, sig_row[3])
                    for sig_key, (sig_row, sig_seq) in signatures.items()
                )
            ]  # fmt: skip
            if unsigned:
                problems.append((where, f"key change {change_id} lacks a valid signature by the "
                                 f"current key of {', '.join(sorted(unsigned))}"))  # fmt: skip
                continue
        key = GuarantorKey(fp, guarantor, public_key, registered_at, seq, None, change_id)
        if guarantor in active:
            old = active[guarantor]
            legit[legit.index(old)] = replace(old, until_seq=seq)
        active[guarantor] = key
        legit.append(key)
    return KeyLedger(tuple(legit), tuple(problems))


def list_keys(store: Store) -> list[dict[str, Any]]:
    ledger = key_ledger(store)
    return [{"guarantor": k.guarantor, "fingerprint": k.fingerprint, "public_key": k.public_key,
             "registered_at": k.registered_at, "current": k.until_seq is None,
             "by": f"key change {k.change_id}" if k.change_id else "setup"}
            for k in sorted(ledger.keys, key=lambda k: (k.guarantor, k.seq))]  # fmt: skip


def _own(account: Account) -> str:
    if not account.party:
        raise ConfigError(f"The account {account.name!r} speaks for no guarantor.")
    return account.party


def register_key(store: Store, account: Account, public_key: str, proof: str) -> str:
    """Register the first key of the account's guarantor; returns its fingerprint."""
    allow(account, "keys.register")
    guarantor = _own(account)
    public_key = parse_public_key(public_key)
    if not signature_valid(public_key, key_statement(guarantor, public_key), proof):
        raise ConfigError("The proof is not this key's signature of its registration statement "
                          f"{key_statement(guarantor, public_key)}.")  # fmt: skip
    fp = fingerprint(public_key)
    with store.transaction() as conn:
        found = conn.execute(
            "SELECT fingerprint FROM guarantor_keys WHERE guarantor = ? OR fingerprint = ?",
            (guarantor, fp),
        ).fetchone()
        if found is not None:
            raise ConfigError(
                f"{guarantor} has a key already ({found[0][:16]}…); a new key takes a key change "
                "that every guarantor's current key signs: ceasefire keys propose-change."
            )
        conn.execute(
            "INSERT INTO guarantor_keys(fingerprint, guarantor, public_key, proof, registered_by, "
            "registered_at) VALUES (?, ?, ?, ?, ?, ?)",
            (fp, guarantor, public_key, proof, account.id, now_text()),
        )
        audit.append(conn, account.name, "keys.register", guarantor, {"fingerprint": fp},
                     [("guarantor_keys", (fp,))])  # fmt: skip
    return fp


def propose_key_change(store: Store, account: Account, public_key: str, proof: str) -> dict[str, Any]:  # fmt: skip
    """Propose a new key for the account's own guarantor; returns the change and the statement
    every current key must sign."""
    allow(account, "keys.change")
    guarantor = _own(account)
    public_key = parse_public_key(public_key)
    if not signature_valid(public_key, key_statement(guarantor, public_key), proof):
        raise ConfigError("The proof is not the new key's signature of its registration statement.")  # fmt: skip
    if guarantor not in key_ledger(store).current():
        raise ConfigError(f"{guarantor} has no key yet: register its first one (keys register).")
    fp = fingerprint(public_key)
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM guarantor_keys WHERE fingerprint = ?", (fp,)).fetchone():
            raise ConfigError("That key is registered already.")
        (change_id,) = conn.execute(
            "INSERT INTO key_changes(guarantor, public_key, fingerprint, proof, proposed_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (guarantor, public_key, fp, proof, account.id, now_text()),
        ).fetchone()
        audit.append(conn, account.name, "keys.propose_change", str(change_id),
                     {"guarantor": guarantor, "fingerprint": fp}, [("key_changes", (change_id,))])  # fmt: skip
    return key_change_status(store, int(change_id))


def key_change_status(store: Store, change_id: int) -> dict[str, Any]:
    if not 1 <= change_id < 2**63:  # beyond any stored id, and any SQL integer
        raise NotFoundError(f"No key change {change_id}.")
    row = store.conn.execute(
        "SELECT guarantor, public_key, fingerprint, applied_at FROM key_changes WHERE id = ?",
        (change_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"No key change {change_id}.")
    signed = sorted(g for (g,) in store.conn.execute(
        "SELECT guarantor FROM key_change_signatures WHERE change_id = ?", (change_id,)))  # fmt: skip
    required = sorted(key_ledger(store).current())
    return {"id": change_id, "guarantor": row[0], "public_key": row[1], "fingerprint": row[2],
            "applied_at": row[3], "signed_by": signed, "required": required,
            "statement": change_statement(change_id, row[0], row[1])}  # fmt: skip


def approve_key_change(store: Store, account: Account, change_id: int, signature: str) -> dict[str, Any]:  # fmt: skip
    """Sign a key change with the account's guarantor's current key; when every current key has
    signed, the new key replaces the old one."""
    allow(account, "keys.change")
    guarantor = _own(account)
    status = key_change_status(store, change_id)
    if status["applied_at"]:
        raise ConfigError(f"Key change {change_id} took effect already.")
    current = key_ledger(store).current()
    key = current.get(guarantor)
    if key is None:
        raise ConfigError(f"{guarantor} has no key; it cannot sign a key change.")
    if not signature_valid(key.public_key, status["statement"], signature):
        raise ConfigError(f"The signature is not {guarantor}'s current key's signature of "
                          f"{status['statement']}.")  # fmt: skip
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM key_change_signatures WHERE change_id = ? AND guarantor = ?",
                        (change_id, guarantor)).fetchone():  # fmt: skip
            raise ConfigError(f"{guarantor} has signed key change {change_id} already.")
        conn.execute(
            "INSERT INTO key_change_signatures(change_id, guarantor, key_fingerprint, signature, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (change_id, guarantor, key.fingerprint, signature, now_text()),
        )
        audit.append(conn, account.name, "keys.sign_change", str(change_id),
                     {"guarantor": guarantor, "key": key.fingerprint},
                     [("key_change_signatures", (change_id, guarantor))])  # fmt: skip
    status = key_change_status(store, change_id)
    if set(status["required"]) <= set(status["signed_by"]):
        with store.transaction() as conn:
            proof = conn.execute("SELECT proof, proposed_by FROM key_changes WHERE id = ?",
                                 (change_id,)).fetchone()  # fmt: skip
            conn.execute(
                "INSERT INTO guarantor_keys(fingerprint, guarantor, public_key, proof, registered_by, "
                "registered_at, change_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (status["fingerprint"], status["guarantor"], status["public_key"], proof[0],
                 proof[1], now_text(), change_id),
            )  # fmt: skip
            conn.execute(
                "UPDATE key_changes SET applied_at = ? WHERE id = ?", (now_text(), change_id)
            )
            audit.append(conn, account.name, "keys.change", status["guarantor"],
                         {"change": change_id, "fingerprint": status["fingerprint"]},
                         [("guarantor_keys", (status["fingerprint"],)),
                          ("key_changes", (change_id,))])  # fmt: skip
        status = key_change_status(store, change_id)
    return status
