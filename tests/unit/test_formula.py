"""The safe formula compiler: numpy evaluation over arrays, and refusal of everything else."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenmark.core.errors import FormulaError, GreenmarkError
from greenmark.core.formula import MAX_DEPTH, MAX_SOURCE_LENGTH, Formula, compile_formula

X = np.array([-2.0, -0.5, 0.0, 1.0, 2.5, 4.0])
Y = np.array([3.0, 0.5, 0.0, 1.0, -1.0, 4.0])
N = len(X)
ENV = {"x": X, "y": Y}


def run(source: str, env: dict[str, np.ndarray] | None = None, size: int = N) -> np.ndarray:
    """Compile against the names of ``env``; evaluate with every numpy warning an error."""
    env = ENV if env is None else env
    formula = compile_formula(source, set(env))
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return formula(env, size)


def check(source: str, expected: object, env: dict[str, np.ndarray] | None = None) -> None:
    result = run(source, env)
    assert result.shape == (N,)
    np.testing.assert_array_equal(result, np.broadcast_to(np.asarray(expected), (N,)))


# --- evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x + y", X + Y),
        ("x - y", X - Y),
        ("x * y", X * Y),
        ("x + y * 2 - y / 4", X + Y * 2 - Y / 4),
        ("x // 2", np.floor_divide(X, 2)),
        ("x % 3", np.mod(X, 3)),
        ("-x % 3", np.mod(-X, 3)),
        ("x ** 2", X**2),
        ("x ** -1 if x != 0 else 0", np.where(X != 0, 1 / np.where(X == 0, 1, X), 0)),
        ("+x", X),
        ("--x", X),
        ("1.5e1 + x", 15 + X),
        ("0x10 + 1_000", 1016.0),
    ],
)
def test_arithmetic(source: str, expected: np.ndarray) -> None:
    check(source, expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2 + 3 * x", 2 + 3 * X),
        ("(2 + 3) * x", 5 * X),
        ("2 * x ** 2", 2 * X**2),
        ("-x ** 2", -(X**2)),  # ** binds tighter than unary minus
        ("(-x) ** 2", X**2),
        ("x - y - 1", (X - Y) - 1),  # left associative
        ("x / 2 / 2", X / 4),
        ("2 ** 3 + x * 2 ** 2", 8 + X * 4),
        ("x + y > 1 and not x < 0 or y == 4", ((X + Y > 1) & ~(X < 0)) | (Y == 4)),
        ("not x > 1 and y > 0", (~(X > 1)) & (Y > 0)),  # not binds tighter than and
        ("x > 0 or y > 0 and x < 0", (X > 0) | ((Y > 0) & (X < 0))),  # and before or
    ],
)
def test_precedence(source: str, expected: np.ndarray) -> None:
    check(source, expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x < y", X < Y),
        ("x <= y", X <= Y),
        ("x > y", X > Y),
        ("x >= y", X >= Y),
        ("x == y", X == Y),
        ("x != y", X != Y),
        ("0 < x <= 2.5", (X > 0) & (X <= 2.5)),
        ("-1 <= x < y <= 4", (X >= -1) & (X < Y) & (Y <= 4)),
        ("x == y == 0", (X == 0) & (Y == 0)),
        ("1 < 2 < x", X > 2),
    ],
)
def test_comparisons_give_boolean_arrays(source: str, expected: np.ndarray) -> None:
    result = run(source)
    assert result.dtype == np.bool_
    check(source, expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x > 0 and y > 0", (X > 0) & (Y > 0)),
        ("x > 0 or y > 0", (X > 0) | (Y > 0)),
        ("not x > 0", ~(X > 0)),
        ("x > 0 and y > 0 and x < 3", (X > 0) & (Y > 0) & (X < 3)),
        ("x or y", (X != 0) | (Y != 0)),  # numbers are true when non-zero ...
        ("x and y", (X != 0) & (Y != 0)),  # ... and the result is a boolean array
        ("not x", X == 0),
        ("not not x", X != 0),
    ],
)
def test_boolean_operators_work_elementwise(source: str, expected: np.ndarray) -> None:
    result = run(source)
    assert result.dtype == np.bool_
    check(source, expected)


def test_boolean_inputs_are_arrays_of_flags() -> None:
    flags = np.array([True, False, True, False, True, False])
    env = {"b": flags, "x": X}
    check("b and x > 0", flags & (X > 0), env)
    check("not b", ~flags, env)
    check("x if b else -1", np.where(flags, X, -1), env)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x if x > y else y", np.maximum(X, Y)),
        ("1 if x > 0 else 0", (X > 0).astype(float)),
        ("x if y else 7", np.where(Y != 0, X, 7)),
        ("0 if x < 0 else 1 if x < 2 else 2", np.where(X < 0, 0, np.where(X < 2, 1, 2))),
        ("(x if x > 0 else 0) * 2", np.where(X > 0, X, 0) * 2),
    ],
)
def test_conditional_expression(source: str, expected: np.ndarray) -> None:
    check(source, expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("min(x, y)", np.minimum(X, Y)),
        ("min(x, y, 0.25)", np.minimum(np.minimum(X, Y), 0.25)),
        ("max(x, y)", np.maximum(X, Y)),
        ("max(x, y, 0, -1)", np.maximum(np.maximum(X, Y), 0)),
        ("min(12, 1.2 * (50 - x))", np.minimum(12, 1.2 * (50 - X))),
        ("abs(x)", np.abs(X)),
        ("abs(x - y)", np.abs(X - Y)),
        ("clip(x, 0, 2)", np.clip(X, 0, 2)),
        ("clip(x, y, 10)", np.clip(X, Y, 10)),
        ("where(x > 0, x, y)", np.where(X > 0, X, Y)),
        ("where(y, 1, 2)", np.where(Y != 0, 1, 2)),
        ("round(x)", np.round(X)),  # numpy rounding: halves go to the even neighbour
        ("round(x * 3.333, 2)", np.round(X * 3.333, 2)),
        ("round(x * 1234, -2)", np.round(X * 1234, -2)),
        ("floor(x)", np.floor(X)),
        ("ceil(x)", np.ceil(X)),
        ("sqrt(abs(x))", np.sqrt(np.abs(X))),
        ("sqrt(16)", 4.0),
        ("max(min(x, 3), 0)", np.clip(X, 0, 3)),
    ],
)
def test_functions(source: str, expected: np.ndarray) -> None:
    check(source, expected)


def test_round_halves_to_even() -> None:
    env = {"x": np.array([0.5, 1.5, 2.5, -0.5, -1.5, 3.25])}
    result = compile_formula("round(x)", {"x"})(env, 6)
    np.testing.assert_array_equal(result, [0.0, 2.0, 2.0, -0.0, -2.0, 3.0])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("True + True", 2.0),
        ("True * 5", 5.0),
        ("False - 1", -1.0),
        ("(x > 0) + (y > 0)", (X > 0).astype(float) + (Y > 0).astype(float)),
        ("(x > 0) * 5", (X > 0) * 5.0),
        ("-(x > 0)", -(X > 0).astype(float)),
        ("abs(x > 0)", (X > 0).astype(float)),
        ("min(x > 0, y > 0) + 1", np.minimum(X > 0, Y > 0) + 1.0),
        ("(x > 0) / 2", (X > 0) / 2),
    ],
)
def test_booleans_count_as_zero_and_one(source: str, expected: object) -> None:
    result = run(source)
    assert result.dtype.kind == "f", result.dtype
    check(source, expected)


def test_boolean_arrays_add_up_instead_of_or_ing() -> None:
    flags = np.array([True, True, False, False, True, False])
    check("b + b", flags * 2.0, {"b": flags})
    check("b * 3 + b", flags * 4.0, {"b": flags})
    check("b - b", np.zeros(N), {"b": flags})


with np.errstate(all="ignore"):
    BAD_ARITHMETIC: list[tuple[str, np.ndarray]] = [
        ("x / 0", X / 0.0),
        ("0 / (x - x)", np.full(N, np.nan)),
        ("x // 0", np.floor_divide(X, 0.0)),
        ("x % 0", np.full(N, np.nan)),
        ("1 / x", 1.0 / X),
        ("y / x", Y / X),
        ("sqrt(x)", np.sqrt(X)),
        ("sqrt(-1)", np.full(N, np.nan)),
        ("0 ** -1", np.full(N, np.inf)),
        ("1e308 * 10 + x", np.full(N, np.inf)),
        ("1e308 * 10 - 1e308 * 10", np.full(N, np.nan)),
    ]


@pytest.mark.parametrize(("source", "expected"), BAD_ARITHMETIC)
def test_bad_arithmetic_gives_inf_or_nan_silently(source: str, expected: np.ndarray) -> None:
    """No exception and no warning, even when numpy is set to raise on floating-point errors."""
    result = run(source)  # run() turns warnings into errors and sets np.errstate(all="raise")
    assert result.shape == (N,)
    np.testing.assert_array_equal(result, expected)


def test_division_by_zero_values() -> None:
    result = run("x / 0")
    assert np.isneginf(result[X < 0]).all()
    assert np.isposinf(result[X > 0]).all()
    assert np.isnan(result[X == 0]).all()


@pytest.mark.parametrize(
    "source",
    [
        "1",
        "2.5",
        "True",
        "False",
        "2 + 3",
        "min(1, 2)",
        "1 < 2",
        "not 0",
        "1 if 1 else 2",
        "sqrt(4)",
        "round(2.567, 1)",
        "where(1, 2, 3)",
        "1 < 2 < 3",
        "True and False",
    ],
)
@pytest.mark.parametrize("size", [0, 1, 5])
def test_result_always_has_shape_n(source: str, size: int) -> None:
    result = compile_formula(source, set())({}, size)
    assert isinstance(result, np.ndarray)
    assert result.shape == (size,)
    expected = compile_formula(source, set())({}, 1)[0]
    assert (result == expected).all()


@pytest.mark.parametrize("size", [1, 4])
def test_array_formulas_keep_shape_n(size: int) -> None:
    env = {"x": np.arange(size, dtype=float), "y": np.ones(size)}
    for source in ("x", "x + 1", "x > 1", "min(x, y)", "x if y else 0", "x and y", "not x"):
        assert compile_formula(source, {"x", "y"})(env, size).shape == (size,)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("1 + 2", set()),
        ("x", {"x"}),
        ("x + x * x", {"x"}),
        ("min(a, b) + max(c, 1) * abs(d)", {"a", "b", "c", "d"}),
        ("e if f > 0 else g", {"e", "f", "g"}),
        ("round(h, 2) + where(i, j, 0)", {"h", "i", "j"}),
        ("ettv <= ettv_limit and pts_EN_2 >= 10", {"ettv", "ettv_limit", "pts_EN_2"}),
        ("not flag_is_on", {"flag_is_on"}),
    ],
)
def test_names_reports_the_names_read(source: str, names: set[str]) -> None:
    formula = compile_formula(source)
    assert isinstance(formula, Formula)
    assert formula.names == frozenset(names)
    assert formula.source == source


def test_allowed_names_restrict_what_may_be_read() -> None:
    assert compile_formula("a + b", {"a", "b", "c"}).names == {"a", "b"}
    with pytest.raises(FormulaError, match="unknown name 'b'"):
        compile_formula("a + b", {"a"})
    with pytest.raises(FormulaError, match="unknown name 'a'"):
        compile_formula("a", set())


def test_whitespace_and_line_breaks_are_accepted() -> None:
    formula = compile_formula("  min(x,\n    y)\n", {"x", "y"})
    np.testing.assert_array_equal(formula(ENV, N), np.minimum(X, Y))


def test_formula_error_is_a_greenmark_error() -> None:
    with pytest.raises(GreenmarkError) as caught:
        compile_formula("x.y", {"x"})
    assert isinstance(caught.value, FormulaError)
    assert caught.value.exit_code == 2
    assert "attribute access is not allowed" in str(caught.value)


@pytest.mark.parametrize("value", [None, 3, 2.5, b"x + 1", ["x"]])
def test_non_string_source_is_refused(value: object) -> None:
    with pytest.raises(FormulaError, match="must be a string"):
        compile_formula(value, {"x"})  # type: ignore[arg-type]


@pytest.mark.parametrize("source", ["", "   ", "\n\t"])
def test_empty_formula_is_refused(source: str) -> None:
    with pytest.raises(FormulaError, match="empty"):
        compile_formula(source, {"x"})


# --- refusals: sandbox escapes and abuse ---------------------------------------------------

LONG = "x + " * 500 + "1"  # 2,001 characters
ABUSE: list[tuple[str, str]] = [
    ("__import__('os').system('ls')", "only calls of the built-in formula functions"),
    ("__import__('os')", "unknown function '__import__'"),
    ("().__class__.__bases__[0].__subclasses__()", "only calls of the built-in formula functions"),
    ("().__class__", "attribute access is not allowed"),
    ("open('/etc/passwd').read()", "only calls of the built-in formula functions"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("exec('x=1')", "unknown function 'exec'"),
    ("compile('1', 'f', 'eval')", "unknown function 'compile'"),
    ("lambda: 1", "lambda is not allowed"),
    ("(lambda: 1)()", "only calls of the built-in formula functions"),
    ("[x for x in range(3)]", "comprehensions are not allowed"),
    ("{k: 1 for k in 'ab'}", "comprehensions are not allowed"),
    ("{k for k in 'ab'}", "comprehensions are not allowed"),
    ("(x for x in ())", "comprehensions are not allowed"),
    ("'a' * 10", "strings are not allowed"),
    ("'a'", "strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("f'{x}'", "strings are not allowed"),
    ("9 ** 9 ** 9", "exponent of ** must be a number literal"),
    ("x ** y", "exponent of ** must be a number literal"),
    ("2 ** 100", "exponent 100 is outside -8..8"),
    ("x ** -20", "outside -8..8"),
    ("x.__class__", "attribute access is not allowed"),
    ("x.real", "attribute access is not allowed"),
    ("globals()", "unknown function 'globals'"),
    ("vars()", "unknown function 'vars'"),
    ("getattr(x, 'y')", "unknown function 'getattr'"),
    ("type(x)", "unknown function 'type'"),
    ("breakpoint()", "unknown function 'breakpoint'"),
    ("(y := 1)", "assignment expressions are not allowed"),
    ("x[0]", "subscripts are not allowed"),
    ("x[1:2]", "subscripts are not allowed"),
    ("{1, 2}", "sets are not allowed"),
    ("(1, 2)", "tuples are not allowed"),
    ("[1]", "lists are not allowed"),
    ("{}", "dicts are not allowed"),
    ("min(*x, 1)", "starred arguments are not allowed"),
    ("min(x, key=abs)", "min() takes no keyword arguments"),
    ("min(x, **y)", "min() takes no keyword arguments"),
    ("__builtins__", "names starting with '_' are not allowed"),
    ("_x", "names starting with '_' are not allowed"),
    ("__import__", "names starting with '_' are not allowed"),
    ("import os", "not a valid expression"),
    ("x; y", "not a valid expression"),
    ("x = 1", "not a valid expression"),
    ("yield x", "not a valid expression"),
    ("await x", "await is not allowed"),
    ("1 if x else __import__", "names starting with '_' are not allowed"),
    ("min.__call__(1, 2)", "only calls of the built-in formula functions"),
    ("abs", "must be called, not used as a value"),
    ("round(x, y)", "argument 2 of round() must be a whole number literal"),
    ("min(x)", "min() takes 2..n arguments, got 1"),
    ("abs(x, y)", "abs() takes 1 argument, got 2"),
    ("clip(x, 0, 1, 2)", "clip() takes 3 arguments, got 4"),
    (LONG, f"the limit is {MAX_SOURCE_LENGTH}"),
    ("x+" * 300 + "x", "syntax nodes"),
    ("-(" * 40 + "x" + ")" * 40, f"the limit is {MAX_DEPTH}"),
    ("-" * 40 + "x", f"the limit is {MAX_DEPTH}"),
    ("not " * 40 + "x", f"the limit is {MAX_DEPTH}"),
    ("(" * 300 + "x" + ")" * 300, "not a valid expression"),
    ("x if y else z", "unknown name 'z'"),
    ("x @ y", "operator MatMult is not allowed"),
    ("x << 2", "operator LShift is not allowed"),
    ("x | y", "operator BitOr is not allowed"),
    ("x ^ y", "operator BitXor is not allowed"),
    ("~x", "operator Invert is not allowed"),
    ("x is y", "comparison Is is not allowed"),
    ("x in y", "comparison In is not allowed"),
    ("None", "the constant None is not allowed"),
    ("...", "the constant Ellipsis is not allowed"),
    ("1j", "the constant 1j is not allowed"),
    ("x if y", "not a valid expression"),
    ("\x00", "not a valid expression"),
    ("'\\N{nope}'", "not a valid expression"),
    ("min(*x)", "starred arguments are not allowed"),
]


def _abuse_id(source: str) -> str:
    return source if len(source) <= 40 else f"{source[:30]}...({len(source)} chars)"


@pytest.mark.parametrize(
    ("source", "reason"),
    [pytest.param(s, r, id=_abuse_id(s)) for s, r in ABUSE],
)
def test_abuse_is_refused_with_a_reason(source: str, reason: str) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(source, {"x", "y"})
    message = str(caught.value)
    assert reason in message
    assert "Traceback" not in message and len(message) < 300


def test_abuse_table_is_large_enough() -> None:
    assert len(ABUSE) >= 25


def test_refusal_says_where() -> None:
    with pytest.raises(FormulaError, match=r"unknown name 'z' \(at character 13\)"):
        compile_formula("x if y else z", {"x", "y"})


@pytest.mark.parametrize("source", ["1" + "0" * 400, "x + 1" + "0" * 400, "x ** 1" + "0" * 400])
def test_huge_integer_literal_does_not_crash(source: str) -> None:
    try:
        formula = compile_formula(source, {"x"})
    except FormulaError:
        return
    result = formula({"x": X}, N)
    assert result.shape == (N,)


@pytest.mark.parametrize("source", ["round(x, 1e300)", "round(x, 1e20)", "round(x, 1e999)"])
def test_round_digits_must_be_a_small_whole_number(source: str) -> None:
    with pytest.raises(FormulaError, match="round"):
        compile_formula(source, {"x"})


# --- properties ------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=16))
def test_formula_matches_numpy(pairs: list[tuple[float, float]]) -> None:
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    formula = compile_formula("a + b * 2 - min(a, b)", {"a", "b"})
    result = formula({"a": a, "b": b}, len(pairs))
    with np.errstate(all="ignore"):
        expected = a + b * 2 - np.minimum(a, b)
    np.testing.assert_array_equal(result, expected)


@settings(max_examples=100, deadline=None)
@given(finite, finite)
def test_scalar_inputs_match_numpy(a: float, b: float) -> None:
    formula = compile_formula("a + b * 2 - min(a, b)", {"a", "b"})
    result = formula({"a": np.array([a]), "b": np.array([b])}, 1)
    with np.errstate(all="ignore"):
        expected = np.float64(a) + np.float64(b) * 2 - min(np.float64(a), np.float64(b))
    np.testing.assert_array_equal(result, [expected])


FUZZ_ALPHABET = "abxyz_019 .+-*/%<>=!~&|^@()[]{}'\",:;e"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=FUZZ_ALPHABET, max_size=40), st.booleans())
def test_fuzz_characters_give_a_formula_or_a_formula_error(source: str, restrict: bool) -> None:
    try:
        formula = compile_formula(source, {"x", "y"} if restrict else None)
    except FormulaError:
        return
    assert isinstance(formula, Formula)


TOKENS = [
    "x",
    "y",
    "a",
    "_x",
    "0",
    "1",
    "2",
    "2.5",
    "1e3",
    "True",
    "None",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "<",
    "<=",
    "==",
    "!=",
    ">",
    "and",
    "or",
    "not",
    "if",
    "else",
    "(",
    ")",
    "(",
    ")",
    ",",
    ".",
    "[",
    "]",
    "'s'",
    "min",
    "max",
    "abs",
    "clip",
    "where",
    "floor",
    "ceil",
    "sqrt",
    "lambda",
    ":",
    "for",
    "in",
    "is",
    "__class__",
    "import",
    "=",
    ":=",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_fuzz_tokens_give_a_formula_or_a_formula_error(tokens: list[str]) -> None:
    """Token soup closer to real formulas; what compiles also evaluates to shape (N,)."""
    source = " ".join(tokens)
    try:
        formula = compile_formula(source, {"x", "y"})
    except FormulaError:
        return
    assert formula.names <= {"x", "y"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = formula(ENV, N)
    assert result.shape == (N,)
