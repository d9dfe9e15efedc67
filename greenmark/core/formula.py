"""Safe formula compiler: an allow-list over Python's ``ast``, compiled to numpy closures.

Formulas in scheme files are tiny expressions such as ``min(12, 1.2 * (50 - ettv))``
or ``savings >= 0.6 and eui <= 100``. They are parsed with :func:`ast.parse` in
``eval`` mode and every node is checked against an allow-list; the accepted tree
is turned into nested Python closures that evaluate over numpy arrays, so one
call scores every building of a batch. Nothing is ever passed to ``eval``.

Allowed: numbers and ``True``/``False``; declared names; ``+ - * / // %``;
``**`` with a small constant exponent; unary ``-``/``+``/``not``; comparisons
(chained too); ``and``/``or``; ``a if cond else b``; and the functions in
:data:`FUNCTIONS`. Everything else is refused with a reason.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from greenmark.core.errors import FormulaError

MAX_SOURCE_LENGTH = 1000  # characters
MAX_DEPTH = 30  # levels of nested syntax
MAX_NODES = 400  # syntax nodes in one formula
MAX_EXPONENT = 8  # largest |constant| allowed on the right of ``**``

Array = np.ndarray
Env = Mapping[str, Array]
Evaluator = Callable[[Env], Any]


def _as_number(value: Any) -> Any:
    """Booleans take part in arithmetic as 0/1 floats (numpy would otherwise OR them)."""
    if isinstance(value, np.ndarray) and value.dtype == np.bool_:
        return value.astype(np.float64)
    if isinstance(value, bool | np.bool_):
        return float(value)
    return value


def _as_bool(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value if value.dtype == np.bool_ else value != 0
    return bool(value)


def _round(value: Any, digits: Any = 0) -> Any:
    return np.round(_as_number(value), int(digits))


def _nary(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        return reduce(op, (_as_number(a) for a in args))

    return apply


@dataclass(frozen=True)
class _Function:
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number
    constant_args: tuple[int, ...] = ()  # positions that must be numeric constants


FUNCTIONS: dict[str, _Function] = {
    "min": _Function(_nary(np.minimum), 2, None),
    "max": _Function(_nary(np.maximum), 2, None),
    "abs": _Function(lambda x: np.abs(_as_number(x)), 1, 1),
    "clip": _Function(lambda x, lo, hi: np.clip(_as_number(x), lo, hi), 3, 3),
    "where": _Function(lambda c, a, b: np.where(_as_bool(c), a, b), 3, 3),
    "round": _Function(_round, 1, 2, constant_args=(1,)),
    "floor": _Function(lambda x: np.floor(_as_number(x)), 1, 1),
    "ceil": _Function(lambda x: np.ceil(_as_number(x)), 1, 1),
    "sqrt": _Function(lambda x: np.sqrt(_as_number(x)), 1, 1),
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}

_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.FormattedValue: "strings are not allowed",
    ast.NamedExpr: "assignment expressions are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}


@dataclass(frozen=True)
class Formula:
    """A compiled formula: its source, the names it reads, and its evaluator."""

    source: str
    names: frozenset[str]
    _evaluate: Evaluator

    def __call__(self, env: Env, size: int) -> Array:
        """Evaluate over arrays of length ``size``; the result always has shape ``(size,)``."""
        with np.errstate(all="ignore"):
            result = self._evaluate(env)
        result = np.asarray(result)
        if result.dtype == object:  # pragma: no cover - guarded by the allow-list
            raise FormulaError(f"formula {self.source!r} produced a non-numeric value")
        if result.shape != (size,):
            result = np.broadcast_to(result, (size,))
        return result


def _shape(tree: ast.AST) -> tuple[int, int]:
    """The number of syntax nodes of ``tree`` and how deep they nest, in one walk (no
    recursion, so a deep tree is measured, not a RecursionError)."""
    nodes = depth = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        nodes += 1
        depth = max(depth, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return nodes, depth


def _constant_number(node: ast.AST) -> float | None:
    """The value of a numeric literal, possibly signed, else None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return sign * float(node.value)  # type: ignore[arg-type]
        except OverflowError:
            return math.inf * sign
    return None


def _constant(value: Any) -> Evaluator:
    return lambda env: value


def _lookup(name: str) -> Evaluator:
    return lambda env: env[name]


