"""A points scheme's scoring written out as a DuckDB query and as a polars program.

What a user who reads the scheme file could write by hand: one value per
criterion, its points (bands as ``CASE``, formulas clipped, choices looked up),
"not assessed" when an input it reads is empty, "not applicable" from
``applies_if``, section and group caps, floors, gates, cumulative tiers and what
blocks the next tier. The text is generated from the scheme data so that it
follows the file, and written out (``bench_vs_sql.py --show``) so that it can be
read and run on its own.

Thresholds are compared with the same tolerance the engine uses (a value that
reaches a band up to rounding counts), so every row can agree exactly. Inputs
are not validated (greenmark checks ranges and reports bad cells; these do not).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from greenmark.core.engine import CompiledScheme, compile_scheme
from greenmark.core.model import (
    BandPoints,
    ChoicePoints,
    CriterionSpec,
    FormulaPoints,
    Scheme,
    YesNoPoints,
    choice_flag,
    dependency_order,
    slug,
)

EPS = "1e-9"


class Unsupported(ValueError):
    """A scheme feature these hand-written forms do not cover."""


def num(value: float) -> str:
    """A number literal (whole numbers without a decimal point)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(frozen=True)
class Names:
    """What a formula name stands for: a constant, a derived column, a flag or an input."""

    constants: dict[str, float]
    flags: dict[str, tuple[str, str]]  # flag -> (input column, option)
    booleans: frozenset[str]
    numbers: frozenset[str]  # numeric inputs and derived quantities

    @classmethod
    def of(cls, scheme: Scheme) -> Names:
        flags = {
            choice_flag(name, option): (name, option)
            for name, spec in scheme.inputs.items()
            for option in spec.choices or ()
        }
        flags.update(
            {choice_flag("building_type", t): ("building_type", t) for t in _types(scheme)}
        )
        booleans = frozenset(n for n, s in scheme.inputs.items() if s.type == "boolean")
        numbers = {n for n, s in scheme.inputs.items() if s.type in ("number", "integer")}
        return cls(
            constants={n: c.value for n, c in scheme.constants.items()},
            flags=flags,
            booleans=booleans,
            numbers=frozenset(numbers | set(scheme.derived) | {"gfa"}),
        )


def _types(scheme: Scheme) -> list[str]:
    return list(scheme.scheme.building_types)


class Dialect:
    """How one language spells the pieces of a formula (SQL or polars)."""

    def col(self, name: str) -> str: ...
    def lit(self, value: float | bool) -> str: ...
    def equals(self, column: str, text: str) -> str: ...
    def to_number(self, expr: str) -> str: ...
    def to_bool(self, expr: str) -> str: ...
    def binary(self, op: str, left: str, right: str) -> str: ...
    def negate(self, expr: str) -> str: ...
    def not_(self, expr: str) -> str: ...
    def all_(self, parts: list[str]) -> str: ...
    def any_(self, parts: list[str]) -> str: ...
    def when(self, cases: list[tuple[str, str]], otherwise: str) -> str: ...
    def call(self, name: str, args: list[str]) -> str: ...


class Sql(Dialect):
    """DuckDB SQL."""

    def col(self, name: str) -> str:
        return name

    def lit(self, value: float | bool) -> str:
        return ("TRUE" if value else "FALSE") if isinstance(value, bool) else num(value)

    def equals(self, column: str, text: str) -> str:
        return f"({column} = '{text}')"

    def to_number(self, expr: str) -> str:
        return f"{expr}::DOUBLE"

    def to_bool(self, expr: str) -> str:
        return f"({expr} <> 0)"

    def binary(self, op: str, left: str, right: str) -> str:
        return f"({left} {op} {right})"

    def negate(self, expr: str) -> str:
        return f"(-{expr})"

    def not_(self, expr: str) -> str:
        return f"(NOT {expr})"

    def all_(self, parts: list[str]) -> str:
        return "(" + " AND ".join(parts) + ")" if parts else "TRUE"

    def any_(self, parts: list[str]) -> str:
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def when(self, cases: list[tuple[str, str]], otherwise: str) -> str:
        body = " ".join(f"WHEN {c} THEN {v}" for c, v in cases)
        return f"CASE {body} ELSE {otherwise} END"

    def call(self, name: str, args: list[str]) -> str:
        sql = {"min": "least", "max": "greatest", "abs": "abs", "floor": "floor", "ceil": "ceil"}
        if name == "sqrt":
            return f"sqrt({args[0]})"
        if name == "clip":
            return f"least(greatest({args[0]}, {args[1]}), {args[2]})"
        if name == "where":
            return self.when([(args[0], args[1])], args[2])
        if name not in sql:
            raise Unsupported(f"function {name}()")
        return f"{sql[name]}({', '.join(args)})"


