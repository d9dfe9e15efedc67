"""Issuer keys, signed certificates, validity and evidence: `greenmark keys`, `report
--sign` and `verify --key/--keys`, and keys that never show in any output."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import tomllib

import pytest
from report_helpers import CRITERIA, DEMO, ISSUED, ROOT, copy_project, prepared_for

from greenmark.core.errors import GreenmarkError
from greenmark.reports.certificate import FORMAT, FORMAT_1, Certificate, html_safe_json
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render_certificate
from greenmark.reports.signing import (
    check_signature,
    key_id_of,
    load_private_key,
    load_trusted,
    new_key,
    sign_certificate,
)
from greenmark.reports.verify import verify

PASSPHRASE = "correct horse battery staple"
ISSUER = "Example Certification Body"


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path, monkeypatch):
    """No test writes the user's real register."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    """A passphrase-protected issuer key made through the CLI, with its secrets."""
    from conftest import run_cli

    folder = tmp_path_factory.mktemp("issuer")
    secret = folder / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n")
    done = run_cli(
        "keys", "new", "--issuer", ISSUER, "--out", str(folder / "keys"),
        "--passphrase-file", str(secret), cwd=folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    private = folder / "keys" / "example-certification-body.key"
    public = folder / "keys" / "example-certification-body.pub.toml"
    key = load_private_key(private, PASSPHRASE.encode())
    return {
        "folder": folder,
        "secret": secret,
        "private": private,
        "public": public,
        "keys": folder / "keys",
        "key": key,
        "outputs": [done.stdout, done.stderr],
    }


def secrets_of(issuer) -> list[str]:
    """Every form of the private key and passphrase that must never be printed."""
    from cryptography.hazmat.primitives import serialization

    raw = issuer["key"].private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    pem_lines = [
        line
        for line in issuer["private"].read_text().splitlines()
        if line and not line.startswith(("-----", "Issuer", "Key-Id"))
    ]
    return [PASSPHRASE, base64.b64encode(raw).decode(), raw.hex(), *pem_lines]


def assert_no_secrets(issuer, *texts: str | bytes) -> None:
    for text in texts:
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in secrets_of(issuer):
            assert secret not in shown


# --------------------------------------------------------------------------- keys


def test_keys_new_writes_a_private_key_0600_and_a_public_key_with_its_id(issuer) -> None:
    private, public = issuer["private"], issuer["public"]
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    text = private.read_text()
    assert "-----BEGIN ENCRYPTED PRIVATE KEY-----" in text  # PKCS#8, passphrase-encrypted
    assert text.startswith(f'Issuer: "{ISSUER}"\n')
    data = tomllib.loads(public.read_text())
    assert data["issuer"] == ISSUER and data["algorithm"] == "Ed25519"
    raw = issuer["key"].public_raw
    assert data["key_id"] == hashlib.sha256(raw).hexdigest()[:16] == key_id_of(raw)
    stdout, stderr = issuer["outputs"]
    assert f"key {data['key_id']} for {ISSUER}" in stdout
    assert "encrypted with the passphrase" in stderr
    assert_no_secrets(issuer, stdout, stderr)


def test_keys_are_never_overwritten_and_bad_names_are_refused(issuer, cli, tmp_path) -> None:
    done = cli("keys", "new", "--issuer", ISSUER, "--out", str(issuer["keys"]), cwd=tmp_path)
    assert done.returncode == 2 and "never overwritten" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli("keys", "new", "--issuer", "two\nlines", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "one line" in done.stderr


def test_a_wrong_or_missing_passphrase_is_a_clear_error(issuer, cli, tmp_path) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n")
    base = ("report", str(DEMO), "--sign", str(issuer["private"]), "-o", "c.html")
    done = cli(*base, "--passphrase-file", str(wrong), cwd=tmp_path)
    assert done.returncode == 2
    assert "cannot read the private key: wrong passphrase" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "c.html").exists()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run(  # no terminal to ask at
        [sys.executable, "-m", "greenmark", *base],
        capture_output=True, text=True, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2 and "--passphrase-file" in done.stderr
    assert_no_secrets(issuer, done.stdout, done.stderr)


# --------------------------------------------------------------------------- signing


def test_the_signed_payload_names_the_issuer_and_the_key(issuer) -> None:
    key = issuer["key"]
    signed = sign_certificate(prepared_for(DEMO).certificate, key)
    assert signed.payload["format"] == FORMAT
    assert signed.payload["issuer"] == {"name": ISSUER, "key_id": key.key_id}
    assert signed.signature is not None and signed.signature["key_id"] == key.key_id
    assert signed.number != prepared_for(DEMO).certificate.number  # the issuer is certified
    trusted = load_trusted([issuer["public"]])
    check = check_signature(signed.payload, signed.signature, trusted)
    assert (check.status, check.name, check.key_id) == ("trusted", ISSUER, key.key_id)
    edited = json.loads(json.dumps(signed.payload))
    edited["issuer"]["name"] = "Another Body"
    assert check_signature(edited, signed.signature, trusted).status == "invalid"
    assert "IssuerKey" in repr(key) and "private" not in repr(key)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_a_genuine_signed_certificate_verifies_through_the_cli(issuer, cli, tmp_path, fmt):
    register = tmp_path / "register.sqlite"
    target = tmp_path / f"certificate.{fmt}"
    done = cli(
        "report", str(DEMO), "--format", fmt, "--date", ISSUED, "-o", str(target),
        "--sign", str(issuer["private"]), "--passphrase-file", str(issuer["secret"]),
        "--register", str(register), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "recorded DEMO-2026-" in done.stderr and register.is_file()
    text = target.read_text()
    visible = " ".join(re.sub(r"<[^>]+>", "", text).split())
    key_id = issuer["key"].key_id
    assert (
        f"Issued by {ISSUER} · key {key_id} · valid until 25 November 2029 (default: 3 years)"
        in (visible)
    )
    checked = cli("verify", str(target), str(DEMO), "--keys", str(issuer["keys"]), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: certificate DEMO-2026-")
    assert f"signed by {ISSUER} (key {key_id}), a trusted key" in checked.stdout
    assert "project: matches" in checked.stdout and "valid until 25 November 2029" in checked.stdout
    alone = cli("verify", str(target), "--key", str(issuer["public"]), cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert "project: not checked" in alone.stdout
    assert_no_secrets(issuer, done.stdout, done.stderr, checked.stdout, checked.stderr, text)


def test_an_unsigned_certificate_verifies_as_integrity_only(issuer, cli, tmp_path) -> None:
    target = tmp_path / "certificate.html"
    target.write_bytes(render_certificate(prepared_for(DEMO).certificate, "html"))
    assert "Unsigned — integrity check only" in target.read_text()
    done = cli("verify", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "unsigned: integrity only" in done.stdout and "signed by" not in done.stdout
    assert "project: not checked" in done.stdout
    done = cli("verify", str(target), "--keys", str(issuer["keys"]), cwd=tmp_path)
    assert done.returncode == 1
    assert "unsigned (integrity check only): it was issued by none of the trusted keys" in (
        done.stderr
    )


def test_a_signature_without_trusted_keys_is_integrity_only(issuer, tmp_path) -> None:
    signed = sign_certificate(prepared_for(DEMO).certificate, issuer["key"])
    target = tmp_path / "certificate.md"
    target.write_bytes(render_certificate(signed, "md"))
    outcome = verify(target)
    assert outcome.ok and outcome.trust == "unchecked"
    assert not outcome.project_checked


def _format_1_markdown(payload: dict) -> str:
    """A certificate as greenmark wrote them before signatures (format 1, Markdown)."""
    from greenmark.reports.certificate import FIELDS, canonical_json

    certificate = Certificate.of(payload)
    shown = certificate.shown()
    rows = [f"| {FIELDS[field]} | {shown[field]} |" for field in FIELDS if field in shown]
    block = html_safe_json(canonical_json(certificate.embedded()))
    return (
        f"# Indicative self-assessment: {shown['tier']}\n\n| | |\n| --- | --- |\n"
        + "\n".join(rows)
        + f"\n\n```json greenmark-certificate\n{block}\n```\n"
    )


def test_a_format_1_certificate_still_verifies_as_unsigned(tmp_path) -> None:
    payload = json.loads(json.dumps(prepared_for(DEMO).certificate.payload))
    for later in ("layout", "generator", "valid_until", "validity", "issuer", "provisional"):
        del payload[later]
    del payload["evidence"]
    payload["format"] = FORMAT_1
    target = tmp_path / "old.md"
    target.write_text(_format_1_markdown(payload))
    outcome = verify(target, DEMO)
    assert outcome.ok, [d.message for d in outcome.differences]
    assert outcome.trust == "unsigned" and outcome.valid_until is None
    assert any("format 1" in note for note in outcome.notes)
    target.write_text(target.read_text().replace("| Tier | GoldPLUS |", "| Tier | Platinum |"))
    assert "tier" in " ".join(d.message for d in verify(target, DEMO).differences)


# --------------------------------------------------------------------------- validity


def test_validity_defaults_to_three_years_and_follows_the_scheme(tmp_path) -> None:
    default = prepared_for(DEMO).certificate
    assert default.payload["valid_until"] == "2029-11-25"
    assert default.payload["validity"] == {"years": 3, "default": True}
    assert default.shown()["valid_until"] == "25 November 2029 (default: 3 years)"
    scheme = tmp_path / "demo-five.toml"
    text = (CRITERIA / "demo.toml").read_text()
    scheme.write_text(text.replace("[scheme]\n", "[scheme]\nvalidity_years = 5\n", 1))
    project = copy_project(tmp_path, **{r'^scheme = "demo"$': f'scheme = "{scheme.name}"'})
    five = prepare(project, issued="2028-02-29").certificate
    assert five.payload["valid_until"] == "2033-02-28"
    assert five.payload["validity"] == {"years": 5, "default": False}
    assert five.shown()["valid_until"] == "28 February 2033"


# --------------------------------------------------------------------------- evidence


def test_evidence_files_are_bound_and_rehashed(tmp_path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "ettv.txt").write_text("ETTV 41.5 W/m2\n")
    (folder / "chiller.txt").write_text("kW/RT 0.62\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("not evidence")
    project = copy_project(
        tmp_path,
        **{
            r'^evidence = \["A-201.*$': 'evidence = ["evidence/ettv.txt", "A-201 facade schedule"]',
            r'^evidence = \["Chiller.*$': (
                f'evidence = ["evidence/chiller.txt", "../{outside.name}", "/etc/hostname"]'
            ),
        },
    )
    certificate = prepare(project, issued=ISSUED).certificate
    listed = certificate.payload["evidence"]
    assert [f["path"] for f in listed] == ["evidence/chiller.txt", "evidence/ettv.txt"]
    assert listed[1] == {
        "path": "evidence/ettv.txt",
        "sha256": hashlib.sha256(b"ETTV 41.5 W/m2\n").hexdigest(),
        "size": 15,
    }
    target = tmp_path / "certificate.html"
    target.write_bytes(render_certificate(certificate, "html"))
    assert verify(target, project).ok
    (folder / "ettv.txt").write_text("ETTV 38 W/m2\n")
    (folder / "chiller.txt").unlink()
    said = [d.message for d in verify(target, project).differences if d.kind == "evidence"]
    assert said[0].startswith("evidence file evidence/chiller.txt is missing")
    assert said[1].startswith("evidence file evidence/ettv.txt changed: certified 15 bytes")


# --------------------------------------------------------------------------- start-up


def test_score_and_version_load_no_signing_library() -> None:
    code = (
        "import sys\n"
        "from greenmark.cli.main import main\n"
        "for argv in (['--version'], ['score', sys.argv[1]], ['verify', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('cryptography', 'pyhanko', 'weasyprint', 'sqlite3')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(DEMO)], capture_output=True, text=True, env=env
    )
    assert "HEAVY []" in done.stderr, done.stderr


def test_public_key_files_are_checked(issuer, tmp_path) -> None:
    bad = tmp_path / "bad.pub.toml"
    text = issuer["public"].read_text()
    key_id = issuer["key"].key_id
    bad.write_text(text.replace(key_id, "0" * 16))
    with pytest.raises(GreenmarkError, match="does not belong to this key"):
        load_trusted([bad])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GreenmarkError, match="no public keys"):
        load_trusted(folders=[empty])
    other, _ = new_key("Other Body", tmp_path / "other")
    assert load_private_key(other).name == "Other Body"  # unencrypted
