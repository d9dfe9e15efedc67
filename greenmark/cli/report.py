"""``greenmark report`` and ``greenmark verify`` (loaded by name from :mod:`greenmark.cli.main`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from greenmark.cli.common import (
    err_console,
    handles_errors,
    parse_day,
    report_problems,
    scheme_option,
)
from greenmark.cli.keys import load_signing_key, passphrase_options
from greenmark.cli.register import register_file, register_option, today_option
from greenmark.cli.score import warn_if_other_scheme, warn_if_superseded
from greenmark.core.errors import ExitCode, GreenmarkError, Problem
from greenmark.core.resources import make_parent
from greenmark.core.tomlfile import write_atomic


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["certificate", "assessment"]),
    default="certificate",
    show_default=True,
    help="A one-page certificate or the full assessment report.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "pdf", "md"]),
    default="html",
    show_default=True,
    help="HTML (self-contained), PDF (WeasyPrint) or Markdown.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write (missing folders are created); '-' for stdout. "
    "Default: <project>-<kind>.<format> here.",
)
@scheme_option
@click.option(
    "--date",
    "issued",
    metavar="YYYY-MM-DD",
    callback=parse_day,
    help="Date of issue (default: today, or SOURCE_DATE_EPOCH).",
)
@click.option(
    "--sign",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEYFILE",
    help="Sign the certificate with this issuer key (from `greenmark keys new`) and record "
    "it in the register.",
)
@click.option(
    "--compare",
    "compare_with",
    metavar="A,B,…|all",
    help="Add a section 'Under other rating systems' to the assessment report: the "
    "building scored under these schemes (ids or files; 'all': every current bundled "
    "scheme), indicative and provisional.",
)
@passphrase_options
@register_option
@handles_errors
def report(
    project: Path,
    kind: str,
    output_format: str,
    output: str | None,
    scheme_ref: str | None,
    issued: date | None,
    compare_with: str | None,
    key_file: Path | None,
    passphrase_file: Path | None,
    ask_passphrase: bool,
    register_path: Path | None,
) -> None:
    """Write a certificate or an assessment report for PROJECT (HTML, PDF or Markdown).

    Certificates carry a SHA-256 digest of the project's inputs, the scheme, the result
    and the evidence files; with --sign, the issuer's signature too (a PDF is also
    signed as a PDF). Check one with `greenmark verify CERTIFICATE [PROJECT] --keys DIR`.
    """
    from greenmark.reports.prepared import prepare
    from greenmark.reports.render import default_output, render

    if key_file is not None and kind != "certificate":
        raise GreenmarkError("--sign signs certificates only (--kind certificate)")
    if compare_with is not None and kind != "assessment":
        raise GreenmarkError(
            "--compare adds a section to the assessment report (--kind assessment)"
        )
    target = Path(output) if output and output != "-" else None
    if output is None:
        target = default_output(project, kind, output_format)
    if target is not None and target.is_dir():
        raise GreenmarkError("cannot write: is a folder", file=target)
    key = None if key_file is None else load_signing_key(key_file, passphrase_file, ask_passphrase)
    prepared = prepare(project, scheme=scheme_ref, issued=issued)
    scheme = prepared.scored.scheme
    warn_if_other_scheme(prepared.scored.loaded, scheme)
    warn_if_superseded(prepared.scored.loaded, scheme)
    if compare_with is not None:
        from greenmark.reports.comparison import add_comparison, references_of

        references = references_of(compare_with)
        if not references:
            raise GreenmarkError("--compare needs scheme ids or files (or 'all')")
        add_comparison(prepared, references)
    if key is not None:
        from greenmark.reports.register import record
        from greenmark.reports.signing import sign_certificate

        prepared.certificate = sign_certificate(prepared.certificate, key)
    data = render(prepared, kind, output_format)
    if key is not None:
        if output_format == "pdf":
            from greenmark.reports.pdfsign import sign_pdf

            until = date.fromisoformat(prepared.certificate.payload["valid_until"])
            data = sign_pdf(data, key, number=prepared.certificate.number, until=until)
        book = register_file(register_path)
        new = record(book, prepared.certificate)
        err_console().print(
            f"{'recorded' if new else 'already recorded'} {prepared.certificate.number} "
            f"in the register {escape(str(book))}"
        )
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    make_parent(target)
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=target) from None
    what = "certificate" if kind == "certificate" else "assessment report"
    extra = f" {prepared.certificate.number}" if kind == "certificate" else ""
    err_console().print(f"wrote {what}{extra} to {escape(str(target))}")


def _trusted(key_files: tuple[Path, ...], key_dirs: tuple[Path, ...]) -> list[Any] | None:
    from greenmark.reports.signing import load_trusted

    if not key_files and not key_dirs:
        return None
    return load_trusted(key_files, key_dirs)


def _trust_line(outcome: Any) -> str:
    if outcome.trust == "trusted":
        return f"signed by {outcome.signer} (key {outcome.key_id}), a trusted key"
    if outcome.trust == "unchecked":
        return (
            f"signed by key {outcome.key_id} naming {outcome.signer!r}; the signer was not "
            "checked (give --key or --keys): integrity only"
        )
    if outcome.trust == "untrusted":
        return f"signed by key {outcome.key_id}, not a trusted key"
    if outcome.trust == "invalid":
        return "its signature does not hold"
    return "unsigned: integrity only"


@click.command()
@click.argument("certificate", type=click.Path(path_type=Path))
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--key",
    "key_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PUBKEY",
    help="A trusted issuer public key (*.pub.toml); may be repeated.",
)
@click.option(
    "--keys",
    "key_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="A folder of trusted issuer public keys (*.pub.toml).",
)
@click.option(
    "--register",
    "register_export",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A signed register export (`greenmark register export`): is it revoked?",
)
@scheme_option
@today_option
@handles_errors
def verify(
    certificate: Path,
    project: Path | None,
    key_files: tuple[Path, ...],
    key_dirs: tuple[Path, ...],
    register_export: Path | None,
    scheme_ref: str | None,
    today: date | None,
) -> None:
    """Check CERTIFICATE (HTML, PDF or Markdown): its signature, that it shows exactly
    what was signed, its validity and, with PROJECT, the project and its evidence.

    With --key/--keys the certificate must be signed by one of those keys; without
    them a signature is checked for integrity only. Exit 0 when everything holds; exit 1
    naming what does not (a signature, an edit of the document, an expiry or revocation,
    an input, a table row, the scheme version, the result, an evidence file).
    """
    from greenmark.reports.certificate import format_date
    from greenmark.reports.verify import verify as run

    trusted = _trusted(key_files, key_dirs)
    outcome = run(
        certificate, project, scheme_ref, trusted=trusted, register=register_export, today=today
    )
    if outcome.ok:
        click.echo(f"OK: certificate {outcome.number} — {_trust_line(outcome)}")
        renders = "signed data" if outcome.trust != "unsigned" else "data"
        if outcome.valid_until is not None:
            what = "the text of every page is" if outcome.certificate.kind == "pdf" else "exactly"
            click.echo(f"  document: {what} what its {renders} renders")
        if outcome.project_checked:
            click.echo(f"  project: matches {project} (digest {outcome.digest})")
        else:
            click.echo("  project: not checked (give PROJECT to re-score it and its evidence)")
        if outcome.valid_until is not None:
            click.echo(f"  valid until {format_date(outcome.valid_until)}")
        for note in outcome.notes:
            click.echo(f"  {note}")
        return
    report_problems([Problem(d.message, str(certificate), None, None) for d in outcome.differences])
    count = len(outcome.differences)
    err_console().print(
        f"certificate {escape(outcome.number or str(certificate))} does NOT verify "
        f"({_trust_line(outcome)}): {count} problem{'s' if count != 1 else ''}"
    )
    sys.exit(int(ExitCode.NOT_SCORED))
