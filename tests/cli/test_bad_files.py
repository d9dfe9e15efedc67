"""Bad files made on the fly, through the real command line: exit code 2 and a clear message.

Inputs that cannot live in ``tests/data/bad/`` (nesting thousands deep, files over the
size limit, ``/dev/zero``, a FIFO, a byte-order mark) are written into ``tmp_path`` by
each test, which runs ``python -m greenmark`` on them in a subprocess with a timeout.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "data" / "good"
SCHEME = GOOD / "minimal-scheme.toml"
PROJECT = GOOD / "minimal-project.toml"
DEEP = 5000  # levels of nesting, far past what the TOML parser can recurse
BOM = b"\xef\xbb\xbf"

Cli = Callable[..., subprocess.CompletedProcess]

# ``validate`` first sniffs each file's kind in ``cli._kind_of``, with its own unbounded
# read and parse, before the loaders' checks run; that sniffing is outside this module.


def project_text(old: str = "", new: str = "", scheme: str = str(SCHEME)) -> str:
    """The minimal project reading ``scheme``, with ``old`` replaced by ``new``."""
    text = PROJECT.read_text(encoding="utf-8").replace(
        'scheme = "minimal-scheme.toml"', f"scheme = {scheme!r}"
    )
    return text.replace(old, new) if old else text


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def assert_refused(run: subprocess.CompletedProcess, *words: str) -> None:
    """Exit code 2, no traceback, and every one of ``words`` in the message."""
    report = f"exit code {run.returncode}\n--- stdout\n{run.stdout}--- stderr\n{run.stderr}"
    assert run.returncode == 2, report
    assert "Traceback" not in run.stderr, report
    for word in words:
        assert word in run.stderr, f"{word!r} not in the message\n{report}"


def nested_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_table(depth: int) -> str:
    return "{ b = " * depth + "1" + " }" * depth


# --- nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [nested_array(DEEP), nested_table(DEEP)], ids=["array", "inline-table"]
)
def test_score_refuses_deep_nesting_in_a_project(tmp_path: Path, cli: Cli, value: str) -> None:
    path = write(tmp_path, "deep.toml", project_text('"natural"', value))
    run = cli("score", str(path), cwd=tmp_path)
    assert_refused(run, "deep.toml:13:", "invalid TOML", "nested too deeply")


def test_score_refuses_deep_nesting_over_many_lines(tmp_path: Path, cli: Cli) -> None:
    lines = "\n".join(["x = ["] + ["["] * DEEP + ["]"] * DEEP + ["]"])
    path = write(tmp_path, "deep.toml", project_text() + "\n[extra]\n" + lines + "\n")
    run = cli("score", str(path), cwd=tmp_path)
    assert_refused(run, "deep.toml:", "nested too deeply")


def test_score_refuses_a_scheme_nested_too_deeply(tmp_path: Path, cli: Cli) -> None:
    scheme = SCHEME.read_text(encoding="utf-8").replace(
        "at = [0, 5, 10]", f"at = {nested_array(DEEP)}"
    )
    write(tmp_path, "deep-scheme.toml", scheme)
    project = write(tmp_path, "p.toml", project_text(scheme="deep-scheme.toml"))
    run = cli("score", str(project), cwd=tmp_path)
    assert_refused(run, "deep-scheme.toml:58:", "nested too deeply")


def test_validate_refuses_deep_nesting(tmp_path: Path, cli: Cli) -> None:
    path = write(tmp_path, "deep.toml", project_text('"natural"', nested_array(DEEP)))
    run = cli("validate", str(path), cwd=tmp_path)
    assert_refused(run, "deep.toml:13:", "nested too deeply")


@pytest.mark.parametrize("command", ["score", "validate"])
def test_deep_but_legal_nesting_gives_a_clear_error(tmp_path: Path, cli: Cli, command: str) -> None:
    """Nesting the parser accepts reaches the models, which refuse it at the first level."""
    text = project_text('"natural"', nested_array(150))
    text += "\n[[history]]\nat = 2024-01-01T00:00:00Z\nfield = 'x'\nold = "
    text += nested_table(150) + "\n"
    path = write(tmp_path, "legal.toml", text)
    run = cli(command, str(path), cwd=tmp_path)
    assert_refused(run, "legal.toml:13: inputs.ventilation: expected a number", "history[0].old")


@pytest.mark.parametrize("command", ["score", "validate"])
def test_long_dotted_keys_give_a_clear_error(tmp_path: Path, cli: Cli, command: str) -> None:
    key = ".".join(["a"] * DEEP)
    text = project_text('evidence = ["facade schedule"]', f"not_applicable.{key} = 1")
    path = write(tmp_path, "dotted.toml", text)
    run = cli(command, str(path), cwd=tmp_path)
    assert_refused(run, "responses.EN-1.not_applicable: expected true or false", "got a table")


# --- size, devices, FIFOs ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["score", "validate"])
def test_file_over_the_size_limit_is_refused(tmp_path: Path, cli: Cli, command: str) -> None:
    padding = "# " + "x" * 1000 + "\n"
    path = write(tmp_path, "big.toml", project_text() + padding * 30_000)  # 30 MB
    run = cli(command, str(path), cwd=tmp_path)
    assert_refused(run, "big.toml: file is too large", "limit is 20 MB", "GREENMARK_MAX_FILE_MB")


def test_size_limit_is_set_by_the_environment(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "p.toml", project_text() + "# " + "x" * 2 * 1024 * 1024 + "\n")
    monkeypatch.setenv("GREENMARK_MAX_FILE_MB", "1")
    assert_refused(cli("score", str(path), cwd=tmp_path), "limit is 1 MB")
    monkeypatch.setenv("GREENMARK_MAX_FILE_MB", "3")
    assert cli("score", str(path), cwd=tmp_path).returncode == 0
    monkeypatch.setenv("GREENMARK_MAX_FILE_MB", "lots")
    assert_refused(cli("score", str(path), cwd=tmp_path), "GREENMARK_MAX_FILE_MB", "'lots'")


@pytest.mark.parametrize("command", ["score", "validate"])
def test_long_title_is_refused_quickly(tmp_path: Path, cli: Cli, command: str) -> None:
    """A 5 MB title (under the size limit) is refused by its length, not rendered."""
    scheme = SCHEME.read_text(encoding="utf-8").replace(
        'title = "Minimal test scheme"', 'title = "' + "x" * 5_000_000 + '"'
    )
    write(tmp_path, "long.toml", scheme)
    project = write(tmp_path, "p.toml", project_text(scheme="long.toml"))
    target = project if command == "score" else tmp_path / "long.toml"
    run = cli(command, str(target), cwd=tmp_path)
    assert_refused(run, "scheme.title: too long: at most 200 characters (got 5,000,000)")
    assert len(run.stderr) < 2_000


@pytest.mark.parametrize("command", ["score", "validate"])
def test_dev_zero_is_refused(tmp_path: Path, cli: Cli, command: str) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    run = cli(command, "/dev/zero", cwd=tmp_path)
    assert_refused(run, "/dev/zero: not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", ["score", "validate"])
def test_fifo_is_refused_without_waiting(tmp_path: Path, cli: Cli, command: str) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    run = cli(command, str(fifo), cwd=tmp_path)
    assert_refused(run, "pipe.toml: not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_as_the_scheme_of_a_project_is_refused(tmp_path: Path, cli: Cli) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    project = write(tmp_path, "p.toml", project_text(scheme="pipe.toml"))
    run = cli("score", str(project), cwd=tmp_path)
    assert_refused(run, "pipe.toml")


# --- byte-order mark ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["score", "validate"])
def test_byte_order_mark_is_accepted(tmp_path: Path, cli: Cli, command: str) -> None:
    write(tmp_path, "scheme.toml", BOM + SCHEME.read_bytes())
    text = project_text(scheme="scheme.toml")
    project = write(tmp_path, "p.toml", BOM + text.encode("utf-8"))
    extra = [str(tmp_path / "scheme.toml")] if command == "validate" else []
    run = cli(command, str(project), *extra, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    if command == "score":
        assert "gold" in run.stdout.lower()


def test_byte_order_mark_keeps_error_lines(tmp_path: Path, cli: Cli) -> None:
    text = project_text("value = 42", "value = 420")
    project = write(tmp_path, "p.toml", BOM + text.encode("utf-8"))
    run = cli("score", str(project), cwd=tmp_path)
    assert_refused(run, "p.toml:11: inputs.ettv: 420 W/m2 is above the maximum")
