"""A deliberately naive, scalar, pure-Python scorer.

It exists only to cross-check the vectorised engine (tests) and to give the
benchmarks a plain-Python baseline. It scores one building at a time with
ordinary floats and dicts and its own tiny expression interpreter, sharing
nothing with :mod:`greenmark.core.engine` but the scheme model. No front door uses it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from greenmark.core.model import (
    BandPoints,
    ChoicePoints,
    FormulaPoints,
    Scheme,
    YesNoPoints,
    choice_flag,
    slug,
)

NaN = float("nan")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _evaluate(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, env)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -float(operand)
        if isinstance(node.op, ast.UAdd):
            return float(operand)
        return not _truth(operand)
    if isinstance(node, ast.BinOp):
        a, b = float(_evaluate(node.left, env)), float(_evaluate(node.right, env))
        op = type(node.op)
        try:
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return a * b
            if op is ast.Div:
                if b == 0:
                    return (
                        NaN
                        if a == 0 or math.isnan(a)
                        else math.copysign(math.inf, a) * math.copysign(1.0, b)
                    )
                return a / b
            if op is ast.FloorDiv:
                return math.floor(a / b) if b else NaN
            if op is ast.Mod:
                return a % b if b else NaN
            if op is ast.Pow:
                return a**b
        except (OverflowError, ValueError, ZeroDivisionError):
            return NaN
    if isinstance(node, ast.BoolOp):
        values = [_truth(_evaluate(v, env)) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = float(_evaluate(node.left, env))
        for cmp, comparator in zip(node.ops, node.comparators, strict=True):
            right = float(_evaluate(comparator, env))
            holds = {
                ast.Lt: left < right,
                ast.LtE: left <= right,
                ast.Gt: left > right,
                ast.GtE: left >= right,
                ast.Eq: left == right,
                ast.NotEq: left != right,
            }[type(cmp)]
            if not holds:
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _evaluate(node.body if _truth(_evaluate(node.test, env)) else node.orelse, env)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_evaluate(a, env) for a in node.args]
        name = node.func.id
        nums = [float(a) for a in args]
        if name in ("min", "max"):
            if any(math.isnan(v) for v in nums):
                return NaN
            return min(nums) if name == "min" else max(nums)
        if name == "abs":
            return abs(nums[0])
        if name == "clip":
            return NaN if math.isnan(nums[0]) else min(max(nums[0], nums[1]), nums[2])
        if name == "where":
            return args[1] if _truth(args[0]) else args[2]
        if name == "round":
            return round(nums[0], int(nums[1]) if len(nums) > 1 else 0)
        if name == "floor":
            return math.floor(nums[0]) if math.isfinite(nums[0]) else nums[0]
        if name == "ceil":
            return math.ceil(nums[0]) if math.isfinite(nums[0]) else nums[0]
        if name == "sqrt":
            return math.sqrt(nums[0]) if nums[0] >= 0 else NaN
    raise ValueError(f"unsupported syntax {type(node).__name__}")  # pragma: no cover


def _truth(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return True  # numpy semantics: nan != 0
    return bool(value)


def _expr(source: str, env: Mapping[str, Any]) -> Any:
    return _evaluate(ast.parse(source.strip(), mode="eval"), env)


def _inputs_of(scheme: Scheme, source: str) -> set[str]:
    """Declared inputs a formula reads, through derived quantities."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.strip(), mode="eval")):
        if isinstance(node, ast.Name):
            name = node.id
            if name in scheme.derived:
                found |= _inputs_of(scheme, scheme.derived[name].formula)
            elif name in scheme.inputs or name == "gfa":
                found.add(name)
            else:
                for input_name, spec in scheme.inputs.items():
                    if any(name == choice_flag(input_name, o) for o in spec.choices or ()):
                        found.add(input_name)
                if name.startswith("building_type_is_"):
                    found.add("building_type")
    return found


