"""``greenmark validate``: schemes, projects, portfolio mappings, factor tables, measure
catalogues, or folders."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.text import Text

from greenmark.cli.common import err_console, handles_errors, out_console, report_problems
from greenmark.core.errors import ExitCode, GreenmarkError, Problem
from greenmark.core.project import load_project
from greenmark.core.projectinputs import resolve_inputs
from greenmark.core.scheme import load_scheme, unverified_constants
from greenmark.core.scoring import scheme_for
from greenmark.core.tomlfile import read_bytes, read_toml

_TABLE_HEADER = re.compile(r"^\s*\[\s*(scheme|project)\s*\]", re.MULTILINE)


def _kind_of(path: Path) -> str:
    """``scheme`` or ``project`` by the file's top-level table.

    ``broken`` when the file cannot be parsed (its loader will say why), ``unknown``
    when it parses but is neither (e.g. a factor table).
    """
    try:
        raw = read_bytes(path)  # a FIFO, a device or an oversized file is refused here
    except GreenmarkError:
        return "broken"
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        header = _TABLE_HEADER.search(raw.decode("utf-8", errors="replace"))
        return header[1] if header else "broken"
    if isinstance(data.get("scheme"), dict):
        return "scheme"
    if isinstance(data.get("project"), dict):
        return "project"
    if _is_mapping(data):
        return "mapping"
    from greenmark.design.measures import is_catalogue

    if is_catalogue(data):
        return "measures"
    if isinstance(data.get("terms"), dict):
        return "vocabulary"
    if _factor_table(path) is not None:
        return "factors"
    return "unknown"


def _is_mapping(data: dict[str, Any]) -> bool:
    """A portfolio mapping: a ``[mapping]`` table, or ``[inputs]`` with ``[columns]``."""
    if isinstance(data.get("mapping"), dict):
        return True
    return isinstance(data.get("inputs"), dict) and isinstance(data.get("columns"), dict)


def _check_mapping(path: Path) -> tuple[str, Unverified]:
    from greenmark.core.scheme import resolve_scheme
    from greenmark.portfolio.mapping import bind, load_mapping

    loaded = load_mapping(path)
    model = loaded.model
    filters = len(model.where) + len(model.exclude)
    counts = f"{len(model.inputs)} inputs, {filters} filters"
    if model.mapping.scheme is None:
        return f"mapping ({counts}; no [mapping].scheme to check it against)", []
    scheme = load_scheme(resolve_scheme(model.mapping.scheme, relative_to=path.parent))
    binding = bind(loaded, scheme)
    return f"mapping for {scheme.id}: {len(binding.columns)} columns read, {counts}", []


def _factor_table(path: Path) -> tuple[str, type] | None:
    """The factor-table model for a file named like one of ``criteria/factors/``."""
    from greenmark.calc.tables import TABLES

    for file, model in TABLES.values():
        if path.name == file:
            return file, model
    return None


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # a folder: its schemes, projects and unreadable files (not factor tables)
            files.extend(p for p in sorted(path.rglob("*.toml")) if _kind_of(p) != "unknown")
        else:
            files.append(path)
    return files


Unverified = list[tuple[str, str]]  # (where, source) of values marked verified = false


def _check_scheme(path: Path) -> tuple[str, Unverified]:
    scheme = load_scheme(path)
    what = (
        f"scheme {scheme.id} {scheme.version}: {len(scheme.criteria)} criteria, "
        f"{len(scheme.tiers)} tiers"
    )
    return what, unverified_constants(scheme)


def _check_project(path: Path) -> tuple[str, Unverified]:
    loaded = load_project(path)
    scheme = scheme_for(loaded)
    resolve_inputs(loaded, scheme)
    return f"project for {scheme.id} {scheme.version}", []


def _check_factors(path: Path) -> tuple[str, Unverified]:
    from greenmark.calc.tables import load_table, unverified

    found = _factor_table(path)
    assert found is not None  # _kind_of said "factors"
    table: Any = load_table(found[1], found[0], path.parent)
    return "factor table", [(where, record.source) for where, record in unverified(table)]


def _check_measures(path: Path) -> tuple[str, Unverified]:
    from greenmark.design.measures import load_catalogue, unverified_values

    catalogue = load_catalogue(path)
    return f"measures catalogue: {len(catalogue.measures)} measures", unverified_values(catalogue)


def _check_vocabulary(path: Path) -> tuple[str, Unverified]:
    from greenmark.core.vocabulary import load_vocabulary

    vocabulary = load_vocabulary(path)
    kinds = f"{len(vocabulary.terms)} terms, {len(vocabulary.building_types)} building types"
    return f"shared input vocabulary: {kinds}", []


_CHECKERS: dict[str, Callable[[Path], tuple[str, Unverified]]] = {
    "scheme": _check_scheme,
    "project": _check_project,
    "factors": _check_factors,
    "measures": _check_measures,
    "mapping": _check_mapping,
    "vocabulary": _check_vocabulary,
}
"""What ``validate`` does per kind of file: a description and its unverified values."""


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-v", "--verbose", is_flag=True, help="List every unverified value, not just the count."
)
@handles_errors
def validate(paths: tuple[Path, ...], verbose: bool) -> None:
    """Check scheme, project, mapping and factor-table files (or folders); list every problem.

    Exit code 2 if any file has a problem. Values marked ``verified = false`` are
    counted (listed with --verbose).
    """
    out = out_console()
    failed = 0
    files = _expand(paths)
    versions: dict[tuple[str, str], list[Path]] = {}
    for path in files:
        kind = _kind_of(path) if path.exists() else "unknown"
        try:
            if not path.exists():
                raise GreenmarkError("file not found", file=path)
            checker = _CHECKERS.get(kind)
            if checker is not None:
                what, unverified = checker(path)
                count = len(unverified)
                note = f", {count} unverified value{'s' if count > 1 else ''}" if count else ""
                out.print(f"[green]ok[/]  {escape(str(path))}  {what}{note}", soft_wrap=True)
                if kind == "scheme":
                    scheme = load_scheme(path)
                    versions.setdefault((scheme.id, scheme.version), []).append(path)
                for where, source in unverified if verbose else ():
                    text = f"      unverified: {where}" + (f" ({source})" if source else "")
                    out.print(Text(text, style="yellow"), soft_wrap=True)
            elif kind == "broken":
                read_toml(path)  # raises the precise reason (encoding, TOML syntax, ...)
                raise GreenmarkError("cannot be read", file=path)  # pragma: no cover
            else:
                raise GreenmarkError(
                    "neither a scheme (no [scheme] table) nor a project (no [project] table) "
                    "nor a portfolio mapping (no [mapping] table)",
                    file=path,
                )
        except GreenmarkError as exc:
            failed += 1
            report_problems(exc.problems)
    for (scheme_id, version), defined in versions.items():
        for again in defined[1:]:  # one scheme is (id, version): a second file is ambiguous
            failed += 1
            report_problems(
                [
                    Problem(
                        f"scheme {scheme_id} {version} is also defined in {defined[0]}: "
                        "give one of them a new version",
                        str(again),
                        "scheme.version",
                    )
                ]
            )
    if failed:
        verb = "has" if failed == 1 else "have"
        err_console().print(f"{failed} of {_files(len(files))} {verb} problems")
        sys.exit(int(ExitCode.INVALID))
    out.print(f"{_files(len(files))} valid")


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"
