"""The register of issued documents: one SQLite file (stdlib ``sqlite3``).

Every signed certificate is recorded when it is issued (number, building, scheme and
version, tier and badges, stage, date of issue, valid-until, signer and key id, payload
digest); a record can be revoked with a reason. ``export`` writes a signed JSON file
(``greenmark-register/1``, see :func:`greenmark.reports.signing.sign_document`) that
anyone can check offline with ``greenmark verify CERT --register FILE --keys DIR``.

The default file is ``$XDG_DATA_HOME/greenmark/register.sqlite`` (or
``~/.local/share/greenmark/register.sqlite``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.core.tomlfile import write_atomic
from greenmark.reports.certificate import Certificate, format_date
from greenmark.reports.signing import IssuerKey, TrustedKey, check_signature, sign_document

EXPORT_FORMAT = "greenmark-register/1"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    number TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    building TEXT NOT NULL,
    scheme_id TEXT NOT NULL,
    scheme_version TEXT NOT NULL,
    tier TEXT,
    tier_title TEXT NOT NULL,
    badges TEXT NOT NULL,
    stage TEXT NOT NULL,
    issued TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    issuer TEXT NOT NULL,
    key_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    revoked_on TEXT,
    revoked_reason TEXT
)
"""


def default_path() -> Path:
    """``$XDG_DATA_HOME/greenmark/register.sqlite`` or ``~/.local/share/greenmark/...``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "greenmark" / "register.sqlite"


@dataclass(frozen=True)
class Entry:
    """One issued document as the register holds it."""

    number: str
    digest: str
    building: str
    scheme_id: str
    scheme_version: str
    tier: str | None
    tier_title: str
    badges: list[str]
    stage: str
    issued: str
    valid_until: str
    issuer: str
    key_id: str
    recorded_at: str
    revoked_on: str | None = None
    revoked_reason: str | None = None

    def status(self, today: date) -> str:
        """``revoked``, ``expired`` or ``valid`` on ``today``."""
        if self.revoked_on:
            return "revoked"
        return "expired" if date.fromisoformat(self.valid_until) < today else "valid"


_COLUMNS = [name for name in Entry.__dataclass_fields__]


@contextmanager
def connect(path: Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """An open register (created with its folder if ``create``); clear errors for a file
    that is no register."""
    if not create and not path.is_file():
        raise GreenmarkError("no register here (nothing has been issued with it yet)", file=path)
    if path.is_dir():
        raise GreenmarkError("expected a register file, found a folder", file=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=10)
    except (OSError, sqlite3.Error) as exc:
        raise GreenmarkError(f"cannot open the register: {exc}", file=path) from None
    with closing(connection):
        try:
            connection.execute(_SCHEMA)
            connection.commit()
        except sqlite3.DatabaseError as exc:
            raise GreenmarkError(
                f"not a greenmark register (SQLite said: {exc})", file=path
            ) from None
        yield connection


def _entry(row: tuple[Any, ...]) -> Entry:
    data = dict(zip(_COLUMNS, row, strict=True))
    data["badges"] = json.loads(data["badges"])
    return Entry(**data)


def _select(
    connection: sqlite3.Connection, where: str = "", args: tuple[Any, ...] = ()
) -> list[Entry]:
    query = f"SELECT {', '.join(_COLUMNS)} FROM documents {where} ORDER BY issued, number"
    return [_entry(row) for row in connection.execute(query, args)]


def entry_of(certificate: Certificate, recorded_at: str | None = None) -> Entry:
    """The register entry of a signed certificate."""
    payload = certificate.payload
    issuer = payload.get("issuer")
    if not isinstance(issuer, dict):
        raise ValueError("only signed certificates are recorded")
    result = payload["result"]
    return Entry(
        number=certificate.number,
        digest=certificate.digest,
        building=payload["project"]["name"],
        scheme_id=payload["scheme"]["id"],
        scheme_version=payload["scheme"]["version"],
        tier=result["tier"],
        tier_title=result["tier_title"] or "No tier reached",
        badges=[b["title"] for b in result["badges"]],
        stage=payload["project"]["stage"],
        issued=payload["issued"],
        valid_until=payload["valid_until"],
        issuer=issuer["name"],
        key_id=issuer["key_id"],
        recorded_at=recorded_at or datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def record(path: Path, certificate: Certificate) -> bool:
    """Record a signed certificate; False when it was already recorded. Refuses a number
    that was revoked (or that the register holds for another document)."""
    entry = entry_of(certificate)
    with connect(path) as connection, connection:
        found = _select(connection, "WHERE number = ?", (entry.number,))
        if found:
            old = found[0]
            if old.digest != entry.digest:
                raise GreenmarkError(
                    f"the register holds another document as {entry.number}", file=path
                )
            if old.revoked_on:
                raise GreenmarkError(
                    f"{entry.number} was revoked on {old.revoked_on} ({old.revoked_reason}); "
                    "it cannot be issued again",
                    file=path,
                )
            return False
        values = asdict(entry)
        values["badges"] = json.dumps(entry.badges, ensure_ascii=False)
        marks = ", ".join("?" for _ in _COLUMNS)
        connection.execute(
            f"INSERT INTO documents ({', '.join(_COLUMNS)}) VALUES ({marks})",
            tuple(values[c] for c in _COLUMNS),
        )
    return True


def entries(path: Path) -> list[Entry]:
    """Every recorded document, by date of issue."""
    with connect(path, create=False) as connection:
        return _select(connection)


def find(path: Path, number: str) -> Entry:
    """The entry of ``number`` (case-insensitive); a clear error when it is not there."""
    with connect(path, create=False) as connection:
        found = _select(connection, "WHERE number = ?", (number.strip().upper(),))
    if not found:
        raise GreenmarkError(f"{number} is not in the register", file=path)
    return found[0]


def revoke(path: Path, number: str, reason: str, on: date) -> Entry:
    """Mark ``number`` revoked on ``on`` for ``reason``."""
    text = " ".join(reason.split())
    if not text:
        raise GreenmarkError("give the reason for the revocation", location="--reason")
    entry = find(path, number)
    if entry.revoked_on:
        raise GreenmarkError(f"{entry.number} was already revoked on {entry.revoked_on}", file=path)
    with connect(path, create=False) as connection, connection:
        connection.execute(
            "UPDATE documents SET revoked_on = ?, revoked_reason = ? WHERE number = ?",
            (on.isoformat(), text, entry.number),
        )
    return find(path, entry.number)


def export(path: Path, key: IssuerKey, today: date) -> dict[str, Any]:
    """The register as a document signed by ``key`` (see the module docstring)."""
    documents = [
        {
            "number": e.number,
            "digest": e.digest,
            "building": e.building,
            "scheme": {"id": e.scheme_id, "version": e.scheme_version},
            "tier": e.tier,
            "tier_title": e.tier_title,
            "badges": e.badges,
            "stage": e.stage,
            "issued": e.issued,
            "valid_until": e.valid_until,
            "issuer": e.issuer,
            "key_id": e.key_id,
            "revoked": None
            if not e.revoked_on
            else {"on": e.revoked_on, "reason": e.revoked_reason or ""},
        }
        for e in entries(path)
    ]
    payload = {"exported": today.isoformat(), "documents": documents}
    return sign_document(EXPORT_FORMAT, payload, key)


def write_export(target: Path, document: dict[str, Any]) -> None:
    """Write an export as readable JSON, atomically."""
    write_atomic(target, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@dataclass(frozen=True)
class RegisterCheck:
    """What a signed register export says about one certificate."""

    problems: list[str]
    note: str


def check_against_export(
    export_path: Path, trusted: list[TrustedKey], number: str, digest: str, issued: str
) -> RegisterCheck:
    """Is ``number`` recorded with this digest, and not revoked, in a register export
    signed by a trusted key? Errors (exit 2) for a file that is no export."""
    try:
        raw = export_path.read_bytes()
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=export_path) from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror or exc}", file=export_path) from None
    if raw.startswith(b"SQLite format 3"):
        raise GreenmarkError(
            "this is a register database, not a signed export: write one with "
            "`greenmark register export --sign KEYFILE` and verify against that",
            file=export_path,
        )
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise GreenmarkError(
            f"expected a signed register export ({EXPORT_FORMAT} JSON)", file=export_path
        ) from None
    payload = document.get("payload") if isinstance(document, dict) else None
    if (
        not isinstance(payload, dict)
        or document.get("format") != EXPORT_FORMAT
        or payload.get("format") != EXPORT_FORMAT
        or not isinstance(payload.get("documents"), list)
    ):
        raise GreenmarkError(
            f"expected a signed register export ({EXPORT_FORMAT})", file=export_path
        )
    signature = check_signature(payload, document.get("signature"), trusted)
    name = export_path.name
    if signature.status != "trusted":
        why = signature.problem or "it is not signed"
        return RegisterCheck([f"the register export {name} cannot be trusted: {why}"], "")
    exported = str(payload.get("exported", ""))
    found = next(
        (d for d in payload["documents"] if isinstance(d, dict) and d.get("number") == number),
        None,
    )
    if found is None:
        if issued > exported:
            return RegisterCheck(
                [], f"issued after the register export of {exported}: revocation not known"
            )
        return RegisterCheck(
            [f"{number} is not in the register exported on {exported} by {signature.name}"], ""
        )
    if found.get("digest") != digest:
        return RegisterCheck(
            [f"the register records another document as {number} (digest differs)"], ""
        )
    revoked = found.get("revoked")
    if isinstance(revoked, dict):
        day = str(revoked.get("on", ""))
        with suppress(ValueError):
            day = format_date(day)
        return RegisterCheck([f"revoked on {day}: {revoked.get('reason', '')}"], "")
    return RegisterCheck([], f"not revoked in the register exported on {exported}")