def score_one(
    scheme: Scheme,
    values: Mapping[str, Any],
    not_applicable: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Score one building given plain values (numbers, bools, option names, None)."""
    defaults = {n: s.default for n, s in scheme.inputs.items() if s.default is not None}
    values = {**defaults, **{k: v for k, v in values.items() if v is not None}}
    env: dict[str, Any] = {n: c.value for n, c in scheme.constants.items()}
    for name, spec in scheme.inputs.items():
        value = values.get(name)
        if spec.type == "choice":
            env[name] = value
            for option in spec.choices or ():
                env[choice_flag(name, option)] = NaN if value is None else value == option
        elif spec.type == "boolean":
            env[name] = NaN if value is None else (1.0 if value else 0.0)
        else:
            env[name] = NaN if value is None else float(value)
    env["gfa"] = NaN if values.get("gfa") is None else float(values["gfa"])
    btype = values.get("building_type")
    env["building_type"] = btype
    for type_name in scheme.scheme.building_types:
        env[choice_flag("building_type", type_name)] = NaN if btype is None else btype == type_name
    pending = dict(scheme.derived)
    while pending:  # naive fixed-point ordering
        for name, derived in list(pending.items()):
            try:
                result = float(_expr(derived.formula, env))
                env[name] = result if math.isfinite(result) else NaN  # inf is no value
            except KeyError:
                continue
            del pending[name]

    def missing(names: set[str]) -> bool:
        return any(_is_missing(values.get(n)) for n in names)

    points: dict[str, float] = {}
    status: dict[str, str] = {}
    applicable: dict[str, bool] = {}
    for c in scheme.criteria:
        rule = c.points
        rule_inputs: set[str]
        if isinstance(rule, ChoicePoints):
            rule_inputs = {rule.choice}
        else:
            source = (
                rule.formula
                if isinstance(rule, FormulaPoints)
                else rule.bands
                if isinstance(rule, BandPoints)
                else rule.yes
            )
            rule_inputs = _inputs_of(scheme, source)
        na = c.id in not_applicable or scheme.max_for(c, btype) == 0  # worth nothing: N/A
        unknown = missing(rule_inputs)
        if c.applies_if is not None:
            if missing(_inputs_of(scheme, c.applies_if)):
                unknown = True
            elif not _truth(_expr(c.applies_if, env)):
                na = True
        earned = 0.0
        if not na and not unknown:
            if isinstance(rule, FormulaPoints):
                value = float(_expr(rule.formula, env))
                if not math.isfinite(value):
                    unknown = True  # NaN or a division by zero: no value, never full points
                else:
                    earned = min(max(value, 0.0), scheme.max_for(c, btype))
            elif isinstance(rule, BandPoints):
                value = float(_expr(rule.bands, env))
                if not math.isfinite(value):
                    unknown = True
                    value = -math.inf if rule.better == "higher" else math.inf
                slack = 1e-9 * max(1.0, abs(value))  # rounding tolerance, as the engine
                for threshold, give in zip(rule.at, rule.give, strict=True):
                    if rule.better == "higher":
                        reached = value + slack >= threshold
                    else:
                        reached = value - slack <= threshold
                    if reached:
                        earned = min(give, scheme.max_for(c, btype))
            elif isinstance(rule, YesNoPoints):
                earned = rule.give if _truth(_expr(rule.yes, env)) else 0.0
            else:
                earned = rule.give.get(values[rule.choice], 0.0)
            earned = min(earned, scheme.max_for(c, btype))
        if na:
            status[c.id], earned = "not_applicable", 0.0
        elif unknown:
            status[c.id], earned = "not_assessed", 0.0
        elif earned >= scheme.max_for(c, btype) - 1e-9:
            status[c.id] = "awarded"
        elif earned > 0:
            status[c.id] = "partial"
        else:
            status[c.id] = "not_met"
        points[c.id] = earned
        applicable[c.id] = not na

    sections: dict[str, float] = {}
    section_core: dict[str, float] = {}
    section_max: dict[str, float] = {}
    bonus_total = 0.0
    for s in scheme.sections:
        core = sum(points[c.id] for c in scheme.criteria if c.section == s.id and not c.bonus)
        bonus = sum(points[c.id] for c in scheme.criteria if c.section == s.id and c.bonus)
        available = sum(
            scheme.max_for(c, btype)
            for c in scheme.criteria
            if c.section == s.id and not c.bonus and applicable[c.id]
        )
        core, bonus, available = (v / s.conversion for v in (core, bonus, available))
        if s.cap is not None:
            core, available = min(core, s.cap), min(available, s.cap)
        if s.bonus_cap is not None:
            bonus = min(bonus, s.bonus_cap)
        section_core[s.id], section_max[s.id] = core, available
        sections[s.id] = core + bonus
        bonus_total += bonus
    grouped = {m for g in scheme.groups for m in g.sections}
    groups: dict[str, float] = {}
    total_core = sum(section_core[s.id] for s in scheme.sections if s.id not in grouped)
    for g in scheme.groups:
        core = sum(section_core[m] for m in g.sections)
        if g.cap is not None:
            core = min(core, g.cap)
        total_core += core
        groups[g.id] = core + sum(sections[m] - section_core[m] for m in g.sections)
    total = total_core + bonus_total
    total_max = sum(section_max[s.id] for s in scheme.sections if s.id not in grouped)
    for g in scheme.groups:
        group_max = sum(section_max[m] for m in g.sections)
        total_max += min(group_max, g.cap) if g.cap is not None else group_max
    percent_of = {
        s: (100 * section_core[s] / section_max[s] if section_max[s] > 0 else NaN) for s in sections
    }
    if scheme.scheme.scoring == "percent":
        num = den = 0.0
        for s in scheme.sections:
            weight = s.weight
            if isinstance(weight, dict):
                weight = (
                    weight.get(btype, weight.get("default", 0.0))
                    if btype
                    else weight.get("default", 0.0)
                )
            weight = 1.0 if weight is None else float(weight)
            if section_max[s.id] <= 0:
                if scheme.scheme.na_weights == "fixed":
                    den += weight  # the all-N/A section keeps its weight and adds nothing
                continue
            num += weight * percent_of[s.id]
            den += weight
        total_percent = (num / den if den > 0 else 0.0) + bonus_total
    else:
        total_percent = 100 * total_core / total_max if total_max > 0 else 0.0

    results = dict(env)
    results["total_points"], results["total_percent"] = total, total_percent
    for s in scheme.sections:
        results[f"sec_{s.id}"], results[f"sec_pct_{s.id}"] = sections[s.id], percent_of[s.id]
    for g in scheme.groups:
        results[f"grp_{g.id}"] = groups[g.id]
    for c in scheme.criteria:
        results[f"pts_{slug(c.id)}"] = points[c.id]
        results[f"na_{slug(c.id)}"] = status[c.id] == "not_applicable"
        results[f"assessed_{slug(c.id)}"] = status[c.id] != "not_assessed"
    pending_metrics = dict(scheme.metrics)
    while pending_metrics:
        for name, metric in list(pending_metrics.items()):
            try:
                results[name] = float(_expr(metric.formula, results))
            except KeyError:
                continue
            del pending_metrics[name]

    def condition_holds(source: str) -> bool:
        return not missing(_inputs_of(scheme, source)) and _truth(_expr(source, results))

    gates: dict[str, str] = {}
    for gate in scheme.gates:
        if (
            gate.applies_if is not None
            and not missing(_inputs_of(scheme, gate.applies_if))
            and not _truth(_expr(gate.applies_if, results))
        ):
            gates[gate.id] = "not_applicable"
        elif missing(_inputs_of(scheme, gate.condition)) or (
            gate.applies_if is not None and missing(_inputs_of(scheme, gate.applies_if))
        ):
            gates[gate.id] = "not_assessed"
        else:
            gates[gate.id] = "passed" if _truth(_expr(gate.condition, results)) else "failed"
    failed_floor_ranks = []  # the lowest tier each floor that is not met applies to
    for s in scheme.sections:
        rank = scheme.tier_index(s.floor_from_tier) if s.floor_from_tier else 0
        if s.floor is not None and sections[s.id] < s.floor - 1e-9:
            failed_floor_ranks.append(rank)
        if (
            s.floor_percent is not None
            and sections[s.id] < s.floor_percent / 100 * section_max[s.id] - 1e-9
        ):
            failed_floor_ranks.append(rank)
    for g in scheme.groups:
        if g.floor is not None and groups[g.id] < g.floor - 1e-9:
            failed_floor_ranks.append(
                scheme.tier_index(g.floor_from_tier) if g.floor_from_tier else 0
            )
    measure = total_percent if scheme.scheme.scoring == "percent" else total
    tier_index = -1
    for t, tier in enumerate(scheme.tiers):
        if scheme.scheme.scoring == "percent":
            reached = tier.min_percent is None or measure >= tier.min_percent - 1e-9
        elif tier.min_percent is not None:  # a percent threshold in a points scheme
            reached = total_percent >= tier.min_percent - 1e-9
        else:
            reached = tier.min_points is None or measure >= tier.min_points - 1e-9
        floors_ok = all(rank > t for rank in failed_floor_ranks)
        ok = floors_ok and reached
        for gate in scheme.gates:
            rank = scheme.tier_index(gate.from_tier) if gate.from_tier else 0
            if rank <= t and gates[gate.id] not in ("passed", "not_applicable"):
                ok = False
        if tier.condition is not None and not condition_holds(tier.condition):
            ok = False
        if not ok:
            break
        tier_index = t
    badges = []
    for badge in scheme.badges:
        rank = scheme.tier_index(badge.min_tier) if badge.min_tier else -1
        if condition_holds(badge.condition) and tier_index >= rank:
            badges.append(badge.id)
    hidden = {s for badge in scheme.badges if badge.id in badges for s in badge.supersedes}
    badges = [b for b in badges if b not in hidden]
    return {
        "points": points,
        "status": status,
        "sections": sections,
        "total_points": total,
        "total_percent": total_percent,
        "gates": gates,
        "tier_index": tier_index,
        "badges": badges,
    }
