"""What ``greenmark batch`` scores: the scheme (``--scheme``) or schemes (``--schemes a,b``),
the mapping bound to each, and the notes shown before the run."""

from __future__ import annotations

from pathlib import Path

from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.chunk import Plan
from greenmark.portfolio.io import Source
from greenmark.portfolio.mapping import (
    Binding,
    LoadedMapping,
    bind,
    check_for_schemes,
    direct_mapping,
)
from greenmark.portfolio.multi import AnyPlan, MultiPlan


def load_schemes(
    scheme_ref: str | None, schemes_ref: str | None, mapping: LoadedMapping | None
) -> list[Scheme]:
    """The schemes named by ``--scheme``, ``--schemes`` or the mapping, in order."""
    if scheme_ref is not None and schemes_ref is not None:
        raise GreenmarkError("give --scheme (one scheme) or --schemes (several), not both")
    relative_to: Path | None = None
    where = "--schemes"
    if schemes_ref is not None:
        references = [s.strip() for s in schemes_ref.split(",")]
        if not all(references):
            raise GreenmarkError(
                f"--schemes {schemes_ref!r}: give scheme ids or paths separated by commas, "
                "e.g. --schemes gm-nrb,gm-2021,edge"
            )
    elif scheme_ref is not None:
        references = [scheme_ref]
    elif mapping is not None and mapping.model.mapping.schemes:
        references = list(mapping.model.mapping.schemes)
        relative_to = mapping.path.parent if mapping.path is not None else None
        where = f"{mapping.path}: [mapping].schemes"
    elif mapping is not None and mapping.model.mapping.scheme:
        references = [mapping.model.mapping.scheme]
    else:
        raise GreenmarkError(
            "give --scheme ID|PATH or --schemes A,B (or name the scheme in the mapping file)"
        )
    schemes: list[Scheme] = []
    named: dict[str, str] = {}
    for reference in references:
        try:
            path = resolve_scheme(reference, relative_to=relative_to)
        except GreenmarkError as exc:
            raise GreenmarkError(f"{where}: {exc.problems[0].message}") from None
        scheme = load_scheme(path)
        if scheme.id in named:
            first = named[scheme.id]
            both = f" (as {first!r} and {reference!r})" if first != reference else ""
            raise GreenmarkError(f"{where}: scheme {scheme.id!r} is named twice{both}")
        named[scheme.id] = reference
        schemes.append(scheme)
    return schemes


def build_plan(
    schemes: list[Scheme],
    mapping: LoadedMapping | None,
    sources: list[Source],
    *,
    detail: str,
    allow_empty: bool,
) -> tuple[AnyPlan, list[str]]:
    """The plan of the run (one scheme, or several side by side) and notes for stderr."""
    if len(schemes) == 1:
        scheme = schemes[0]
        # a mapping written for several schemes names inputs this one may lack
        several = mapping is not None and bool(mapping.model.mapping.schemes)
        binding, notes = _binding(mapping, scheme, sources, lenient=several)
        if several and mapping is not None:
            left_out = [n for n in mapping.model.inputs if n not in scheme.inputs]
            if left_out:
                notes.append(f"{scheme.id} has no input {', '.join(left_out)}: left out")
        if binding is not None and not allow_empty:
            _refuse_empty(binding, mapping, sources)
        plan = Plan.from_binding(scheme, binding) if binding else Plan(scheme, [])
        plan.detail = detail
        if mapping is not None and binding is not None:
            plan.routes = _routes(mapping, scheme, detail, notes)
        return plan, notes
    if mapping is not None:
        if mapping.model.columns.scheme is not None:
            raise GreenmarkError(
                "the mapping's scheme column scores each row under the scheme it names; "
                "--schemes scores every row under each: use one or the other",
                file=mapping.path,
                location="columns.scheme",
            )
        check_for_schemes(mapping, schemes)
    plans: list[Plan] = []
    notes = []
    used: list[str] = []
    for index, scheme in enumerate(schemes):
        binding, found = _binding(mapping, scheme, sources, several=True)
        notes += found if index == 0 else [n for n in found if n.startswith(f"{scheme.id}: ")]
        if binding is not None and not allow_empty:
            _refuse_empty(binding, mapping, sources, several=scheme)
        if binding is not None:
            inputs = sum(f.role == "input" for f in binding.fields)
            used.append(f"{scheme.id} {inputs} of {len(scheme.inputs)}")
        plan = Plan.from_binding(scheme, binding) if binding else Plan(scheme, [])
        plan.detail = detail
        plans.append(plan)
    if used:
        how = "named like its inputs" if mapping is None else "mapped"
        notes.insert(0, f"{len(schemes)} schemes, inputs with a column ({how}): " + ", ".join(used))
    return MultiPlan(plans), notes