class Polars(Dialect):
    """polars expressions (Python source)."""

    def col(self, name: str) -> str:
        return f'pl.col("{name}")'

    def lit(self, value: float | bool) -> str:
        return f"pl.lit({value!r})" if isinstance(value, bool) else f"pl.lit({float(value)!r})"

    def equals(self, column: str, text: str) -> str:
        return f'({column} == "{text}")'

    def to_number(self, expr: str) -> str:
        return f"{expr}.cast(pl.Float64)"

    def to_bool(self, expr: str) -> str:
        return f"({expr} != 0)"

    def binary(self, op: str, left: str, right: str) -> str:
        op = {"AND": "&", "OR": "|", "=": "==", "<>": "!="}.get(op, op)
        return f"({left} {op} {right})"

    def negate(self, expr: str) -> str:
        return f"(-{expr})"

    def not_(self, expr: str) -> str:
        return f"(~{expr})"

    def all_(self, parts: list[str]) -> str:
        return f"pl.all_horizontal({', '.join(parts)})" if parts else "pl.lit(True)"

    def any_(self, parts: list[str]) -> str:
        return f"pl.any_horizontal({', '.join(parts)})" if parts else "pl.lit(False)"

    def when(self, cases: list[tuple[str, str]], otherwise: str) -> str:
        text = "pl"
        for condition, value in cases:
            text += f".when({condition}).then({value})"
        return f"{text}.otherwise({otherwise})"

    def call(self, name: str, args: list[str]) -> str:
        if name == "min":
            return f"pl.min_horizontal({', '.join(args)})"
        if name == "max":
            return f"pl.max_horizontal({', '.join(args)})"
        if name == "clip":
            return f"{args[0]}.clip({args[1]}, {args[2]})"
        if name == "where":
            return self.when([(args[0], args[1])], args[2])
        if name in ("abs", "floor", "ceil", "sqrt"):
            return f"{args[0]}.{name}()"
        raise Unsupported(f"function {name}()")


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "=", ast.NotEq: "<>"}


class Translator:
    """A scheme formula in one dialect; each result is (text, "num" | "bool")."""

    def __init__(self, dialect: Dialect, names: Names) -> None:
        self.d = dialect
        self.names = names

    def number(self, source: str) -> str:
        text, kind = self.expr(ast.parse(source.strip(), mode="eval").body)
        return self.d.to_number(text) if kind == "bool" else text

    def boolean(self, source: str) -> str:
        text, kind = self.expr(ast.parse(source.strip(), mode="eval").body)
        return self.d.to_bool(text) if kind == "num" else text

    def _num(self, node: ast.AST) -> str:
        text, kind = self.expr(node)
        return self.d.to_number(text) if kind == "bool" else text

    def _bool(self, node: ast.AST) -> str:
        text, kind = self.expr(node)
        return self.d.to_bool(text) if kind == "num" else text

    def expr(self, node: ast.AST) -> tuple[str, str]:
        d = self.d
        if isinstance(node, ast.Constant):
            value = node.value
            return d.lit(value), "bool" if isinstance(value, bool) else "num"
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            op = _OPS[type(node.op)]
            return d.binary(op, self._num(node.left), self._num(node.right)), "num"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return d.negate(self._num(node.operand)), "num"
            if isinstance(node.op, ast.UAdd):
                return self._num(node.operand), "num"
            if isinstance(node.op, ast.Not):
                return d.not_(self._bool(node.operand)), "bool"
        if isinstance(node, ast.BoolOp):
            parts = [self._bool(v) for v in node.values]
            op = "AND" if isinstance(node.op, ast.And) else "OR"
            text = parts[0]
            for part in parts[1:]:
                text = d.binary(op, text, part)
            return text, "bool"
        if isinstance(node, ast.Compare):
            terms = [self._num(node.left), *(self._num(c) for c in node.comparators)]
            parts = [
                d.binary(_CMP[type(op)], terms[i], terms[i + 1]) for i, op in enumerate(node.ops)
            ]
            return (parts[0] if len(parts) == 1 else d.all_(parts)), "bool"
        if isinstance(node, ast.IfExp):
            cases = [(self._bool(node.test), self._num(node.body))]
            return d.when(cases, self._num(node.orelse)), "num"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name == "where":
                args = [self._bool(node.args[0]), *(self._num(a) for a in node.args[1:])]
            else:
                args = [self._num(a) for a in node.args]
            return d.call(name, args), "num"
        raise Unsupported(f"formula syntax {type(node).__name__}")

    def _name(self, name: str) -> tuple[str, str]:
        names, d = self.names, self.d
        if name in names.constants:
            return d.lit(names.constants[name]), "num"
        if name in names.flags:
            column, option = names.flags[name]
            return d.equals(d.col(column), option), "bool"
        if name in names.booleans:
            return d.col(name), "bool"
        if name in names.numbers:
            return d.col(name), "num"
        raise Unsupported(f"name {name!r}")


