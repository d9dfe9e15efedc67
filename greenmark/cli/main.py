"""The ``greenmark`` command group and entry point.

Every command lives in its own module, imported by name only when it runs, so
``greenmark --version`` loads neither numpy nor pydantic, nor rich (this module imports
click alone; the error reporting of :mod:`greenmark.cli.common` loads when needed).

Data goes to stdout, diagnostics to stderr; bad input gives a clear message and
exit code 2, never a traceback (exit codes live in :mod:`greenmark.core.errors`).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import sys
import threading
import types

import click

from greenmark.core.errors import ExitCode, GreenmarkError
from greenmark.core.version import __version__

#: Commands that live in their own modules, imported only when used (fast start-up).
#: A command whose module is not present is simply not offered.
LAZY_COMMANDS: dict[str, str] = {
    "score": "greenmark.cli.score:score",
    "schemes": "greenmark.cli.score:schemes",
    "scheme": "greenmark.cli.scheme_cmd:scheme",
    "report": "greenmark.cli.report:report",
    "verify": "greenmark.cli.report:verify",
    "keys": "greenmark.cli.keys:keys",
    "register": "greenmark.cli.register:register",
    "validate": "greenmark.cli.validate:validate",
    "batch": "greenmark.cli.batch:batch",
    "mapping": "greenmark.cli.mapping:mapping",
    "check": "greenmark.cli.design:check",
    "whatif": "greenmark.cli.design:whatif",
    "set": "greenmark.cli.edit:set_values",
    "compare": "greenmark.cli.compare:compare",
    "evidence": "greenmark.cli.evidence:evidence",
    "stage": "greenmark.cli.stage:stage",
    "scenario": "greenmark.cli.scenario:scenario",
    "assess": "greenmark.cli.assess:assess",
    "new": "greenmark.cli.assess:new",
    "serve": "greenmark.cli.assess:serve",
}


#: The first paragraph of each lazy command's help, which ``greenmark --help`` shows
#: without importing the command (tests check that it is the command's own).
COMMAND_SUMMARIES: dict[str, str] = {
    "score": (
        "Score one PROJECT file: points, sections, tier, badges and what blocks the next tier."
    ),
    "schemes": (
        "List the bundled schemes and their versions: in effect from, which version is current,"
        " and what superseded a legacy scheme (from when)."
    ),
    "scheme": (
        "Tools for scheme authors: run a scheme's fixtures, compare two schemes, format a "
        "scheme file in canonical order."
    ),
    "report": "Write a certificate or an assessment report for PROJECT (HTML, PDF or Markdown).",
    "verify": (
        "Check CERTIFICATE (HTML, PDF or Markdown): its signature, that it shows exactly what "
        "was signed, its validity and, with PROJECT, the project and its evidence."
    ),
    "keys": "Issuer signing keys (Ed25519) for certificates and register exports.",
    "register": "The register of signed certificates: list, show, revoke, export (signed).",
    "validate": (
        "Check scheme, project, mapping and factor-table files (or folders); list every problem."
    ),
    "batch": (
        "Score a portfolio: INPUT is a CSV, .xlsx or Parquet file (one building per row) or a "
        "folder of project files."
    ),
    "mapping": (
        "Mapping files: which column of a CSV, spreadsheet or Parquet file feeds which input."
    ),
    "check": (
        "Gap from PROJECT to a target tier (and badges), and the cheapest measures that close it."
    ),
    "whatif": "Score PROJECT before and after changing inputs; show the difference.",
    "set": "Change values of PROJECT and save it, recording each change in its history.",
    "compare": (
        "PROJECT under several schemes side by side: rating, headline figure, the next level "
        "and what it needs, and the inputs each scheme reads that the project lacks."
    ),
    "evidence": "Evidence files attached to a project's criteria (path, SHA-256, size, date).",
    "stage": "Stages of a project: pre-assessment → design assessment → verification.",
    "scenario": (
        "Proposals (catalogue measures) scored beside the assessed values, not part of them."
    ),
    "assess": "Open PROJECT in the assessor's terminal UI: criteria, values, evidence, live score.",
    "new": (
        "Start a new project: a wizard asks for scheme, building type, name, address, GFA and "
        "stage, writes FILE (atomically) and opens it."
    ),
    "serve": (
        "Run the assessor UI in a web browser (textual-serve) on PROJECT, or on a copy of the "
        "bundled sample. Each browser tab runs its own `greenmark assess`."
    ),
}


class LazyGroup(click.Group):
    """A click group that imports the modules of :data:`LAZY_COMMANDS` on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [name for name in LAZY_COMMANDS if _present(name)]
        return sorted({*super().list_commands(ctx), *lazy})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their summaries, as click lays them out, but from
        :data:`COMMAND_SUMMARIES`: listing them imports none (``greenmark --help`` would
        otherwise load numpy, pyarrow, pydantic and the rest)."""
        commands = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(
                name, help=COMMAND_SUMMARIES.get(name, "")
            )
            if not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None  # that part of greenmark is not installed
            raise
        command = getattr(module, attribute, None)
        return command if isinstance(command, click.Command) else None


def _present(name: str) -> bool:
    """The module of lazy command ``name`` is installed (found, not imported)."""
    module_name = LAZY_COMMANDS[name].split(":")[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # pragma: no cover - its package is not installed
        return False


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="greenmark")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Score buildings against green-building certification schemes (Green Mark style).

    Run without a command in a terminal to open the assessor's UI on a sample building.
    """
    _loaded()
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            try:
                from greenmark.cli.assess import open_default
            except ModuleNotFoundError:  # pragma: no cover - installed without the TUI
                click.echo(ctx.get_help())
                return
            open_default()
        else:
            from greenmark.cli.score import score_default_sample

            score_default_sample()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``argv`` None: this process is the command)."""
    if argv is None:
        _starting()
    try:
        cli.main(args=argv, prog_name="greenmark", standalone_mode=False)
    except click.exceptions.Abort:
        _say_interrupted()
        sys.exit(int(ExitCode.INTERRUPTED))
    except KeyboardInterrupt:
        _say_interrupted()
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitCode.INVALID))
    except GreenmarkError as exc:  # pragma: no cover - commands handle their own
        from greenmark.cli.common import report_problems

        report_problems(exc.problems)
        sys.exit(int(exc.exit_code))
    except BrokenPipeError:  # e.g. `greenmark score x --format json | head`
        sys.exit(int(ExitCode.OK))
    if argv is None:
        _leave_now()
    sys.exit(int(ExitCode.OK))


def _starting() -> None:
    """What this process sets before it loads anything else (``greenmark`` as a command,
    not :func:`main` called by a program): nothing the user set is overridden.

    - pydantic would otherwise read every installed package's metadata for plugins, and
      even with plugins off it imports ``importlib.metadata`` (and with it ``email``,
      ``socket``, ``zipfile`` ...) to look for them: see :func:`_no_pydantic_plugins`;
    - OpenBLAS would start a thread per core when numpy loads (tens of milliseconds on
      every command); greenmark's matrix products are tall and thin, where the threads
      buy nothing (batch runs its BLAS on one thread in any case);
    - numpy would advise the kernel to back every large array with huge pages; where the
      kernel then compacts memory to find them (transparent huge pages on "madvise", as
      on most distributions) a fresh array costs more in page faults than the work done
      on it: the 1 M-building engine bench takes 0.29 s without, 0.78 s with;
    - Arrow would allocate through its bundled mimalloc, which backs its arenas with huge
      pages zeroed on first touch: the C allocator instead ("system"; with
      :func:`greenmark.portfolio.runners.reuse_freed_memory` it keeps freed chunks) halves
      a batch run's system time and lowers its peak memory by a tenth;
    - the cyclic garbage collector would walk the young objects again and again while
      the command's modules load (a good part of a short command's time): it is off
      until they are loaded (:func:`_loaded`), and what they built is then left out of
      its walks for the rest of the run (``gc.freeze``).
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    _no_pydantic_plugins()
    if gc.isenabled():
        gc.disable()
        global _collector_paused
        _collector_paused = True


