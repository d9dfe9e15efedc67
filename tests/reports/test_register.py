"""The register of issued documents: recorded on signed issue, listed, shown, revoked,
exported signed, and checked offline by `greenmark verify --register`."""

from __future__ import annotations

import json

import pytest
from report_helpers import DEMO, ISSUED

from greenmark.reports.prepared import prepare
from greenmark.reports.register import default_path, entries
from greenmark.reports.render import render_certificate
from greenmark.reports.signing import load_private_key, new_key, sign_certificate


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path, monkeypatch):
    """No test writes the user's real register."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def book(tmp_path, cli):
    """A register with one certificate issued (signed) through the CLI."""
    keys = tmp_path / "keys"
    private, public = new_key("Example Certification Body", keys)
    new_key("Someone Else", tmp_path / "other")
    register = tmp_path / "register.sqlite"
    target = tmp_path / "certificate.html"
    done = cli(
        "report", str(DEMO), "--date", ISSUED, "-o", str(target),
        "--sign", str(private), "--register", str(register), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    number = entries(register)[0].number
    return {
        "keys": keys,
        "private": private,
        "public": public,
        "other": tmp_path / "other" / "someone-else.key",
        "register": register,
        "certificate": target,
        "number": number,
        "cwd": tmp_path,
    }


def run(cli, book, *args: str):
    return cli(*args, cwd=book["cwd"])


def export(cli, book, name: str, today: str, key: str = "private"):
    target = book["cwd"] / name
    done = run(
        cli, book, "register", "export", "-o", str(target), "--sign", str(book[key]),
        "--register", str(book["register"]), "--today", today,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


def test_a_signed_issue_is_recorded_listed_and_shown(cli, book) -> None:
    register, number = book["register"], book["number"]
    done = run(cli, book, "register", "list", "--register", str(register), "--today", "2026-12-01")
    assert done.returncode == 0, done.stderr
    assert number in done.stdout and "valid" in done.stdout
    done = run(cli, book, "register", "list", "--register", str(register), "--format", "json")
    (row,) = json.loads(done.stdout)
    key_id = load_private_key(book["private"]).key_id
    assert row["number"] == number and row["key_id"] == key_id
    assert (row["scheme_id"], row["scheme_version"], row["tier"]) == ("demo", "1.0", "goldplus")
    assert (row["issued"], row["valid_until"], row["stage"]) == (ISSUED, "2029-11-25", "design")
    assert row["badges"] == [] and len(row["digest"]) == 64
    done = run(cli, book, "register", "show", number.lower(), "--register", str(register))
    assert done.returncode == 0, done.stderr
    for line in (
        f"number:       {number}",
        "building:     Harbourfront Office Tower",
        "scheme:       demo 1.0",
        "tier:         GoldPLUS",
        f"issuer:       Example Certification Body (key {key_id})",
    ):
        assert line in done.stdout
    issued_again = run(
        cli, book, "report", str(DEMO), "--date", ISSUED, "-o", "again.html",
        "--sign", str(book["private"]), "--register", str(register),
    )  # fmt: skip
    assert issued_again.returncode == 0 and "already recorded" in issued_again.stderr
    assert len(entries(register)) == 1


def test_an_unsigned_issue_is_not_recorded(cli, tmp_path) -> None:
    done = cli("report", str(DEMO), "-o", "c.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not default_path().exists()


def test_revocation_reaches_an_offline_verifier(cli, book) -> None:
    certificate, keys = str(book["certificate"]), str(book["keys"])
    before = export(cli, book, "before.json", "2026-12-01")
    done = run(cli, book, "verify", certificate, "--register", str(before), "--keys", keys)
    assert done.returncode == 0, done.stderr
    assert "not revoked in the register exported on 2026-12-01" in done.stdout
    done = run(
        cli, book, "register", "revoke", book["number"], "--reason", "inputs misreported",
        "--register", str(book["register"]), "--today", "2026-12-03",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = export(cli, book, "after.json", "2026-12-04")
    done = run(cli, book, "verify", certificate, "--register", str(after), "--keys", keys)
    assert done.returncode == 1
    assert "revoked on 3 December 2026: inputs misreported" in done.stderr
    assert "Traceback" not in done.stderr
    # the revocation cannot be taken out of the export: its signature breaks
    data = json.loads(after.read_text())
    data["payload"]["documents"][0]["revoked"] = None
    after.write_text(json.dumps(data))
    done = run(cli, book, "verify", certificate, "--register", str(after), "--keys", keys)
    assert done.returncode == 1
    assert "cannot be trusted: the signature by key" in done.stderr
    # and the number cannot be issued again
    again = run(
        cli, book, "report", str(DEMO), "--date", ISSUED, "-o", "again.html",
        "--sign", str(book["private"]), "--register", str(book["register"]),
    )  # fmt: skip
    assert again.returncode == 2 and "cannot be issued again" in again.stderr
    listed = run(cli, book, "register", "list", "--register", str(book["register"]))
    assert "revoked" in listed.stdout


def test_an_export_signed_by_an_untrusted_key_is_refused(cli, book) -> None:
    forged = export(cli, book, "forged.json", "2026-12-01", key="other")
    done = run(
        cli, book, "verify", str(book["certificate"]), "--register", str(forged),
        "--keys", str(book["keys"]),
    )  # fmt: skip
    assert done.returncode == 1
    assert "the register export forged.json cannot be trusted: signed by key" in done.stderr


def test_a_certificate_missing_from_the_register_fails(cli, book, tmp_path) -> None:
    key = load_private_key(book["private"])
    unrecorded = prepare(DEMO, issued="2026-11-20").certificate
    other = sign_certificate(unrecorded, key)  # signed, never recorded
    other_path = tmp_path / "unrecorded.md"
    other_path.write_bytes(render_certificate(other, "md"))
    exported = export(cli, book, "export.json", "2026-12-01")
    done = run(
        cli, book, "verify", str(other_path), "--register", str(exported),
        "--keys", str(book["keys"]),
    )  # fmt: skip
    # issued before the export: the register should know it
    assert done.returncode == 1
    assert f"{other.number} is not in the register exported on 2026-12-01" in done.stderr


def test_register_mistakes_exit_2_with_one_clear_line(cli, book) -> None:
    register = str(book["register"])
    cases = [
        (("register", "show", "DEMO-0000", "--register", register), "is not in the register"),
        (("register", "list", "--register", str(book["cwd"] / "none.sqlite")), "no register"),
        (("register", "revoke", book["number"], "--reason", " ", "--register", register),
         "give the reason"),
        (("verify", str(book["certificate"]), "--register", register, "--keys",
          str(book["keys"])), "register database, not a signed export"),
        (("verify", str(book["certificate"]), "--register", register),
         "needs the trusted keys"),
    ]  # fmt: skip
    for args, message in cases:
        done = run(cli, book, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr


def test_status_turns_expired_after_the_validity(cli, book) -> None:
    done = run(
        cli, book, "register", "list", "--register", str(book["register"]),
        "--today", "2029-11-26",
    )  # fmt: skip
    assert "expired" in done.stdout


def test_the_default_register_is_under_the_user_data_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "greenmark" / "register.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_path().parts[-4:] == (".local", "share", "greenmark", "register.sqlite")