@dataclass
class Layout:
    """The scheme's structure, refused where these forms do not cover it."""

    scheme: Scheme
    compiled: CompiledScheme
    names: Names
    derived_levels: list[list[str]]  # derived quantities by dependency level

    @classmethod
    def of(cls, scheme: Scheme) -> Layout:
        if scheme.scheme.scoring != "points":
            raise Unsupported("percent-scored schemes (weights by building type)")
        if scheme.badges or any(t.condition for t in scheme.tiers):
            raise Unsupported("badges and tier conditions")
        if any(s.floor_percent is not None for s in scheme.sections):
            raise Unsupported("floors in percent")
        compiled = compile_scheme(scheme)
        formulas = dict(compiled.derived)
        level_of: dict[str, int] = {}
        for name in dependency_order({n: set(f.names) for n, f in formulas.items()}):
            needs = [level_of[n] for n in formulas[name].names if n in level_of]
            level_of[name] = max(needs, default=-1) + 1
        levels = [
            [n for n, lv in level_of.items() if lv == i]
            for i in range(max(level_of.values(), default=-1) + 1)
        ]
        return cls(scheme, compiled, Names.of(scheme), levels)

    def key(self, criterion_id: str) -> str:
        return slug(criterion_id).lower()

    @property
    def criteria(self) -> list[tuple[str, CriterionSpec, frozenset[str], frozenset[str]]]:
        """(key, spec, rule inputs, applies_if inputs) per criterion."""
        return [
            (self.key(spec.id), spec, c.rule_inputs, c.applies_inputs)
            for spec, c in zip(self.scheme.criteria, self.compiled.criteria, strict=True)
        ]

    def members(self, section: str, bonus: bool) -> list[tuple[str, float]]:
        return [
            (self.key(c.id), c.max_points)
            for c in self.scheme.criteria
            if c.section == section and c.bonus == bonus
        ]

    def thresholds(self) -> list[float]:
        return [float("-inf") if t.min_points is None else t.min_points for t in self.scheme.tiers]

    def scheme_floor(self, section: str) -> float | None:
        return next(s.floor for s in self.scheme.sections if s.id == section)

    def gate_rank(self, gate_from: str | None) -> int:
        return self.scheme.tier_index(gate_from) if gate_from else 0


def _scaled(terms: list[str], conversion: float) -> str:
    """A sum of a section's own points, in scheme points (summed, then converted)."""
    if not terms:
        return "0"
    total = " + ".join(terms)
    return total if conversion == 1.0 else f"({total}) / {conversion!r}"


def _value_sql(t: Translator, spec: CriterionSpec) -> tuple[str, bool]:
    """The value a criterion's rule looks at, and whether it must be a finite number."""
    rule = spec.points
    if isinstance(rule, FormulaPoints):
        return t.number(rule.formula), True
    if isinstance(rule, BandPoints):  # compared with the engine's tolerance, lower negated
        value = t.number(rule.bands)
        return f"band_key({'-' if rule.better == 'lower' else ''}{value})", True
    if isinstance(rule, YesNoPoints):
        return f"coalesce({t.boolean(rule.yes)}, FALSE)", False
    if isinstance(rule, ChoicePoints):
        return rule.choice, False
    raise Unsupported(f"points rule of {spec.id}")  # pragma: no cover


def _earned_sql(spec: CriterionSpec, v: str) -> str:
    """Points from the value ``v`` (assessed and applicable)."""
    rule = spec.points
    if isinstance(rule, FormulaPoints):
        return f"least(greatest({v}, 0), {num(spec.max_points)})"
    if isinstance(rule, BandPoints):
        pairs = list(zip(rule.at, rule.give, strict=True))[::-1]
        sign = -1 if rule.better == "lower" else 1
        cases = " ".join(f"WHEN {v} >= {num(sign * a)} THEN {num(g)}" for a, g in pairs)
        earned = f"CASE {cases} ELSE 0 END"
        return (
            f"least({earned}, {num(spec.max_points)})"
            if max(rule.give) > spec.max_points
            else earned
        )
    if isinstance(rule, YesNoPoints):
        return f"CASE WHEN {v} THEN {num(rule.give)} ELSE 0 END"
    assert isinstance(rule, ChoicePoints)
    cases = " ".join(f"WHEN '{o}' THEN {num(g)}" for o, g in rule.give.items() if g)
    return f"CASE {v} {cases} ELSE 0 END" if cases else "0"


