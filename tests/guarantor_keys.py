"""Guarantors' keys for tests: made in memory, registered as a guarantor would at setup."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.governance import authenticate, decision_statement, register_key
from ceasefire.governance.keys import key_statement
from ceasefire.governance.signing import PrivateKey, public_key_of, sign
from ceasefire.store import Store


def register(store: Store, token: str) -> PrivateKey:
    """A new key pair for the token's guarantor, its public key registered with the proof."""
    account = authenticate(store, token)
    key = Ed25519PrivateKey.generate()
    public = public_key_of(key)
    register_key(store, account, public, sign(key, key_statement(account.party or "", public)))
    return key


def signature(store: Store, key: PrivateKey, decision_id: str) -> str:
    """The key's signature of the decision's statement (what a guarantor approves with)."""
    return sign(key, decision_statement(store, decision_id))


def cli_key(ws: Path, token: str, path: Path) -> str:
    """As a guarantor would at setup: ``keys generate`` on its machine, ``keys register``; returns
    the private key file's path."""
    from click.testing import CliRunner

    from ceasefire.cli import cli

    for args in (
        ["keys", "generate", "--out", str(path)],
        ["keys", "register", "--key", str(path)],
    ):
        result = CliRunner().invoke(
            cli, ["--workspace", str(ws), *args], env={"CEASEFIRE_TOKEN": token}
        )
        assert result.exit_code == 0, result.output
    return str(path)