def _binding(
    mapping: LoadedMapping | None,
    scheme: Scheme,
    sources: list[Source],
    several: bool = False,
    lenient: bool = False,
) -> tuple[Binding | None, list[str]]:
    """Bind the mapping (or the direct column-name mapping) and check every table has
    the columns it names. Returns the binding and notes for stderr (with ``several``
    schemes: the mapping bound leniently, notes about one scheme start with its id)."""
    tables = [s for s in sources if s.kind in ("csv", "parquet", "xlsx")]
    notes: list[str] = []
    for source in sources:
        ignored = getattr(source, "ignored", [])
        if ignored:
            notes.append(
                f"{source.name}: {len(ignored)} TOML files without a [project] table left out"
            )
    if mapping is not None and len(tables) < len(sources):
        notes.append(
            "the mapping applies to CSV, Parquet and spreadsheet inputs; project files carry "
            "their own"
        )
    if not tables:
        return None, notes
    loaded = mapping if mapping is not None else direct_mapping(scheme, tables[0].columns)
    binding = bind(loaded, scheme, lenient=several or lenient)
    used = binding.used()
    for source in tables:
        binding.check_columns(source.columns, source.name)
        source.check_types(used)
    if mapping is None and not several:
        mapped = {f.column for f in binding.fields}
        notes.append(
            f"no --mapping: {len(mapped)} of {len(tables[0].columns)} columns used (named like "
            "the scheme's inputs, or id, name, building_type, gfa), in the scheme's units"
        )
    if binding.unmapped_inputs:
        shown = ", ".join(binding.unmapped_inputs[:8])
        more = len(binding.unmapped_inputs) - 8
        notes.append(
            (f"{scheme.id}: " if several else "")
            + f"{len(binding.unmapped_inputs)} scheme inputs have no column (not assessed): {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    return binding, notes


def _routes(
    mapping: LoadedMapping, default: Scheme, detail: str, notes: list[str]
) -> dict[str, Plan]:
    """The other schemes a per-row scheme column names (its aliases' targets), each with
    the mapping bound to it leniently (inputs it lacks left out)."""
    spec = mapping.model.columns.scheme
    if spec is None:
        return {}
    routes: dict[str, Plan] = {}
    for target in dict.fromkeys(t.strip() for t in spec.aliases.values()):
        key = target.lower()
        if key == default.id.lower() or key in routes:
            continue
        try:
            scheme = load_scheme(resolve_scheme(target, relative_to=mapping.path))
        except GreenmarkError as exc:
            raise GreenmarkError(
                f"the scheme column's alias target {target!r}: {exc.problems[0].message}",
                file=mapping.path,
                location="columns.scheme.aliases",
            ) from None
        binding = bind(mapping, scheme, lenient=True)
        left_out = [n for n in mapping.model.inputs if n not in scheme.inputs]
        if left_out:
            notes.append(f"{scheme.id} has no input {', '.join(left_out)}: left out for its rows")
        plan = Plan.from_binding(scheme, binding)
        plan.detail = detail
        routes[key] = plan
    return routes


def _refuse_empty(
    binding: Binding,
    mapping: LoadedMapping | None,
    sources: list[Source],
    several: Scheme | None = None,
) -> None:
    """A run that feeds no scheme input would score every row as "not assessed": refuse it
    (with several schemes: any one of them, ``several``, that would)."""
    if any(f.role == "input" for f in binding.fields):
        return
    table = next(s for s in sources if s.kind != "projects")
    shown = ", ".join(table.columns[:12]) + (", …" if len(table.columns) > 12 else "")
    if several is None:
        why = (
            "no column is named like one of the scheme's inputs"
            if mapping is None
            else "the mapping gives no [inputs]"
        )
        message = (
            f"nothing to score: {why} (columns: {shown}); start a mapping with "
            f"`greenmark mapping init {table.name}`, or pass --allow-empty"
        )
    else:
        inputs = list(several.inputs)
        names = ", ".join(inputs[:8]) + (", …" if len(inputs) > 8 else "")
        why = "no column is named like" if mapping is None else "the mapping maps none of"
        message = (
            f"nothing to score under {several.id}: {why} its inputs ({names}) (columns: "
            f"{shown}); map them in a mapping file, leave {several.id} out of --schemes, "
            "or pass --allow-empty"
        )
    raise GreenmarkError(message, file=mapping.path if mapping is not None else table.path)