def duckdb_query(scheme: Scheme, source: str, out: str) -> str:
    """The whole scoring as DuckDB SQL: read ``source`` (Parquet), write ``out`` (Parquet, zstd)."""
    layout = Layout.of(scheme)
    t = Translator(Sql(), layout.names)
    ctes = [
        "src AS (SELECT *, file_row_number + 1 AS row "
        f"FROM read_parquet('{source}', file_row_number = true))"
    ]
    previous = "src"
    for i, level in enumerate(layout.derived_levels):
        columns = []
        for name in level:
            value = f"({t.number(scheme.derived[name].formula)})"
            columns.append(f"CASE WHEN isfinite({value}) THEN {value} END AS {name}")
        ctes.append(f"derived{i} AS (SELECT *, {', '.join(columns)} FROM {previous})")
        previous = f"derived{i}"

    values, points = [], []
    for key, spec, rule_inputs, applies_inputs in layout.criteria:
        value, finite = _value_sql(t, spec)
        values.append(f"{value} AS v_{key}")
        v = f"v_{key}"
        given = [f"{n} IS NOT NULL" for n in sorted(rule_inputs | applies_inputs)]
        if finite:
            given.append(f"isfinite({v})")
        earned = _earned_sql(spec, v)
        if spec.applies_if is not None:
            applies_given = [f"{n} IS NOT NULL" for n in sorted(applies_inputs)] or ["TRUE"]
            applies = t.boolean(spec.applies_if)
            na = f"coalesce({' AND '.join(applies_given)} AND NOT ({applies}), FALSE)"
            points.append(f"{na} AS na_{key}")
            earned_case = (
                f"CASE WHEN na_{key} THEN NULL WHEN {' AND '.join(given)} THEN {earned} END"
            )
        else:
            points.append(f"FALSE AS na_{key}")
            earned_case = f"CASE WHEN {' AND '.join(given) or 'TRUE'} THEN {earned} END"
        points.append(f"{earned_case} AS e_{key}")
    ctes.append(f"vals AS (SELECT *, {', '.join(values)} FROM {previous})")
    ctes.append(f"crit AS (SELECT *, {', '.join(points)} FROM vals)")
    status = []
    for key, spec, _, _ in layout.criteria:
        status.append(f"coalesce(e_{key}, 0) AS p_{key}")
        full = f"{num(spec.max_points)} - {EPS}"
        status.append(
            f"CASE WHEN na_{key} THEN 4 WHEN e_{key} IS NULL THEN 0 "
            f"ELSE 1 + (e_{key} > 0)::INT + (e_{key} >= {full})::INT END AS st_{key}"
        )
    ctes.append(f"pts AS (SELECT *, {', '.join(status)} FROM crit)")

    sections = []
    for section in scheme.sections:
        conversion = getattr(section, "conversion", 1.0)
        core = layout.members(section.id, False)
        bonus = layout.members(section.id, True)
        raw = _scaled([f"p_{k}" for k, _ in core], conversion)
        sections.append(f"{_capped(raw, section.cap)} AS core_{section.id}")
        sections.append(
            f"{_capped(_scaled([f'p_{k}' for k, _ in bonus], conversion), section.bonus_cap)} "
            f"AS bonus_{section.id}"
        )
        most = _scaled([f"CASE WHEN na_{k} THEN 0 ELSE {num(m)} END" for k, m in core], conversion)
        sections.append(f"{_capped(most, section.cap)} AS max_{section.id}")
    ctes.append(f"sec AS (SELECT *, {', '.join(sections)} FROM pts)")

    grouped = {s for g in scheme.groups for s in g.sections}
    groups, core_terms, max_terms = [], [], []
    for group in scheme.groups:
        core = " + ".join(f"core_{s}" for s in group.sections)
        most = " + ".join(f"max_{s}" for s in group.sections)
        groups.append(f"{_capped(core, group.cap)} AS gcore_{group.id}")
        groups.append(f"{_capped(most, group.cap)} AS gmax_{group.id}")
        core_terms.append(f"gcore_{group.id}")
        max_terms.append(f"gmax_{group.id}")
    core_terms += [f"core_{s.id}" for s in scheme.sections if s.id not in grouped]
    max_terms += [f"max_{s.id}" for s in scheme.sections if s.id not in grouped]
    if groups:
        ctes.append(f"grp AS (SELECT *, {', '.join(groups)} FROM sec)")
    bonus_all = " + ".join(f"bonus_{s.id}" for s in scheme.sections)
    totals = [
        f"{' + '.join(core_terms)} AS total_core",
        f"{' + '.join(max_terms)} AS total_max",
    ]
    ctes.append(f"tot AS (SELECT *, {', '.join(totals)} FROM {'grp' if groups else 'sec'})")

    checks = []  # floors, then gates
    for section in scheme.sections:
        if section.floor is not None:
            checks.append(f"core_{section.id} + bonus_{section.id} >= {num(section.floor)} - {EPS}")
    for group in scheme.groups:
        if group.floor is not None:
            bonus = " + ".join(f"bonus_{s}" for s in group.sections)
            checks.append(f"gcore_{group.id} + {bonus} >= {num(group.floor)} - {EPS}")
    floors = " AND ".join(checks) or "TRUE"
    gate_cols = []
    for i, gate in enumerate(scheme.gates):
        compiled = layout.compiled.gates[i]
        given = " AND ".join(f"{n} IS NOT NULL" for n in sorted(compiled.inputs)) or "TRUE"
        passed = f"coalesce({t.boolean(gate.condition)}, FALSE)"
        # status: 0 not assessed, 1 failed, 2 passed, 3 not applicable
        status = f"WHEN NOT ({given}) THEN 0 WHEN {passed} THEN 2 ELSE 1"
        if gate.applies_if is not None:
            applies_given = (
                " AND ".join(f"{n} IS NOT NULL" for n in sorted(compiled.applies_inputs)) or "TRUE"
            )
            applies = t.boolean(gate.applies_if)
            status = (
                f"WHEN {applies_given} AND NOT ({applies}) THEN 3 "
                f"WHEN NOT ({given} AND {applies_given}) THEN 0 WHEN {passed} THEN 2 ELSE 1"
            )
        gate_cols.append(f"CASE {status} END AS gate{i}")
    ctes.append(
        f"checked AS (SELECT *, total_core + {bonus_all} AS total_points, {floors} AS floors_ok"
        + "".join(f", {g}" for g in gate_cols)
        + " FROM tot)"
    )
    thresholds = layout.thresholds()
    tiers = scheme.tiers
    cases = []
    for k in range(len(tiers) - 1, -1, -1):
        parts = ["floors_ok"]
        parts += [
            f"total_points >= {num(thresholds[j])} - {EPS}"
            for j in range(k + 1)
            if thresholds[j] > float("-inf")
        ]
        parts += [
            f"gate{i} >= 2"
            for i, g in enumerate(scheme.gates)
            if layout.gate_rank(g.from_tier) <= k
        ]
        cases.append(f"WHEN {' AND '.join(parts)} THEN {k}")
    ctes.append(
        f"tiered AS (SELECT *, CASE {' '.join(cases)} ELSE -1 END AS tier_index FROM checked)"
    )
    ctes.append(f"blocked AS (SELECT *, {_blocking_sql(layout)} AS blocking FROM tiered)")

    def label(offset: int) -> str:
        whens = " ".join(f"WHEN {i - offset} THEN '{tier.id}'" for i, tier in enumerate(tiers))
        return f"CASE tier_index {whens} END"

    needed_whens = " ".join(
        f"WHEN {i - 1} THEN greatest(0, {num(0 if thr == float('-inf') else thr)} - total_points)"
        for i, thr in enumerate(thresholds)
    )
    status_counts = []
    for name, code in (
        ("n_awarded", 3),
        ("n_partial", 2),
        ("n_not_met", 1),
        ("n_not_assessed", 0),
        ("n_not_applicable", 4),
    ):
        terms = " + ".join(f"(st_{k} = {code})::INT" for k, *_ in layout.criteria)
        status_counts.append(f"({terms})::INTEGER AS {name}")
    metrics = [m for m in ("eui", "embodied_carbon") if m in scheme.inputs]
    select = [
        "row::BIGINT AS row",
        "coalesce(id, row::VARCHAR) AS id",
        "name",
        "building_type",
        "gfa",
        "round(total_points, 4) AS total_points",
        "round(CASE WHEN total_max > 0 THEN 100 * total_core / total_max ELSE 0 END, 4) "
        "AS total_percent",
        f"{label(0)} AS tier",
        "'' AS badges",
        f"{label(1)} AS next_tier",
        f"round(CASE tier_index {needed_whens} END, 4) AS points_needed",
        "blocking",
        *(f"round(core_{s.id} + bonus_{s.id}, 4) AS sec_{s.id}" for s in scheme.sections),
        *status_counts,
        *metrics,
        "'' AS flags",
    ]
    body = ",\n  ".join(ctes)
    return (
        f"CREATE OR REPLACE MACRO band_key(v) AS v + {EPS} * greatest(1, abs(v));\n"
        f"COPY (\nWITH\n  {body}\nSELECT {', '.join(select)}\nFROM blocked\n) "
        f"TO '{out}' (FORMAT parquet, COMPRESSION zstd);\n"
    )


