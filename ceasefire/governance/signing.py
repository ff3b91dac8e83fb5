"""Ed25519 keys a guarantor holds, and the canonical statements they sign.

A statement is canonical JSON (sorted keys, no spaces, UTF-8) of an object whose ``statement``
field names what it is — ``ceasefire.decision/1``, ``ceasefire.key/1`` (proof that a key's holder
registers it), ``ceasefire.key-change/1``, ``ceasefire.checkpoint/1`` — so a signature made for
one thing can never be read as another.  Signatures and raw 32-byte public keys travel as
standard base64; a key's fingerprint is the sha256 of its raw public key, in hex.

The private key stays in a file the guarantor keeps (PKCS#8 PEM, mode 0600): ``ceasefire keys
generate --out FILE`` writes it and ``FILE.pub`` beside it; nothing here stores a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.errors import ConfigError
from ceasefire.store.audit import canonical_json

__all__ = [
    "PrivateKey",
    "fingerprint",
    "generate_key_file",
    "load_private_key",
    "parse_public_key",
    "public_key_of",
    "sign",
    "signature_valid",
    "statement",
]

PrivateKey = Ed25519PrivateKey


def statement(what: str, /, **fields: Any) -> str:
    """The exact text a key signs: canonical JSON of ``{"statement": "ceasefire.KIND/1", …}``."""
    return canonical_json({"statement": f"ceasefire.{what}/1", **fields})


def public_key_of(key: PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> str:
    """A public key given as base64 of its 32 raw bytes, or as PEM (a ``.pub`` file), in the
    base64 form the store keeps."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            loaded = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as exc:
            raise ConfigError(f"The public key is not a PEM Ed25519 key: {exc}") from None
        if not isinstance(loaded, Ed25519PublicKey):
            raise ConfigError("The public key is not an Ed25519 key.")
        raw = loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(
            "The public key must be the base64 of 32 bytes (an Ed25519 key), or a PEM file."
        )
    return base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()


def sign(key: PrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii")


def signature_valid(public_key: str, text: str, signature: str | None) -> bool:
    """Whether ``signature`` (base64) is the key's signature of ``text``; never raises."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(public_key, validate=True)
        sig = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, text.encode("utf-8"))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def load_private_key(path: Path) -> PrivateKey:
    """The private key in ``path`` (as written by :func:`generate_key_file`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the key file {path}: {exc.strerror}.") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not an unencrypted PEM private key ({exc}); make one with "
            "ceasefire keys generate --out FILE."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} holds a key of another kind; ceasefire signs with Ed25519.")
    return key


def generate_key_file(out: Path) -> tuple[str, str]:
    """Write a new private key to ``out`` (mode 0600, never over an existing file) and its public
    key to ``out.pub``; returns (public key, fingerprint)."""
    out = Path(out)
    pub = out.with_name(out.name + ".pub")
    for path in (out, pub):
        if path.exists():
            raise ConfigError(f"{path} exists already; choose another --out (a key is never overwritten).")  # fmt: skip
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ConfigError(f"Cannot write the key file {out}: {exc.strerror}.") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(out, 0o600)
    public = public_key_of(key)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    pub.write_bytes(public_pem)
    return public, fingerprint(public)