class _Compiler:
    def __init__(self, allowed_names: Collection[str] | None) -> None:
        self.allowed = allowed_names
        self.names: set[str] = set()

    def refuse(self, node: ast.AST, reason: str) -> FormulaError:
        col = getattr(node, "col_offset", None)
        where = f" (at character {col + 1})" if col is not None else ""
        return FormulaError(f"{reason}{where}")

    def compile(self, node: ast.AST) -> Evaluator:
        for kind, reason in _REFUSED.items():
            if isinstance(node, kind):
                raise self.refuse(node, reason)

        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                return _constant(value)
            if isinstance(value, int | float):
                try:
                    number = float(value)
                except OverflowError:
                    raise self.refuse(node, "the number is too large") from None
                return _constant(number)
            if isinstance(value, str | bytes):
                raise self.refuse(node, "strings are not allowed")
            raise self.refuse(node, f"the constant {value!r} is not allowed")

        if isinstance(node, ast.Name):
            name = node.id
            if name.startswith("_"):
                raise self.refuse(node, f"names starting with '_' are not allowed ({name!r})")
            if name in FUNCTIONS:
                raise self.refuse(node, f"function {name!r} must be called, not used as a value")
            if self.allowed is not None and name not in self.allowed:
                raise self.refuse(node, f"unknown name {name!r}")
            self.names.add(name)
            return _lookup(name)

        if isinstance(node, ast.BinOp):
            found = _BINARY.get(type(node.op))
            if found is None:
                raise self.refuse(node, f"operator {type(node.op).__name__} is not allowed")
            op = found
            if isinstance(node.op, ast.Pow):
                exponent = _constant_number(node.right)
                if exponent is None:
                    raise self.refuse(node, "the exponent of ** must be a number literal")
                if abs(exponent) > MAX_EXPONENT:
                    raise self.refuse(
                        node, f"exponent {exponent:g} is outside -{MAX_EXPONENT}..{MAX_EXPONENT}"
                    )
            left, right = self.compile(node.left), self.compile(node.right)
            return lambda env: op(_as_number(left(env)), _as_number(right(env)))

        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand)
            if isinstance(node.op, ast.USub):
                return lambda env: np.negative(_as_number(operand(env)))
            if isinstance(node.op, ast.UAdd):
                return lambda env: _as_number(operand(env))
            if isinstance(node.op, ast.Not):
                return lambda env: np.logical_not(_as_bool(operand(env)))
            raise self.refuse(node, f"operator {type(node.op).__name__} is not allowed")

        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return lambda env: reduce(combine, (_as_bool(p(env)) for p in parts))

        if isinstance(node, ast.Compare):
            terms = [self.compile(node.left), *(self.compile(c) for c in node.comparators)]
            ops = []
            for op_node in node.ops:
                comparison = _COMPARE.get(type(op_node))
                if comparison is None:
                    raise self.refuse(node, f"comparison {type(op_node).__name__} is not allowed")
                ops.append(comparison)

            def compare(env: Env) -> Any:
                values = [_as_number(t(env)) for t in terms]
                results = [op(values[i], values[i + 1]) for i, op in enumerate(ops)]
                return reduce(np.logical_and, results)

            return compare

        if isinstance(node, ast.IfExp):
            test, body, orelse = (self.compile(n) for n in (node.test, node.body, node.orelse))
            return lambda env: np.where(
                _as_bool(test(env)), _as_number(body(env)), _as_number(orelse(env))
            )

        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.refuse(node, "only calls of the built-in formula functions are allowed")
            fname = node.func.id
            spec = FUNCTIONS.get(fname)
            if spec is None:
                known = ", ".join(sorted(FUNCTIONS))
                raise self.refuse(node, f"unknown function {fname!r} (known: {known})")
            if node.keywords:
                raise self.refuse(node, f"{fname}() takes no keyword arguments")
            args = [self.compile(a) for a in node.args]  # refuses starred args first
            count = len(node.args)
            if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
                expected = (
                    f"{spec.min_args}"
                    if spec.max_args == spec.min_args
                    else f"{spec.min_args}..{spec.max_args or 'n'}"
                )
                plural = "" if expected == "1" else "s"
                raise self.refuse(node, f"{fname}() takes {expected} argument{plural}, got {count}")
            for position in spec.constant_args:
                if position >= count:
                    continue
                literal = _constant_number(node.args[position])
                if literal is None or not literal.is_integer() or not -12 <= literal <= 12:
                    raise self.refuse(
                        node,
                        f"argument {position + 1} of {fname}() must be a whole number "
                        "literal from -12 to 12",
                    )
            impl = spec.impl
            return lambda env: impl(*(a(env) for a in args))

        raise self.refuse(node, f"{type(node).__name__} is not allowed in a formula")


def compile_formula(source: str, allowed_names: Collection[str] | None = None) -> Formula:
    """Compile ``source`` into a :class:`Formula` or raise :class:`FormulaError` saying why.

    ``allowed_names`` lists the names the formula may read; ``None`` accepts any
    name that does not start with an underscore (used to discover dependencies).
    """
    if not isinstance(source, str):
        raise FormulaError(f"a formula must be a string, got {type(source).__name__}")
    text = source.strip()
    if not text:
        raise FormulaError("the formula is empty")
    if len(text) > MAX_SOURCE_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; the limit is {MAX_SOURCE_LENGTH}"
        )
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not a valid expression: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("not a valid expression") from None
    nodes, depth = _shape(tree)
    if nodes > MAX_NODES:
        raise FormulaError(f"the formula has {nodes} syntax nodes; the limit is {MAX_NODES}")
    if depth > MAX_DEPTH:
        raise FormulaError(f"the formula is nested {depth} levels deep; the limit is {MAX_DEPTH}")
    compiler = _Compiler(allowed_names)
    evaluator = compiler.compile(tree.body)
    return Formula(source=source, names=frozenset(compiler.names), _evaluate=evaluator)