_collector_paused = False
_PLUGIN_LOADER = "pydantic.plugin._loader"


def _no_pydantic_plugins() -> None:
    """With pydantic's plugins off (``PYDANTIC_DISABLE_PLUGINS``, as :func:`_starting`
    sets unless the user says otherwise), stand in for its plugin loader: its
    ``get_plugins()`` then returns no plugins without importing ``importlib.metadata``
    first. Any other name asked of the stand-in loads the real module and answers from it
    (a newer pydantic that asks for more still gets it)."""
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true"):
        return
    if _PLUGIN_LOADER in sys.modules:
        return

    def get_plugins() -> tuple[()]:
        return ()

    def real(name: str) -> object:
        if name.startswith("__"):  # the import system asking (is it a package?)
            raise AttributeError(name)
        if sys.modules.get(_PLUGIN_LOADER) is stand_in:
            del sys.modules[_PLUGIN_LOADER]
        return getattr(importlib.import_module(_PLUGIN_LOADER), name)

    stand_in = types.ModuleType(_PLUGIN_LOADER, "greenmark: pydantic plugins are off")
    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[_PLUGIN_LOADER] = stand_in


def _loaded() -> None:
    """The command's modules are loaded: the garbage collector runs again (see
    :func:`_starting`)."""
    global _collector_paused
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()


def _say_interrupted() -> None:
    from greenmark.cli.common import err_console

    err_console().print("interrupted")


def _leave_now() -> None:
    """Exit 0 without the interpreter's teardown (freeing every loaded module takes a
    good part of a short command's time) once the output is flushed, when nothing may
    still need it: one thread left and no process pool ever started."""
    if threading.active_count() > 1 or "multiprocessing" in sys.modules:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # output closed early: nothing left to write
        pass
    os._exit(int(ExitCode.OK))


if __name__ == "__main__":  # pragma: no cover
    main()
