"""``greenmark keys``: issuer signing keys (loaded by name from :mod:`greenmark.cli.main`),
and the passphrase and key options the signing commands share."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape

from greenmark.cli.common import err_console, handles_errors
from greenmark.core.errors import GreenmarkError

F = TypeVar("F", bound=Callable[..., Any])


def read_passphrase(file: Path | None, ask: bool, *, confirm: bool = False) -> bytes | None:
    """The passphrase from ``file`` (its first line) or typed at a hidden prompt; None
    when neither is asked for. Never echoed, never quoted in a message."""
    if file is not None:
        try:
            text = file.read_bytes().split(b"\n", 1)[0].rstrip(b"\r")
        except FileNotFoundError:
            raise GreenmarkError("file not found", file=file) from None
        except OSError as exc:
            raise GreenmarkError(f"cannot read: {exc.strerror or exc}", file=file) from None
        if not text:
            raise GreenmarkError("the passphrase file's first line is empty", file=file)
        return text
    if not ask:
        return None
    typed = click.prompt(
        "Passphrase", hide_input=True, confirmation_prompt=confirm, err=True, type=str
    )
    if not typed:
        raise GreenmarkError("the passphrase is empty")
    return str(typed).encode("utf-8")


def passphrase_options(command: F) -> F:
    """``--passphrase-file FILE`` and ``--ask-passphrase``."""
    command = click.option(
        "--ask-passphrase",
        is_flag=True,
        help="Type the passphrase at a hidden prompt.",
    )(command)
    return click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Read the key's passphrase from the first line of FILE.",
    )(command)


def load_signing_key(path: Path, passphrase_file: Path | None, ask: bool) -> Any:
    """The issuer key in ``path`` (:class:`greenmark.reports.signing.IssuerKey`); asks for
    the passphrase of an encrypted key at a hidden prompt when a terminal is attached."""
    from greenmark.reports.signing import key_is_encrypted, load_private_key

    passphrase = None
    if passphrase_file is not None:
        passphrase = read_passphrase(passphrase_file, False)
    elif key_is_encrypted(path) and (ask or sys.stdin.isatty()):
        passphrase = read_passphrase(None, True)
    return load_private_key(path, passphrase)


@click.group()
def keys() -> None:
    """Issuer signing keys (Ed25519) for certificates and register exports."""


@keys.command("new")
@click.option("--issuer", required=True, metavar="NAME", help="The issuing body's name.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    metavar="DIR",
    help="Folder for the key files (created if missing).",
)
@passphrase_options
@handles_errors
def new(issuer: str, out: Path, passphrase_file: Path | None, ask_passphrase: bool) -> None:
    """Create a signing key pair for an issuer.

    Writes NAME.key (the private key, PEM/PKCS#8, mode 0600; encrypted when a passphrase
    is given) and NAME.pub.toml (the public key with the issuer's name and key id: give
    it to whoever verifies). Existing files are never overwritten.
    """
    from greenmark.reports.signing import load_public_key, new_key

    passphrase = read_passphrase(passphrase_file, ask_passphrase, confirm=True)
    private, public = new_key(issuer, out, passphrase)
    key = load_public_key(public)
    console = err_console()
    state = "encrypted with the passphrase" if passphrase else "NOT encrypted: keep it safe"
    console.print(f"wrote private key {escape(str(private))} (mode 0600, {state})")
    console.print(f"wrote public key {escape(str(public))}")
    click.echo(f"key {key.key_id} for {key.name}")