def _blockers(layout: Layout) -> list[tuple[str, str, str]]:
    """What can keep a building from its next tier, in the order an assessor looks:
    (kind, what it names, message). ``kind``: failed / not assessed (a gate index),
    floor (a section or group id), condition (a tier index)."""
    scheme = layout.scheme
    found = []
    for i, gate in enumerate(scheme.gates):
        found.append(("failed", str(i), f"gate {gate.id} failed: {gate.title}"))
        found.append(("not assessed", str(i), f"gate {gate.id} not assessed: {gate.title}"))
    for part in [*scheme.sections, *scheme.groups]:
        if part.floor is not None:
            found.append(("floor", part.id, f"floor of {part.id}: {part.title}"))
    for t, tier in enumerate(scheme.tiers):
        found.append(("condition", str(t), f"condition of {tier.id}"))
    return found


def _blocking_sql(layout: Layout) -> str:
    """The first thing keeping each building from its next tier ('' at the top)."""
    scheme = layout.scheme
    thresholds = layout.thresholds()
    following = "tier_index + 1"
    cases = [f"WHEN {following} >= {len(scheme.tiers)} THEN ''"]
    for kind, what, message in _blockers(layout):
        text = "'" + message.replace("'", "''") + "'"
        if kind in ("failed", "not assessed"):
            i = int(what)
            rank = layout.gate_rank(scheme.gates[i].from_tier)
            code = 1 if kind == "failed" else 0
            cases.append(f"WHEN {rank} <= {following} AND gate{i} = {code} THEN {text}")
        elif kind == "floor":
            group = next((g for g in scheme.groups if g.id == what), None)
            if group is None:
                total, floor = f"core_{what} + bonus_{what}", layout.scheme_floor(what)
            else:
                bonus = " + ".join(f"bonus_{s}" for s in group.sections)
                total, floor = f"gcore_{what} + {bonus}", group.floor
            cases.append(f"WHEN NOT ({total} >= {num(floor or 0)} - {EPS}) THEN {text}")
        else:
            k = int(what)
            own = ["floors_ok"]
            if thresholds[k] > float("-inf"):
                own.append(f"total_points >= {num(thresholds[k])} - {EPS}")
            own += [
                f"gate{i} >= 2"
                for i, g in enumerate(scheme.gates)
                if layout.gate_rank(g.from_tier) <= k
            ]
            nxt = 0.0 if thresholds[k] == float("-inf") else thresholds[k]
            short = f"greatest(0, {num(nxt)} - total_points)"
            cases.append(
                f"WHEN {following} = {k} AND NOT ({' AND '.join(own)}) "
                f"AND NOT ({short} > 0) THEN {text}"
            )
    return f"CASE {' '.join(cases)} ELSE 'points' END"


