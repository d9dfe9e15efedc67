"""Issuer keys and Ed25519 signatures of certificates and register exports.

Key files (``greenmark keys new``)
----------------------------------
- ``<issuer>.key``: the private key, PEM / PKCS#8 (``ENCRYPTED PRIVATE KEY`` when a
  passphrase was given), file mode 0600. Two lines of explanatory text before the PEM
  block (which PEM readers skip) record the issuer's name (JSON string) and the key id.
- ``<issuer>.pub.toml``: the public key to hand to whoever verifies, with the issuer's
  name and the key id (``format = "greenmark-key/1"``).

The **key id** is the first 16 hex digits of the SHA-256 of the raw 32-byte public key.

Signatures
----------
A signature is the Ed25519 signature of the canonical text (see
:func:`greenmark.reports.certificate.canonical_json`) of a payload that itself names
the issuer and the key id; it travels as ``{"algorithm": "Ed25519", "key_id",
"public_key" (raw, base64), "value" (base64)}``. ``cryptography`` is imported only
inside functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.core.tomlfile import dump_toml, write_atomic
from greenmark.reports.certificate import Certificate, canonical_json

ALGORITHM = "Ed25519"


KEY_FORMAT = "greenmark-key/1"


PUBLIC_SUFFIX = ".pub.toml"


PRIVATE_SUFFIX = ".key"


_ISSUER_LINE = "Issuer: "


_KEY_ID_LINE = "Key-Id: "


def key_id_of(raw_public: bytes) -> str:
    """First 16 hex digits of the SHA-256 of a raw public key."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


@dataclass(frozen=True)
class IssuerKey:
    """A private signing key and the issuer it belongs to (never printed)."""

    name: str
    key_id: str
    private: Any = field(repr=False)  # cryptography's Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        raw: bytes = self.private.public_key().public_bytes_raw()
        return raw

    def issuer(self) -> dict[str, str]:
        return {"name": self.name, "key_id": self.key_id}


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier trusts, with the issuer name its file records."""

    name: str
    key_id: str
    public_raw: bytes
    path: Path


def check_issuer_name(name: str) -> str:
    """The issuer name, stripped; refused when empty, over 200 characters or multi-line."""
    text = name.strip()
    if not text:
        raise GreenmarkError("the issuer name is empty", location="--issuer")
    if len(text) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise GreenmarkError(
            "expected an issuer name of at most 200 characters on one line",
            location="--issuer",
        )
    return text


def slug(name: str) -> str:
    """A file-name stem for an issuer: ``Example Body`` -> ``example-body``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:60].strip("-") or "issuer"


def write_private(path: Path, data: bytes) -> None:
    """Write a private key atomically with mode 0600 from the start; never overwrite."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(temp_name, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temp_name, path)  # fails if the file exists: a key is never replaced
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if path.exists():
                raise FileExistsError(path) from None
            os.replace(temp_name, path)
    finally:
        Path(temp_name).unlink(missing_ok=True)


def new_key(issuer: str, folder: Path, passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Create an Ed25519 key pair for ``issuer`` in ``folder``; returns (private, public).

    Refuses to overwrite existing key files.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    name = check_issuer_name(issuer)
    stem = slug(name)
    private_path = folder / f"{stem}{PRIVATE_SUFFIX}"
    public_path = folder / f"{stem}{PUBLIC_SUFFIX}"
    for path in (private_path, public_path):
        if path.exists():
            raise GreenmarkError("already exists; keys are never overwritten", file=path)
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    key_id = key_id_of(raw)
    encryption: Any = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    header = f"{_ISSUER_LINE}{json.dumps(name, ensure_ascii=False)}\n{_KEY_ID_LINE}{key_id}\n"
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public = dump_toml(
        {
            "format": KEY_FORMAT,
            "issuer": name,
            "key_id": key_id,
            "algorithm": ALGORITHM,
            "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "public_key": public_pem.decode("ascii"),
        }
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_private(private_path, header.encode("utf-8") + pem)
        write_atomic(public_path, "# greenmark issuer public key: give it to verifiers\n" + public)
    except FileExistsError:
        raise GreenmarkError(
            "already exists; keys are never overwritten", file=private_path
        ) from None
    except OSError as exc:
        raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=folder) from None
    return private_path, public_path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=path) from None
    except IsADirectoryError:
        raise GreenmarkError("expected a key file, found a folder", file=path) from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror or exc}", file=path) from None


def key_is_encrypted(path: Path) -> bool:
    """True when the private key file is protected by a passphrase."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in _read(path)


