"""Cross-checks of a scheme that its models alone cannot make: names that resolve,
formulas that compile, bands in order, tiers and badges that exist, no cycles.
Every problem is returned with its dotted location; none is raised one at a time."""

from __future__ import annotations

import ast
import re

from greenmark.core.errors import FormulaError, UnitError
from greenmark.core.model import (
    BUILTIN_INPUTS,
    RESULT_PREFIXES,
    RESULT_TOTALS,
    BandPoints,
    ChoicePoints,
    FormulaSite,
    InputSpec,
    Scheme,
    YesNoPoints,
    choice_flag,
    compile_site,
    duplicates,
    find_cycle,
    formula_sites,
    input_names,
    result_names,
    site_names,
    slug,
)
from greenmark.core.units import check_unit
from greenmark.core.vocabulary import check_shared


def check_scheme(scheme: Scheme) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field checks; returns ``(location, message)`` for every problem found."""
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def add(location: tuple[str | int, ...], message: str) -> None:
        problems.append((location, message))

    # Names: one namespace for constants, inputs, derived quantities and metrics.
    owners: dict[str, str] = {}
    for kind in ("constants", "inputs", "derived", "metrics"):
        for name in getattr(scheme, kind):
            if name in owners:
                add((kind, name), f"name {name!r} is already used in [{owners[name]}]")
            elif name in BUILTIN_INPUTS or name == "building_type":
                add((kind, name), f"name {name!r} is built in (it comes from the project)")
            elif name in RESULT_TOTALS or name.startswith(RESULT_PREFIXES):
                add(
                    (kind, name),
                    f"name {name!r} is reserved for results "
                    f"(prefixes {', '.join(RESULT_PREFIXES)})",
                )
            owners[name] = kind

    where: tuple[str | int, ...]
    for name, spec in scheme.inputs.items():
        where = ("inputs", name)
        if spec.type == "choice" and not spec.choices:
            add((*where, "type"), "a choice input needs a non-empty 'choices' list")
        if spec.type != "choice" and spec.choices is not None:
            add(
                (*where, "choices"),
                f"'choices' is only allowed when type = 'choice', not {spec.type!r}",
            )
        if spec.choices and duplicates(spec.choices):
            add((*where, "choices"), f"duplicate choices: {', '.join(duplicates(spec.choices))}")
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            add((*where, "max"), f"max ({spec.max:g}) is below min ({spec.min:g})")
        if spec.type in ("boolean", "choice") and (spec.min is not None or spec.max is not None):
            add((*where, "min"), f"min/max do not apply to a {spec.type} input")
        if spec.default is not None:
            problem = _default_problem(spec)
            if problem:
                add((*where, "default"), problem)
        if spec.calculator is not None:
            from greenmark.calc.registry import calculator_names

            known = calculator_names()
            if spec.calculator not in known:
                add(
                    (*where, "calculator"),
                    f"unknown calculator {spec.calculator!r} (known: {', '.join(known)})",
                )

    unit_owners: list[tuple[tuple[str | int, ...], str]] = [
        (("inputs", n, "unit"), s.unit) for n, s in scheme.inputs.items()
    ]
    unit_owners += [(("derived", n, "unit"), s.unit) for n, s in scheme.derived.items()]
    unit_owners += [(("constants", n, "unit"), s.unit) for n, s in scheme.constants.items()]
    unit_owners += [(("metrics", n, "unit"), s.unit) for n, s in scheme.metrics.items()]
    for location, unit in unit_owners:
        try:
            check_unit(unit)
        except UnitError as exc:
            add(location, exc.problems[0].message)

    # Ids.
    for kind, items in (
        ("sections", scheme.sections),
        ("groups", scheme.groups),
        ("criteria", scheme.criteria),
        ("gates", scheme.gates),
        ("tiers", scheme.tiers),
        ("badges", scheme.badges),
    ):
        ids = [item.id for item in items]
        for repeated in duplicates(ids):
            index = len(ids) - 1 - ids[::-1].index(repeated)
            add((kind, index, "id"), f"duplicate id {repeated!r} in [[{kind}]]")
    ids_by_slug: dict[str, set[str]] = {}
    for criterion in scheme.criteria:
        ids_by_slug.setdefault(slug(criterion.id), set()).add(criterion.id)
    for name, clashing in ids_by_slug.items():
        if len(clashing) > 1:
            add(
                ("criteria",),
                f"criterion ids {', '.join(sorted(clashing))} clash once written as the "
                f"formula name pts_{name}",
            )

    section_ids = {s.id for s in scheme.sections}
    tier_ids = [t.id for t in scheme.tiers]
    building_types = set(scheme.scheme.building_types)

    for index, section in enumerate(scheme.sections):
        where = ("sections", index)
        if scheme.scheme.scoring == "percent":
            if section.weight is None:
                add((*where, "weight"), "a percent-scored scheme needs a weight for every section")
            if section.floor is not None:
                add((*where, "floor"), "use floor_percent in a percent-scored scheme")
        elif section.weight is not None:
            add((*where, "weight"), "weights only apply when scheme.scoring = 'percent'")
        if isinstance(section.weight, dict):
            for key, value in section.weight.items():
                if key != "default" and key not in building_types:
                    add(
                        (*where, "weight", key),
                        f"unknown building type {key!r} (scheme.building_types: "
                        f"{', '.join(sorted(building_types)) or 'none'})",
                    )
                if value < 0:
                    add((*where, "weight", key), "weights cannot be negative")
            missing = building_types - set(section.weight)
            if "default" not in section.weight and missing:
                add(
                    (*where, "weight"),
                    f"no weight for building types {', '.join(sorted(missing))} and no 'default'",
                )
        elif isinstance(section.weight, float | int) and section.weight < 0:
            add((*where, "weight"), "weights cannot be negative")
        if section.floor is not None and section.cap is not None and section.floor > section.cap:
            add((*where, "floor"), f"floor ({section.floor:g}) is above the cap ({section.cap:g})")

    grouped: dict[str, str] = {}
    for index, group in enumerate(scheme.groups):
        for member in group.sections:
            if member not in section_ids:
                add(("groups", index, "sections"), f"unknown section {member!r}")
            elif member in grouped:
                add(
                    ("groups", index, "sections"),
                    f"section {member!r} is already in group {grouped[member]!r}",
                )
            grouped[member] = group.id

    for index, criterion in enumerate(scheme.criteria):
        where = ("criteria", index)
        if criterion.section not in section_ids:
            add(
                (*where, "section"),
                f"unknown section {criterion.section!r} "
                f"(sections: {', '.join(s.id for s in scheme.sections)})",
            )
        rule = criterion.points
        if isinstance(rule, BandPoints):
            if len(rule.at) != len(rule.give):
                add(
                    (*where, "points", "give"),
                    f"'at' has {len(rule.at)} thresholds but 'give' has {len(rule.give)} values",
                )
            steps = list(zip(rule.at, rule.at[1:], strict=False))
            if rule.better == "higher" and any(b <= a for a, b in steps):
                add(
                    (*where, "points", "at"),
                    "band thresholds must be strictly increasing when better = 'higher'",
                )
            if rule.better == "lower" and any(b >= a for a, b in steps):
                add(
                    (*where, "points", "at"),
                    "band thresholds must be strictly decreasing when better = 'lower'",
                )
            if any(g < 0 for g in rule.give):
                add((*where, "points", "give"), "points cannot be negative")
            if any(g > criterion.max_points for g in rule.give):
                add(
                    (*where, "points", "give"),
                    f"a band gives more than max_points ({criterion.max_points:g})",
                )
        elif isinstance(rule, YesNoPoints):
            if rule.give > criterion.max_points:
                add(
                    (*where, "points", "give"),
                    f"gives {rule.give:g} points, more than max_points ({criterion.max_points:g})",
                )
        elif isinstance(rule, ChoicePoints):
            choice_spec = scheme.inputs.get(rule.choice)
            if choice_spec is None or choice_spec.type != "choice":
                add((*where, "points", "choice"), f"{rule.choice!r} is not a choice input")
            else:
                spec = choice_spec
                for option, value in rule.give.items():
                    if option not in (spec.choices or ()):
                        add(
                            (*where, "points", "give", option),
                            f"{option!r} is not a choice of {rule.choice!r} "
                            f"({', '.join(spec.choices or ())})",
                        )
                    if value < 0 or value > criterion.max_points:
                        add(
                            (*where, "points", "give", option),
                            f"must be between 0 and max_points ({criterion.max_points:g})",
                        )

    for index, gate in enumerate(scheme.gates):
        if gate.from_tier is not None and gate.from_tier not in tier_ids:
            add(("gates", index, "from_tier"), f"unknown tier {gate.from_tier!r}")
    badge_ids = [b.id for b in scheme.badges]
    for index, badge in enumerate(scheme.badges):
        if badge.min_tier is not None and badge.min_tier not in tier_ids:
            add(("badges", index, "min_tier"), f"unknown tier {badge.min_tier!r}")
        for k, other in enumerate(badge.supersedes):
            if other == badge.id:
                add(("badges", index, "supersedes", k), "a badge cannot supersede itself")
            elif other not in badge_ids:
                add(
                    ("badges", index, "supersedes", k),
                    f"unknown badge {other!r} (badges: {', '.join(badge_ids)})",
                )
    superseded = {b.id: set(b.supersedes) for b in scheme.badges}
    circular = [i for i, b in enumerate(scheme.badges) if _reaches(superseded, b.id, b.id)]
    if circular:  # one problem, at the first badge of the cycle
        names = ", ".join(scheme.badges[i].id for i in circular)
        add(
            ("badges", circular[0], "supersedes"),
            f"badges supersede each other in a cycle ({names})",
        )

    # Maxima by building type: the scheme's own types.
    for index, criterion in enumerate(scheme.criteria):
        for building_type in criterion.max_points_by_type or {}:
            if building_type not in scheme.scheme.building_types:
                types = ", ".join(scheme.scheme.building_types) or "none declared"
                add(
                    ("criteria", index, "max_points_by_type", building_type),
                    f"not a building type of this scheme (building_types: {types})",
                )

    # Crosswalks: each name maps to an input of this scheme.
    for other, mapping in scheme.crosswalk.items():
        for theirs, ours in mapping.items():
            if ours not in scheme.inputs:
                add(("crosswalk", other, theirs), f"{ours!r} is not an input of this scheme")

    # The shared vocabulary: known terms, mapped building types.
    problems.extend(check_shared(scheme))

    # Floors from a tier: a known tier.
    tier_ids = [t.id for t in scheme.tiers]
    floor_tiers = [("sections", i, s.floor_from_tier) for i, s in enumerate(scheme.sections)]
    floor_tiers += [("groups", i, g.floor_from_tier) for i, g in enumerate(scheme.groups)]
    for kind, index, from_tier in floor_tiers:
        if from_tier is not None and from_tier not in tier_ids:
            add(
                (kind, index, "floor_from_tier"),
                f"unknown tier {from_tier!r} (tiers: {', '.join(tier_ids)})",
            )

    # Weights: percent schemes only; adding up to the stated total for every building type.
    info = scheme.scheme
    if info.scoring != "percent":
        for key in ("weights_total", "na_weights"):
            if key in info.model_fields_set:
                add(("scheme", key), "only percent-scored schemes weight their sections")
    elif info.weights_total is not None:
        for building_type in [*info.building_types, "default"]:
            total = 0.0
            for section in scheme.sections:
                weight = section.weight
                if isinstance(weight, dict):
                    weight = weight.get(building_type, weight.get("default", 0.0))
                total += 1.0 if weight is None else float(weight)
            if abs(total - info.weights_total) > 1e-6 * max(1.0, info.weights_total):
                add(
                    ("scheme", "weights_total"),
                    f"the section weights for {building_type} add up to {total:g}, "
                    f"not {info.weights_total:g}",
                )

    # Headline and points: a scheme with points has criteria; one without has no thresholds.
    if info.headline is not None and info.headline not in scheme.metrics:
        metric_list = ", ".join(scheme.metrics) or "none"
        add(("scheme", "headline"), f"not a metric of this scheme (metrics: {metric_list})")
    if info.scoring == "none":
        for index, tier in enumerate(scheme.tiers):
            for threshold in ("min_points", "min_percent"):
                if getattr(tier, threshold) is not None:
                    add(
                        ("tiers", index, threshold),
                        "a scheme without points (scoring = 'none') ranks by tier conditions",
                    )
            if tier.condition is None:
                add(("tiers", index, "condition"), "needs a condition (the scheme has no points)")
    elif not scheme.criteria or not scheme.sections:
        absent = "criteria" if not scheme.criteria else "sections"
        add((absent,), f"a {info.scoring}-scored scheme needs {absent} (or scoring = 'none')")

    # Tiers: the right kind of threshold, in increasing order.
    # (a points scheme may give a tier a percent threshold instead: a share of its maximum)
    previous: dict[str, tuple[str, float]] = {}
    for index, tier in enumerate(scheme.tiers if info.scoring != "none" else []):
        if info.scoring == "percent" and tier.min_points is not None:
            add(("tiers", index, "min_points"), "use min_percent in a percent-scored scheme")
        if tier.min_points is not None and tier.min_percent is not None:
            add(("tiers", index, "min_percent"), "give min_points or min_percent, not both")
        for key in ("min_points", "min_percent"):
            threshold = getattr(tier, key)
            if threshold is None:
                continue
            before = previous.get(key)
            if before is not None and threshold <= before[1]:
                add(
                    ("tiers", index, key),
                    f"tiers go from lowest to highest: {key} {threshold:g} is not above "
                    f"{before[1]:g} of tier {before[0]!r}",
                )
            previous[key] = (tier.id, threshold)

    # Formulas: each compiles against the names its stage may read.
    derived_graph: dict[str, set[str]] = {}
    metric_graph: dict[str, set[str]] = {}
    allowed = site_names(scheme)
    for site in formula_sites(scheme):
        try:
            formula = compile_site(scheme, site, allowed)
        except FormulaError as exc:
            hint = formula_hint(scheme, site)
            add(
                site.location,
                f"{site.label}: {exc.problems[0].message} in {site.source!r}"
                + (f"; {hint}" if hint else ""),
            )
            continue
        if site.location[0] == "derived":
            derived_graph[str(site.location[1])] = set(formula.names)
        elif site.location[0] == "metrics":
            metric_graph[str(site.location[1])] = set(formula.names)
    for kind, graph in (("derived", derived_graph), ("metrics", metric_graph)):
        cycle = find_cycle(graph)
        if cycle:
            add((kind, cycle[0], "formula"), f"circular definition: {' -> '.join(cycle)}")
    known_names = input_names(scheme) | result_names(scheme) | set(scheme.metrics)
    for kind in ("gates", "tiers", "badges"):
        for index, item in enumerate(getattr(scheme, kind)):
            unknown = sorted(
                set(re.findall(r"\{([A-Za-z][A-Za-z0-9_]*)\}", item.requires)) - known_names
            )
            if unknown:
                add(
                    (kind, index, "requires"),
                    f"unknown name(s) in braces: {', '.join(unknown)} (a constant, input, "
                    "derived quantity, metric or result)",
                )
    return problems


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    """True when ``goal`` can be reached from ``start`` in one or more steps."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def _default_problem(spec: InputSpec) -> str | None:
    """Why an input's ``default`` does not fit it, or None."""
    value = spec.default
    if spec.type == "choice":
        if not isinstance(value, str) or value not in (spec.choices or ()):
            return f"expected one of the choices ({', '.join(spec.choices or ())}), not {value!r}"
        return None
    if spec.type == "boolean":
        return None if isinstance(value, bool) else f"expected true or false, not {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, not {value!r}"
    if spec.type == "integer" and float(value) != int(value):
        return f"expected a whole number, not {value!r}"
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        lo = "-inf" if spec.min is None else f"{spec.min:g}"
        hi = "inf" if spec.max is None else f"{spec.max:g}"
        return f"{value:g} is outside the input's range ({lo} to {hi})"
    return None


def formula_hint(scheme: Scheme, site: FormulaSite) -> str:
    """What the author probably meant by a refused formula: a result used before scoring,
    or a choice compared with a string instead of its flag ("" when nothing fits)."""
    try:
        tree = ast.parse(site.source, mode="eval")
    except SyntaxError:
        return ""
    results = result_names(scheme) | set(scheme.metrics)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and site.stage == "input" and node.id in results:
            return (
                f"{node.id!r} is a result, known only after scoring: gates, tiers, badges and "
                "metrics may read it, criteria and derived quantities may not"
            )
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            texts = [
                c.value
                for c in node.comparators
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
            if not texts:
                continue
            name = node.left.id
            spec = scheme.inputs.get(name)
            options = (
                list(scheme.scheme.building_types)
                if name == "building_type"
                else list(spec.choices or ())
                if spec
                else []
            )
            if texts[0] in options:
                return f"compare a choice through its flag: {choice_flag(name, texts[0])}"
            if options:
                flags = ", ".join(choice_flag(name, o) for o in options)
                return f"{name} is a choice; its flags are {flags}"
    return ""