def _capped(expr: str, cap: float | None) -> str:
    return expr if cap is None else f"least({expr}, {num(cap)})"


def _c(name: str) -> str:
    return f'pl.col("{name}")'


def _all(parts: list[str]) -> str:
    if not parts:
        return "pl.lit(True)"
    return parts[0] if len(parts) == 1 else f"pl.all_horizontal({', '.join(parts)})"


def _value_polars(t: Translator, spec: CriterionSpec) -> tuple[str, bool]:
    rule = spec.points
    if isinstance(rule, FormulaPoints):
        return t.number(rule.formula), True
    if isinstance(rule, BandPoints):  # compared with the engine's tolerance, lower negated
        value = t.number(rule.bands)
        return f"band_key({'-' if rule.better == 'lower' else ''}{value})", True
    if isinstance(rule, YesNoPoints):
        return f"{t.boolean(rule.yes)}.fill_null(False)", False
    if isinstance(rule, ChoicePoints):
        return _c(rule.choice), False
    raise Unsupported(f"points rule of {spec.id}")  # pragma: no cover


def _earned_polars(spec: CriterionSpec, v: str) -> str:
    rule = spec.points
    top = float(spec.max_points)
    if isinstance(rule, FormulaPoints):
        return f"{v}.clip(0.0, {top!r})"
    if isinstance(rule, BandPoints):
        pairs = list(zip(rule.at, rule.give, strict=True))[::-1]
        sign = -1.0 if rule.better == "lower" else 1.0
        whens = "".join(f".when({v} >= {sign * a!r}).then({float(g)!r})" for a, g in pairs)
        earned = f"pl{whens}.otherwise(0.0)"
        return f"pl.min_horizontal({earned}, {top!r})" if max(rule.give) > top else earned
    if isinstance(rule, YesNoPoints):
        return f"pl.when({v}).then({float(rule.give)!r}).otherwise(0.0)"
    assert isinstance(rule, ChoicePoints)
    whens = "".join(f'.when({v} == "{o}").then({float(g)!r})' for o, g in rule.give.items() if g)
    return f"pl{whens}.otherwise(0.0)" if whens else "pl.lit(0.0)"


def _min(expr: str, cap: float | None) -> str:
    return expr if cap is None else f"pl.min_horizontal({expr}, {float(cap)!r})"


def _sum(names: list[str], conversion: float = 1.0) -> str:
    """A sum of columns; a section's own points summed, then converted."""
    if not names:
        return "pl.lit(0.0)"
    total = " + ".join(_c(n) for n in names)
    return total if conversion == 1.0 else f"({total}) / {conversion!r}"