def load_private_key(path: Path, passphrase: bytes | None = None) -> IssuerKey:
    """Read a private key file written by :func:`new_key` (errors never quote the file)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(path)
    name: str | None = None
    for line in data.split(b"\n")[:4]:
        text = line.decode("utf-8", "replace").strip()
        if text.startswith(_ISSUER_LINE):
            try:
                value = json.loads(text[len(_ISSUER_LINE) :])
            except json.JSONDecodeError:
                value = None
            name = value if isinstance(value, str) else None
    if b"-----BEGIN" not in data or b"PRIVATE KEY-----" not in data:
        raise GreenmarkError("expected a greenmark private key (PEM)", file=path)
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if encrypted and not passphrase:
        raise GreenmarkError(
            "the private key is encrypted: give its passphrase (--passphrase-file)", file=path
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError):
        why = "wrong passphrase or a damaged key" if encrypted else "a damaged key"
        raise GreenmarkError(f"cannot read the private key: {why}", file=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise GreenmarkError("expected an Ed25519 private key", file=path)
    if not name:
        raise GreenmarkError(
            f"expected an '{_ISSUER_LINE.strip()} \"NAME\"' line before the key "
            "(write keys with `greenmark keys new`)",
            file=path,
        )
    return IssuerKey(name, key_id_of(key.public_key().public_bytes_raw()), key)


def load_public_key(path: Path) -> TrustedKey:
    """Read a ``*.pub.toml`` public key file; its key id must match its key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data = tomllib.loads(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise GreenmarkError(
            f"expected a greenmark public key file (TOML, {KEY_FORMAT})", file=path
        ) from None
    if data.get("format") != KEY_FORMAT:
        raise GreenmarkError(f"expected format = {KEY_FORMAT!r}", file=path, location="format")
    name, key_id, pem = data.get("issuer"), data.get("key_id"), data.get("public_key")
    if not isinstance(name, str) or not isinstance(key_id, str) or not isinstance(pem, str):
        raise GreenmarkError("expected issuer, key_id and public_key (text)", file=path)
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise GreenmarkError("public_key is not a PEM public key", file=path) from None
    if not isinstance(key, Ed25519PublicKey):
        raise GreenmarkError("expected an Ed25519 public key", file=path, location="public_key")
    raw = key.public_bytes_raw()
    if key_id_of(raw) != key_id:
        raise GreenmarkError(
            f"key_id {key_id!r} does not belong to this key ({key_id_of(raw)})",
            file=path,
            location="key_id",
        )
    return TrustedKey(name, key_id, raw, path)


def load_trusted(files: Iterable[Path] = (), folders: Iterable[Path] = ()) -> list[TrustedKey]:
    """The trusted public keys: the files given and every ``*.pub.toml`` in the folders."""
    paths = list(files)
    for folder in folders:
        if not folder.is_dir():
            raise GreenmarkError("expected a folder of *.pub.toml public keys", file=folder)
        found = sorted(folder.glob(f"*{PUBLIC_SUFFIX}"))
        if not found:
            raise GreenmarkError(f"no public keys (*{PUBLIC_SUFFIX}) in this folder", file=folder)
        paths.extend(found)
    return [load_public_key(path) for path in paths]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signature_of(payload: dict[str, Any], key: IssuerKey) -> dict[str, str]:
    """The signature block of ``payload`` (which must name ``key`` as its issuer)."""
    issuer = payload.get("issuer")
    if issuer != key.issuer():
        raise ValueError("the payload does not name this key as its issuer")
    value = key.private.sign(canonical_json(payload).encode("utf-8"))
    return {
        "algorithm": ALGORITHM,
        "key_id": key.key_id,
        "public_key": _b64(key.public_raw),
        "value": _b64(value),
    }


def sign_certificate(certificate: Certificate, key: IssuerKey) -> Certificate:
    """The certificate with ``key`` as its issuer (a new digest and number), signed."""
    payload = dict(certificate.payload)
    payload["issuer"] = key.issuer()
    return Certificate.of(payload, signature_of(payload, key))


def sign_document(kind: str, payload: dict[str, Any], key: IssuerKey) -> dict[str, Any]:
    """A signed JSON document: ``{"format": kind, "payload", "signature"}``."""
    body = {**payload, "format": kind, "issuer": key.issuer()}
    return {"format": kind, "payload": body, "signature": signature_of(body, key)}


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of :func:`check_signature`.

    ``status``: ``unsigned``; ``invalid`` (the signature does not hold); ``unchecked``
    (it holds with the key it carries, but no trusted keys were given); ``untrusted``
    (it holds, by a key not in the trusted set); ``trusted``.
    """

    status: str
    key_id: str | None = None
    name: str | None = None  # the issuer named by the payload
    problem: str | None = None
    public_raw: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("unsigned", "unchecked", "trusted")


def check_signature(
    payload: dict[str, Any], signature: Any, trusted: list[TrustedKey] | None
) -> SignatureCheck:
    """Check ``signature`` over ``payload``: intact, by the key the payload names, and (if
    ``trusted`` is given) by one of the trusted keys under the name that key's file records."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    issuer = payload.get("issuer")
    if signature is None:
        if issuer is not None:
            return SignatureCheck("invalid", problem="it names an issuer but carries no signature")
        return SignatureCheck("unsigned")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return SignatureCheck("invalid", problem=f"expected an {ALGORITHM} signature block")
    try:
        raw = base64.b64decode(str(signature.get("public_key", "")), validate=True)
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (binascii.Error, ValueError):
        return SignatureCheck("invalid", problem="its signature block is not valid base64")
    key_id = key_id_of(raw)
    if not isinstance(issuer, dict):
        return SignatureCheck("invalid", key_id, problem="the signed data names no issuer")
    name = str(issuer.get("name"))
    if issuer.get("key_id") != key_id or signature.get("key_id") != key_id:
        return SignatureCheck(
            "invalid",
            key_id,
            name,
            f"the signed data names key {issuer.get('key_id')}, the signature is by key {key_id}",
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            value, canonical_json(payload).encode("utf-8")
        )
    except (InvalidSignature, ValueError):
        return SignatureCheck(
            "invalid",
            key_id,
            name,
            f"the signature by key {key_id} does not match the data: it was edited after signing",
        )
    if trusted is None:
        return SignatureCheck("unchecked", key_id, name, public_raw=raw)
    match = next((k for k in trusted if k.public_raw == raw), None)
    if match is None:
        return SignatureCheck(
            "untrusted",
            key_id,
            name,
            f"signed by key {key_id} (naming itself {name!r}), which is not among the "
            f"{len(trusted)} trusted key{'s' if len(trusted) != 1 else ''}",
            raw,
        )
    if match.name != name:
        return SignatureCheck(
            "untrusted",
            key_id,
            name,
            f"signed by key {key_id}, which the trusted key file {match.path.name} records "
            f"for {match.name!r}, but the certificate names {name!r}",
            raw,
        )
    return SignatureCheck("trusted", key_id, name, public_raw=raw)
