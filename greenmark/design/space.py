"""Catalogue measures bound to one project and scheme; candidate designs built column-wise.

A :class:`DesignSpace` holds a project's resolved inputs (in the scheme's units),
the catalogue measures that apply to it, each with its cost for this project, and
turns a boolean matrix ``bits[N, m]`` (row: a candidate design, column: a measure)
into the engine's input arrays for all N designs at once:

1. every input starts at the project's value (a zero-stride broadcast, no copy);
2. measures that change a project table (facades, BoQ, fittings) pick the value of
   each calculated input (``ettv``, ``embodied_carbon``, ``basin_tap_ticks``...) by the
   bit pattern of the measures on that table; each pattern is computed once, with the
   real calculators, on a changed copy of the project's table;
3. input effects apply in catalogue order, column-wise: ``x = where(bit, f(x, ...), x)``.
   The effects of one measure all read the values left by the measures before it; a
   formula without a value (NaN, e.g. it reads an input the project does not give)
   leaves the input as it is; results are kept within the input's min / max.

:func:`apply_measures` makes the same change to a project file (tables first, then
inputs), so a design chosen here can be saved, scored and explained like any project.

The measures bound to the project, and the tables they change, are
:mod:`greenmark.design.effects`.

Kept as one idea past 600 lines: binding the catalogue and building candidate
columns share the bound measures' column layout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenmark.calc.errors import CalcError
from greenmark.calc.registry import table_of
from greenmark.core.edits import SIGNIFICANT, round_significant
from greenmark.core.engine import CompiledScheme, Scores, encode_inputs, score
from greenmark.core.formula import compile_formula
from greenmark.core.model import Scheme, choice_flag
from greenmark.core.project import BoqLine, LoadedProject
from greenmark.core.projectinputs import not_applicable_marks, resolve_inputs
from greenmark.core.scoring import compiled as compiled_scheme
from greenmark.design.effects import (
    TABLES,
    Array,
    BoundEffect,
    BoundMeasure,
    Change,
    DesignerError,
    apply_table_effects,
    calculated_values,
    differs,
    evaluate_scalar,
    select_rows,
)
from greenmark.design.measures import (
    QUANTITIES,
    Catalogue,
    InputEffect,
    Measure,
    reference_effects,
)

MAX_TABLE_MEASURES = 62  # bit patterns per table are int64 codes


@dataclass(frozen=True)
class Skipped:
    """A catalogue measure left out for this project, and why."""

    id: str
    title: str
    reason: str


@dataclass
class _TableGroup:
    """Calculated inputs of one table, by bit pattern of the measures on that table."""

    table: str
    members: list[int]  # candidate indices, catalogue order
    names: list[str]  # calculated inputs read from this table
    cache: dict[int, Array] = field(default_factory=dict)


class DesignSpace:
    """The measures that apply to one project under one scheme, ready for batched scoring.

    ``only``: restrict to these measure ids (in catalogue order). ``keep_ineffective``:
    keep measures that change nothing for this project (else they are skipped).
    """

    def __init__(
        self,
        loaded: LoadedProject,
        scheme: Scheme,
        catalogue: Catalogue,
        *,
        compiled: CompiledScheme | None = None,
        only: Sequence[str] | None = None,
        keep_ineffective: bool = False,
    ) -> None:
        self.loaded = loaded
        self.project = loaded.project
        self.scheme = scheme
        self.catalogue = catalogue
        self.compiled = compiled or compiled_scheme(scheme)
        self.values: dict[str, Any] = resolve_inputs(loaded, scheme)
        encoded = encode_inputs(self.compiled, [self.values])
        self.base: dict[str, float] = {k: float(v[0]) for k, v in encoded.items()}
        self.marks = [cid for cid, flag in not_applicable_marks(self.project).items() if flag]
        self.gfa: float | None = self.values.get("gfa")
        self.options: dict[str, list[str]] = {
            n: list(s.choices or []) for n, s in scheme.inputs.items() if s.type == "choice"
        }
        self.options["building_type"] = list(scheme.scheme.building_types)
        self.flags: dict[str, tuple[str, int]] = {
            choice_flag(name, option): (name, i)
            for name, options in self.options.items()
            for i, option in enumerate(options)
        }
        self.live: dict[str, list[str]] = {t: [] for t in TABLES}
        for name, spec in scheme.inputs.items():
            if spec.calculator is not None and name not in self.project.inputs:
                self.live[table_of(spec.calculator)].append(name)
        self.quantities = self._quantities()
        self.skipped: list[Skipped] = []
        self.measures: list[BoundMeasure] = []
        wanted = set(only) if only is not None else None
        for position, measure in enumerate(catalogue.measures):
            if wanted is not None and measure.id not in wanted:
                continue
            found = self._bind(position, measure)
            if isinstance(found, Skipped):
                self.skipped.append(found)
            else:
                self.measures.append(found)
        self._build_groups()
        if not keep_ineffective:
            self._drop_ineffective()
        self.costs = np.array([b.cost for b in self.measures], dtype=np.float64)
        self.conflicts = self._conflicts()

    # -- binding ---------------------------------------------------------------------

    def _quantities(self) -> dict[str, float]:
        project = self.project
        wall = float(sum(f.wall_area for f in project.facades))
        window = float(sum(f.window_area for f in project.facades))
        concrete = float("nan")
        if project.boq:
            try:
                from greenmark.calc.carbon import concrete_volume_m3

                concrete = float(concrete_volume_m3(self._boq(project.boq))[0])
            except CalcError:
                pass
        return {
            "gfa": float("nan") if self.gfa is None else float(self.gfa),
            "wall_area": wall,
            "window_area": window,
            "concrete_m3": concrete,
        }

    @staticmethod
    def _boq(lines: Sequence[BoqLine]) -> Any:
        from greenmark.calc.registry import project_boq

        return project_boq(lines)

    def _measure_quantities(self, rows: Mapping[str, list[int]]) -> dict[str, float]:
        project = self.project
        found = dict(self.quantities)
        facade_rows = rows.get("facades", [])
        found["selected_wall_area"] = float(sum(project.facades[r].wall_area for r in facade_rows))
        found["selected_window_area"] = float(
            sum(project.facades[r].window_area for r in facade_rows)
        )
        fitting_rows = rows.get("fittings", [])
        count = sum(project.fittings[r].count for r in fitting_rows)
        found["selected_fittings"] = float(count) if fitting_rows else float("nan")
        found["replaced_m3"] = found["replaced_t"] = float("nan")
        boq_rows = rows.get("boq", [])
        if boq_rows:
            try:
                boq = self._boq([project.boq[r] for r in boq_rows])
                mass = np.asarray(boq.mass_kg, dtype=np.float64)
                found["replaced_t"] = float(mass.sum()) / 1000.0
                found["replaced_m3"] = float((mass / boq.density_kg_m3).sum())
            except CalcError:
                pass
        return found

    def _available(self, scalars: Mapping[str, float]) -> set[str]:
        return {*self.scheme.inputs, "gfa", "building_type", *self.flags, *scalars}

    def _bind(self, position: int, measure: Measure) -> BoundMeasure | Skipped:
        def skip(reason: str) -> Skipped:
            return Skipped(measure.id, measure.title, reason)

        scheme = self.scheme
        if measure.schemes and scheme.id not in measure.schemes:
            return skip(f"for schemes {', '.join(measure.schemes)} only")
        baselines = reference_effects(measure, scheme)
        if baselines:
            return skip(f"changes {', '.join(baselines)}, a reference value, not a design lever")
        rows = select_rows(self.project, measure)
        scalars: dict[str, float] = {
            **self.catalogue.constant_values,
            **self._measure_quantities(rows),
            **measure.params,
        }
        available = self._available(scalars)
        if measure.applies_if is not None:
            condition = compile_formula(measure.applies_if)
            unknown = sorted(condition.names - available)
            if unknown:
                return skip(f"scheme {scheme.id} has no {', '.join(unknown)}")
            env = self._env1(condition.names, scalars)
            missing = sorted(
                n for n in condition.names if n in self.base and math.isnan(self.base[n])
            )
            if missing:
                return skip(f"cannot tell whether it applies: {', '.join(missing)} not given")
            if not bool(np.asarray(condition(env, 1))[0]):
                return skip(f"does not apply: `{measure.applies_if}` does not hold")
        tables: list[str] = []
        dead: list[str] = []
        for table in measure.tables:
            if not self.live[table]:
                given = [
                    n
                    for n, s in scheme.inputs.items()
                    if s.calculator and table_of(s.calculator) == table and n in self.project.inputs
                ]
                dead.append(
                    f"{', '.join(given)} given directly in [inputs]"
                    if given
                    else f"scheme {scheme.id} computes nothing from [[{table}]]"
                )
            elif not self._touched(measure, table):
                dead.append(f"scheme {scheme.id} scores nothing these [[{table}]] rows feed")
            elif not rows.get(table):
                dead.append(f"no matching [[{table}]] rows in the project")
            else:
                tables.append(table)
        effect_specs = list(measure.effects)
        fallback_used = False
        if dead:
            if not measure.fallback:
                return skip("no effect here: " + "; ".join(dead))
            tables, fallback_used = [], True
            effect_specs += list(measure.fallback)
        effects: list[BoundEffect] = []
        for effect in effect_specs:
            bound = self._bind_effect(effect, available)
            if isinstance(bound, str):
                return skip(bound)
            effects.append(bound)
        cost = evaluate_scalar(measure.cost.formula, scalars)
        if not math.isfinite(cost) or cost < 0:
            needs = sorted(
                n
                for n in compile_formula(measure.cost.formula).names
                if n in QUANTITIES and math.isnan(scalars.get(n, 0.0))
            )
            why = f" ({', '.join(needs)} not known for this project)" if needs else ""
            return skip(f"its cost cannot be computed{why}")
        touches = [e.input for e in effects]
        for table in tables:
            touches += self._touched(measure, table)
        return BoundMeasure(
            measure=measure,
            position=position,
            cost=cost,
            effects=effects,
            tables=tuple(tables),
            rows=rows,
            scalars=scalars,
            fallback_used=fallback_used,
            touches=tuple(dict.fromkeys(touches)),
        )

    def _touched(self, measure: Measure, table: str) -> list[str]:
        """The calculated inputs a table effect of ``measure`` can change."""
        names = self.live[table]
        if table == "fittings" and measure.fittings is not None:
            wanted = f"wels_ticks.{measure.fittings.type.lower()}"
            names = [n for n in names if self.scheme.inputs[n].calculator == wanted]
        return names

    def _bind_effect(self, effect: InputEffect, available: set[str]) -> BoundEffect | str:
        spec = self.scheme.inputs.get(effect.input)
        if spec is None:
            return f"scheme {self.scheme.id} has no input {effect.input!r}"
        lo = -math.inf if spec.min is None else spec.min
        hi = math.inf if spec.max is None else spec.max
        name, missing, integer = effect.input, effect.if_missing, spec.type == "integer"
        if effect.formula is not None:
            formula = compile_formula(effect.formula)
            unknown = sorted(formula.names - available)
            if unknown:
                return f"scheme {self.scheme.id} has no {', '.join(unknown)}"
            if spec.type in ("boolean", "choice"):
                lo, hi = -math.inf, math.inf
            return BoundEffect(name, formula, math.nan, missing, lo, hi, integer)
        value = effect.set
        if spec.type == "boolean":
            if not isinstance(value, bool):
                return f"{effect.input} is true/false in scheme {self.scheme.id}, not {value!r}"
            encoded = float(value)
        elif spec.type == "choice":
            options = spec.choices or []
            if not isinstance(value, str) or value not in options:
                return f"{effect.input} takes one of {', '.join(options)}, not {value!r}"
            encoded = float(options.index(value))
        else:
            if isinstance(value, bool | str) or value is None:
                return f"{effect.input} is a number in scheme {self.scheme.id}, not {value!r}"
            encoded = float(value)
        return BoundEffect(name, None, encoded, missing, -math.inf, math.inf, integer)

    def _env1(self, names: frozenset[str], scalars: Mapping[str, float]) -> dict[str, Any]:
        env: dict[str, Any] = dict(scalars)
        for name in names:
            if name in self.base:
                env[name] = np.array([self.base[name]])
            elif name in self.flags:
                owner, option = self.flags[name]
                env[name] = np.array([self.base.get(owner, math.nan) == option])
        return env

    def _build_groups(self) -> None:
        self.groups: list[_TableGroup] = []
        for table in TABLES:
            members = [k for k, b in enumerate(self.measures) if table in b.tables]
            if not members:
                continue
            if len(members) > MAX_TABLE_MEASURES:
                raise DesignerError(
                    f"more than {MAX_TABLE_MEASURES} measures change [[{table}]]; "
                    "split the catalogue"
                )
            self.groups.append(_TableGroup(table, members, list(self.live[table])))

    def _drop_ineffective(self) -> None:
        m = len(self.measures)
        if not m:
            return
        bits = np.vstack([np.zeros((1, m), dtype=bool), np.eye(m, dtype=bool)])
        errors: dict[int, str] = {}
        try:
            columns = self.inputs(bits)
        except CalcError:
            columns = None
        if columns is None:  # find the measure whose table change breaks a calculator
            for k in range(m):
                try:
                    self.inputs(bits[[0, k + 1]])
                except CalcError as exc:
                    errors[k] = exc.problems[0].message
            keep = [k for k in range(m) if k not in errors]
            columns = self.inputs(bits[[0, *[k + 1 for k in keep]]])
            rows = {k: i + 1 for i, k in enumerate(keep)}
        else:
            rows = {k: k + 1 for k in range(m)}
        from greenmark.design.whatif import used_inputs

        used = used_inputs(self.compiled)
        kept: list[BoundMeasure] = []
        for k, bound in enumerate(self.measures):
            if k in errors:
                self.skipped.append(
                    Skipped(bound.id, bound.title, f"calculator error: {errors[k]}")
                )
                continue
            row = rows[k]
            changed = [
                name for name in bound.touches if differs(columns[name][row], columns[name][0])
            ]
            if changed and not used.intersection(changed):
                self.skipped.append(
                    Skipped(
                        bound.id,
                        bound.title,
                        f"changes only {', '.join(changed)}, which {self.scheme.id} does not score",
                    )
                )
            elif changed:
                kept.append(bound)
            else:
                now = "; ".join(
                    self.value_text(n, self.base.get(n, math.nan)) for n in bound.touches
                )
                self.skipped.append(
                    Skipped(bound.id, bound.title, f"no change for this project ({now})")
                )
        if len(kept) != m:
            self.measures = kept
            self._build_groups()

    def _conflicts(self) -> Array:
        m = len(self.measures)
        conflicts = np.zeros((m, m), dtype=bool)
        index = {b.id: k for k, b in enumerate(self.measures)}
        for k, bound in enumerate(self.measures):
            for j, other in enumerate(self.measures):
                if j != k and bound.measure.group and bound.measure.group == other.measure.group:
                    conflicts[k, j] = True
            for other_id in bound.measure.excludes:
                j = index.get(other_id, -1)
                if j >= 0:
                    conflicts[k, j] = conflicts[j, k] = True
        return conflicts

    # -- evaluation ------------------------------------------------------------------

    @property
    def m(self) -> int:
        """Number of candidate measures."""
        return len(self.measures)

    def _table_values(self, group: _TableGroup, codes: Array) -> Array:
        """Calculated inputs ``[len(codes), len(names)]`` for each bit pattern."""
        unique, inverse = np.unique(codes, return_inverse=True)
        table = np.empty((unique.size, len(group.names)))
        for i, code in enumerate(unique.tolist()):
            found = group.cache.get(code)
            if found is None:
                chosen = [self.measures[k] for j, k in enumerate(group.members) if code >> j & 1]
                changed = apply_table_effects(self.project, chosen)
                found = np.asarray(
                    calculated_values(changed, self.scheme, group.names, self.gfa), dtype=np.float64
                )
                group.cache[code] = found
            table[i] = found
        return table[inverse.reshape(-1)]

    def inputs(self, bits: Array) -> dict[str, Array]:
        """Engine input arrays for the designs ``bits[N, m]`` (True: the measure is applied)."""
        bits = np.asarray(bits, dtype=bool)
        n = bits.shape[0]
        env: dict[str, Array] = {
            name: np.broadcast_to(np.float64(self.base.get(name, math.nan)), (n,))
            for name in self.compiled.input_names
        }
        for group in self.groups:
            weights = np.left_shift(np.int64(1), np.arange(len(group.members), dtype=np.int64))
            codes = bits[:, group.members].astype(np.int64) @ weights
            if not codes.any():
                continue
            values = self._table_values(group, codes)
            for j, name in enumerate(group.names):
                env[name] = values[:, j]
        for k, bound in enumerate(self.measures):
            if not bound.effects:
                continue
            mask = bits[:, k]
            if not mask.any():
                continue
            new = {e.input: self._effect(bound, e, env, n) for e in bound.effects}
            everywhere = bool(mask.all())
            for name, column in new.items():
                env[name] = column if everywhere else np.where(mask, column, env[name])
        return env

    def _effect(
        self, bound: BoundMeasure, effect: BoundEffect, env: Mapping[str, Array], n: int
    ) -> Array:
        if effect.formula is None:
            return np.broadcast_to(np.float64(effect.value), (n,))
        view: dict[str, Any] = dict(bound.scalars)
        for name in effect.formula.names:
            if name in env:
                view[name] = env[name]
            elif name in self.flags:
                owner, option = self.flags[name]
                view[name] = env[owner] == option
        if effect.if_missing is not None:
            own = env[effect.input]
            view[effect.input] = np.where(np.isnan(own), effect.if_missing, own)
        column = np.asarray(effect.formula(view, n), dtype=np.float64)
        column = np.where(np.isnan(column), env[effect.input], column)  # no value: unchanged
        # as apply_measures writes it: whole, or to 6 significant digits
        column = np.round(column) if effect.integer else _round_significant(column)
        if effect.lo > -math.inf or effect.hi < math.inf:
            column = np.clip(column, effect.lo, effect.hi)
        return column

    def evaluate(self, bits: Array) -> Scores:
        """Score the designs ``bits[N, m]`` in one engine call."""
        n = int(np.asarray(bits).shape[0])
        marks = {cid: np.broadcast_to(np.True_, (n,)) for cid in self.marks}
        return score(self.compiled, self.inputs(bits), size=n, not_applicable=marks)

    # -- one design ------------------------------------------------------------------

    def decode(self, name: str, value: float) -> Any:
        """A plain value (bool, option name, int, float or None) from an engine number."""
        if math.isnan(value):
            return None
        if name in self.options:
            options = self.options[name]
            return options[int(value)] if 0 <= int(value) < len(options) else None
        spec = self.scheme.inputs.get(name)
        if spec is not None and spec.type == "boolean":
            return bool(value)
        if spec is not None and spec.type == "integer":
            return round(value)
        return float(value)

    def value_text(self, name: str, value: float) -> str:
        """``name = value unit`` for messages."""
        plain = self.decode(name, value)
        if plain is None:
            return f"{name} not given"
        if isinstance(plain, bool):
            return f"{name} = {'true' if plain else 'false'}"
        if isinstance(plain, float):
            unit = self.scheme.inputs[name].unit if name in self.scheme.inputs else ""
            suffix = "" if unit in ("", "1") else f" {unit}"
            return f"{name} = {plain:.4g}{suffix}"
        return f"{name} = {plain}"

    def changes(self, bits_row: Array) -> list[Change]:
        """The scheme inputs one design changes, with their values before and after."""
        columns = self.inputs(np.asarray(bits_row, dtype=bool).reshape(1, -1))
        found = []
        for name, spec in self.scheme.inputs.items():
            before, after = self.base.get(name, math.nan), float(columns[name][0])
            if differs(after, before):
                found.append(
                    Change(
                        name,
                        spec.label,
                        spec.unit,
                        self.decode(name, before),
                        self.decode(name, after),
                    )
                )
        return found

    def bits_of(self, ids: Sequence[str]) -> Array:
        """The bit row of a set of measure ids (unknown ids raise :class:`DesignerError`)."""
        index = {b.id: k for k, b in enumerate(self.measures)}
        row = np.zeros(self.m, dtype=bool)
        for measure_id in ids:
            if measure_id not in index:
                reason = next((s.reason for s in self.skipped if s.id == measure_id), None)
                raise DesignerError(
                    f"measure {measure_id!r} "
                    + (f"cannot be applied: {reason}" if reason else "is not in the catalogue")
                )
            row[index[measure_id]] = True
        return row


def apply_measures(
    loaded: LoadedProject,
    scheme: Scheme,
    measures: Sequence[str],
    catalogue: Catalogue,
    *,
    record: bool = True,
    who: str = "designer",
) -> LoadedProject:
    """The project with ``measures`` (ids) applied: tables first, then inputs, catalogue order.

    Inputs changed by input effects are written to ``[inputs]`` in the scheme's unit;
    calculated inputs follow from the changed tables. With ``record`` each change is
    appended to the project's history. Raises :class:`DesignerError` when a measure
    does not apply to this project or two of them exclude each other.
    """
    space = DesignSpace(loaded, scheme, catalogue, only=list(measures), keep_ineffective=True)
    bits = space.bits_of(measures)
    chosen = np.flatnonzero(bits)
    for a in chosen:
        for b in chosen:
            if space.conflicts[a, b]:
                raise DesignerError(
                    f"measures {space.measures[a].id!r} and {space.measures[b].id!r} "
                    "exclude each other"
                )
    log: list[tuple[str, Any, Any]] = []
    project = apply_table_effects(
        loaded.project.model_copy(deep=True), [space.measures[k] for k in chosen], log
    )
    written = {e.input for k in chosen for e in space.measures[k].effects}
    if written:
        columns = space.inputs(bits.reshape(1, -1))
        inputs = dict(project.inputs)
        for name in scheme.inputs:
            if name not in written:
                continue
            before = space.base.get(name, math.nan)
            after = float(columns[name][0])
            if differs(after, before):
                value = space.decode(name, after)
                if isinstance(value, float):  # a computed number, written as a person would
                    value = round_significant(value)
                log.append((f"inputs.{name}", space.decode(name, before), value))
                inputs[name] = value
        project = project.model_copy(update={"inputs": inputs})
    if record:
        history = list(project.history)
        project = project.model_copy(update={"history": history})
        for field_name, old, new in log:
            project.record(field_name, _history_value(old), _history_value(new), who=who)
    return LoadedProject(project, loaded.path, loaded.lines)


def _round_significant(column: Array) -> Array:
    """Each value to :data:`SIGNIFICANT` digits (NaN, inf and 0 as they are)."""
    values = np.asarray(column, dtype=np.float64)
    finite = np.isfinite(values) & (values != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(np.where(finite, values, 1.0))))
    scale = 10.0 ** (SIGNIFICANT - 1 - magnitude)
    return np.where(finite, np.round(values * scale) / scale, values)


def _history_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