def polars_program(scheme: Scheme, source: str, out: str) -> str:
    """The whole scoring as a polars (lazy, streaming) program: ``source`` to ``out``."""
    layout = Layout.of(scheme)
    t = Translator(Polars(), layout.names)
    steps: list[dict[str, str]] = []
    for level in layout.derived_levels:
        step = {}
        for name in level:
            value = t.number(scheme.derived[name].formula)
            step[name] = f"pl.when(({value}).is_finite()).then({value})"
        steps.append(step)
    values: dict[str, str] = {}
    marks: dict[str, str] = {}
    crit: dict[str, str] = {}
    pts: dict[str, str] = {}
    for key, spec, rule_inputs, applies_inputs in layout.criteria:
        value, finite = _value_polars(t, spec)
        values[f"v_{key}"] = value
        v = _c(f"v_{key}")
        given = [f"{_c(n)}.is_not_null()" for n in sorted(rule_inputs | applies_inputs)]
        if finite:
            given.append(f"{v}.is_finite()")
        earned = _earned_polars(spec, v)
        if spec.applies_if is not None:
            applies_given = [f"{_c(n)}.is_not_null()" for n in sorted(applies_inputs)]
            applies = t.boolean(spec.applies_if)
            marks[f"na_{key}"] = f"({_all(applies_given)} & ~{applies}).fill_null(False)"
            crit[f"e_{key}"] = (
                f"pl.when({_c(f'na_{key}')}).then(None).when({_all(given)}).then({earned})"
            )
        else:
            marks[f"na_{key}"] = "pl.lit(False)"
            crit[f"e_{key}"] = f"pl.when({_all(given)}).then({earned})"
        e, na = _c(f"e_{key}"), _c(f"na_{key}")
        pts[f"p_{key}"] = f"{e}.fill_null(0.0)"
        full = f"{float(spec.max_points)!r} - {EPS}"
        pts[f"st_{key}"] = (
            f"pl.when({na}).then(4).when({e}.is_null()).then(0).otherwise("
            f"1 + ({e} > 0).cast(pl.Int32) + ({e} >= {full}).cast(pl.Int32))"
        )
    steps += [values, marks, crit, pts]

    sec: dict[str, str] = {}
    for section in scheme.sections:
        conversion = getattr(section, "conversion", 1.0)
        core = layout.members(section.id, False)
        bonus = layout.members(section.id, True)
        sec[f"core_{section.id}"] = _min(_sum([f"p_{k}" for k, _ in core], conversion), section.cap)
        sec[f"bonus_{section.id}"] = _min(
            _sum([f"p_{k}" for k, _ in bonus], conversion), section.bonus_cap
        )
        most = " + ".join(
            f"pl.when({_c(f'na_{k}')}).then(0.0).otherwise({float(m)!r})" for k, m in core
        )
        if most and conversion != 1.0:
            most = f"({most}) / {conversion!r}"
        sec[f"max_{section.id}"] = _min(most or "pl.lit(0.0)", section.cap)
    steps.append(sec)
    grouped = {s for g in scheme.groups for s in g.sections}
    grp: dict[str, str] = {}
    for group in scheme.groups:
        grp[f"gcore_{group.id}"] = _min(_sum([f"core_{s}" for s in group.sections]), group.cap)
        grp[f"gmax_{group.id}"] = _min(_sum([f"max_{s}" for s in group.sections]), group.cap)
    core_terms = [f"gcore_{g.id}" for g in scheme.groups]
    core_terms += [f"core_{s.id}" for s in scheme.sections if s.id not in grouped]
    max_terms = [f"gmax_{g.id}" for g in scheme.groups]
    max_terms += [f"max_{s.id}" for s in scheme.sections if s.id not in grouped]
    if grp:
        steps.append(grp)
    bonus_all = _sum([f"bonus_{s.id}" for s in scheme.sections])
    steps.append({"total_core": _sum(core_terms), "total_max": _sum(max_terms)})

    checks = [
        f"({_c(f'core_{s.id}')} + {_c(f'bonus_{s.id}')} >= {float(s.floor)!r} - {EPS})"
        for s in scheme.sections
        if s.floor is not None
    ]
    checks += [
        f"({_c(f'gcore_{g.id}')} + {_sum([f'bonus_{s}' for s in g.sections])} "
        f">= {float(g.floor)!r} - {EPS})"
        for g in scheme.groups
        if g.floor is not None
    ]
    checked = {"total_points": f"{_c('total_core')} + {bonus_all}", "floors_ok": _all(checks)}
    for i, gate in enumerate(scheme.gates):
        compiled = layout.compiled.gates[i]
        given = _all([f"{_c(n)}.is_not_null()" for n in sorted(compiled.inputs)])
        passed = f"{t.boolean(gate.condition)}.fill_null(False)"
        # status: 0 not assessed, 1 failed, 2 passed, 3 not applicable
        status = f".when(~{given}).then(0).when({passed}).then(2).otherwise(1)"
        if gate.applies_if is not None:
            applies_given = _all(
                [f"{_c(n)}.is_not_null()" for n in sorted(compiled.applies_inputs)]
            )
            applies = t.boolean(gate.applies_if)
            status = (
                f".when(({applies_given} & ~{applies}).fill_null(False)).then(3)"
                f".when(~({given} & {applies_given})).then(0)"
                f".when({passed}).then(2).otherwise(1)"
            )
        checked[f"gate{i}"] = f"pl{status}"
    steps.append(checked)
    thresholds = layout.thresholds()
    whens = ""
    for k in range(len(scheme.tiers) - 1, -1, -1):
        parts = [_c("floors_ok")]
        parts += [
            f"({_c('total_points')} >= {thresholds[j]!r} - {EPS})"
            for j in range(k + 1)
            if thresholds[j] > float("-inf")
        ]
        parts += [
            f"({_c(f'gate{i}')} >= 2)"
            for i, g in enumerate(scheme.gates)
            if layout.gate_rank(g.from_tier) <= k
        ]
        whens += f".when({_all(parts)}).then({k})"
    steps.append({"tier_index": f"pl{whens}.otherwise(-1)"})
    steps.append({"blocking": _blocking_polars(layout)})

    tier = _c("tier_index")

    def label(offset: int) -> str:
        cases = "".join(
            f'.when({tier} == {i - offset}).then(pl.lit("{x.id}"))'
            for i, x in enumerate(scheme.tiers)
        )
        return f"pl{cases}.otherwise(pl.lit(None, pl.String))"

    needed = "".join(
        f".when({tier} == {i - 1}).then(pl.max_horizontal(0.0, "
        f"{0.0 if thr == float('-inf') else thr!r} - {_c('total_points')}))"
        for i, thr in enumerate(thresholds)
    )
    counts = {}
    for name, code in STATUS_CODES:
        terms = " + ".join(
            f"({_c(f'st_{k}')} == {code}).cast(pl.Int32)" for k, *_ in layout.criteria
        )
        counts[name] = f"({terms}).cast(pl.Int32)"
    metrics = [m for m in ("eui", "embodied_carbon") if m in scheme.inputs]
    select = {
        "row": f"{_c('row')}.cast(pl.Int64)",
        "id": f"pl.coalesce({_c('id')}, {_c('row')}.cast(pl.String))",
        "name": _c("name"),
        "building_type": _c("building_type"),
        "gfa": _c("gfa"),
        "total_points": f"{_c('total_points')}.round(4)",
        "total_percent": (
            f"pl.when({_c('total_max')} > 0).then(100 * {_c('total_core')} / {_c('total_max')})"
            ".otherwise(0.0).round(4)"
        ),
        "tier": label(0),
        "badges": 'pl.lit("")',
        "next_tier": label(1),
        "points_needed": f"pl{needed}.otherwise(None).round(4)",
        "blocking": _c("blocking"),
        **{
            f"sec_{s.id}": f"({_c(f'core_{s.id}')} + {_c(f'bonus_{s.id}')}).round(4)"
            for s in scheme.sections
        },
        **counts,
        **{m: _c(m) for m in metrics},
        "flags": 'pl.lit("")',
    }
    lines = [
        "import polars as pl",
        "",
        "",
        "def band_key(v):",
        f"    return v + {EPS} * pl.max_horizontal(1.0, v.abs())",
        "",
        "",
        f'lf = pl.scan_parquet("{source}").with_row_index("row", offset=1)',
    ]
    for step in steps:
        body = "".join(f"    {name}={expr},\n" for name, expr in step.items())
        lines.append(f"lf = lf.with_columns(\n{body})")
    body = "".join(f"    {name}={expr},\n" for name, expr in select.items())
    lines.append(f"lf = lf.select(\n{body})")
    lines.append(f'lf.sink_parquet("{out}", compression="zstd")')
    return "\n".join(lines) + "\n"


def _blocking_polars(layout: Layout) -> str:
    """The first thing keeping each building from its next tier ("" at the top)."""
    scheme = layout.scheme
    thresholds = layout.thresholds()
    following = f"({_c('tier_index')} + 1)"
    total = _c("total_points")
    whens = f'.when({following} >= {len(scheme.tiers)}).then(pl.lit(""))'
    for kind, what, message in _blockers(layout):
        text = f"pl.lit({message!r})"
        if kind in ("failed", "not assessed"):
            i = int(what)
            rank = layout.gate_rank(scheme.gates[i].from_tier)
            code = 1 if kind == "failed" else 0
            whens += f".when(({following} >= {rank}) & ({_c(f'gate{i}')} == {code})).then({text})"
        elif kind == "floor":
            group = next((g for g in scheme.groups if g.id == what), None)
            if group is None:
                part = f"{_c(f'core_{what}')} + {_c(f'bonus_{what}')}"
                floor = layout.scheme_floor(what) or 0.0
            else:
                part = f"{_c(f'gcore_{what}')} + {_sum([f'bonus_{s}' for s in group.sections])}"
                floor = group.floor or 0.0
            whens += f".when(~({part} >= {float(floor)!r} - {EPS})).then({text})"
        else:
            k = int(what)
            own = [_c("floors_ok")]
            if thresholds[k] > float("-inf"):
                own.append(f"({total} >= {thresholds[k]!r} - {EPS})")
            own += [
                f"({_c(f'gate{i}')} >= 2)"
                for i, g in enumerate(scheme.gates)
                if layout.gate_rank(g.from_tier) <= k
            ]
            nxt = 0.0 if thresholds[k] == float("-inf") else thresholds[k]
            short = f"pl.max_horizontal(0.0, {nxt!r} - {total})"
            whens += f".when(({following} == {k}) & ~{_all(own)} & ~({short} > 0)).then({text})"
    return f'pl{whens}.otherwise(pl.lit("points"))'


STATUS_CODES = (
    ("n_awarded", 3),
    ("n_partial", 2),
    ("n_not_met", 1),
    ("n_not_assessed", 0),
    ("n_not_applicable", 4),
)
