"""The assessor's session: one project file, its scheme, live scores, undo/redo and saving.

No Textual here: the UI calls these methods and redraws from :attr:`Session.scored`.
Every edit is validated (the same rules as the scorer), scored on a copy, and only then
made current, recorded in the project's history and pushed on the undo stack. Saving is
atomic, lossless (only the values that changed are rewritten in the file) and refuses to
overwrite a file that changed on disk behind the session.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ValidationError

from greenmark.core.edits import column_number, default_who
from greenmark.core.engine import encode_inputs
from greenmark.core.engine import score as engine_score
from greenmark.core.errors import GreenmarkError
from greenmark.core.explain import Explainer
from greenmark.core.model import Scheme
from greenmark.core.project import (
    BoqLine,
    Facade,
    Fitting,
    HistoryEntry,
    LoadedProject,
    Project,
    ProjectInfo,
    Quantity,
    Response,
    load_project,
    save_project,
)
from greenmark.core.projectinputs import calculated_inputs, not_applicable_marks, resolve_inputs
from greenmark.core.scoring import (
    ProjectScore,
    compiled,
    project_summary,
    scheme_for,
    score_project,
)
from greenmark.core.stages import lock_message, signed_off, stage_edit_problem
from greenmark.core.tomlfile import dotted
from greenmark.tui.values import Refused

if TYPE_CHECKING:
    from greenmark.design.measures import Catalogue

Section = Literal[
    "inputs", "project", "responses", "facades", "boq", "fittings", "measures", "scenarios"
]
Table = Literal["facades", "boq", "fittings"]
TABLES: tuple[Table, ...] = ("facades", "boq", "fittings")
ROW_MODELS: dict[str, type[BaseModel]] = {"facades": Facade, "boq": BoqLine, "fittings": Fitting}


@dataclass(frozen=True)
class Target:
    """Where an edit goes: an input, a project field, a response field or a table cell/row."""

    section: Section
    name: str = ""  # input name, project field, response field or table column ("" = row)
    key: str | int | None = None  # criterion id (responses) or 0-based row (tables)

    @property
    def path(self) -> str:
        """The dotted field path recorded in the history, e.g. ``facades[2].wall_u``."""
        parts: list[str | int] = [self.section]
        if self.key is not None:
            parts.append(self.key)
        if self.name:
            parts.append(self.name)
        return dotted(parts)


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like on disk: modification time, size and content hash."""

    mtime_ns: int
    size: int
    digest: str


def fingerprint(path: Path) -> Fingerprint | None:
    """The file's fingerprint, or None when it does not exist (or cannot be read)."""
    try:
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return Fingerprint(stat.st_mtime_ns, stat.st_size, digest)


class ExternalChange(GreenmarkError):
    """The project file changed on disk since the session loaded or last saved it."""


@dataclass
class Step:
    """One undoable change: the project before and after, and what it was."""

    label: str
    target: Target
    old: Any
    new: Any
    before: Project
    after: Project


@dataclass
class Tried:
    """Catalogue measures applied to a copy of the project: the copy, its scores, the changes."""

    measures: tuple[str, ...]
    base: Project  # the project the measures were applied to
    project: Project  # the changed copy (history not yet touched)
    scored: ProjectScore
    changes: list[HistoryEntry]  # what applying them changes, as the history records it


@dataclass
class Session:
    """An open project file with its scheme, current scores and undo history."""

    path: Path
    who: str
    loaded: LoadedProject
    scheme: Scheme
    scored: ProjectScore
    disk: Fingerprint | None
    undo_stack: list[Step] = field(default_factory=list)
    redo_stack: list[Step] = field(default_factory=list)
    unsaved: bool = False
    scheme_override: str | None = None
    _calc_cache: dict[Any, tuple[tuple[Any, ...], dict[str, float]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def open(cls, path: str | Path, who: str = "", scheme: str | None = None) -> Session:
        """Load, validate and score a project file (raises ``GreenmarkError`` with problems)."""
        file = Path(path)
        loaded = load_project(file)
        chosen = scheme_for(loaded, scheme)
        scored = score_project(loaded, chosen)  # the reference path, with located errors
        return cls(
            file,
            who or default_who(),
            loaded,
            chosen,
            scored,
            fingerprint(file),
            [],
            [],
            False,
            scheme,
        )

    # ------------------------------------------------------------------ reading

    @property
    def project(self) -> Project:
        return self.loaded.project

    def value(self, target: Target) -> Any:
        """The stored value at ``target`` (None when not given)."""
        project = self.project
        if target.section == "inputs":
            return project.inputs.get(target.name)
        if target.section == "project":
            return getattr(project.project, target.name)
        if target.section == "responses":
            response = project.responses.get(str(target.key)) or Response()
            return getattr(response, target.name)
        rows = getattr(project, target.section)
        row = rows[int(target.key or 0)]
        return getattr(row, target.name) if target.name else row

    def rows(self, table: Table) -> list[Any]:
        return list(getattr(self.project, table))

    # ------------------------------------------------------------------ scoring

    def score(self, project: Project) -> ProjectScore:
        """Score ``project`` (a candidate state); raises :class:`Refused` when it cannot be.

        The same steps as :func:`greenmark.core.scoring.score_project` (validate, calculate,
        encode, score through the cached compiled scheme, explain), except that the
        calculated inputs (facades, BoQ, fittings) are reused while the tables and the
        floor area are unchanged: typing a value then costs only the engine.
        """
        loaded = LoadedProject(project, self.path, self.loaded.lines)
        try:
            tableless = _copy(project)
            tableless.facades, tableless.boq, tableless.fittings = [], [], []
            values = resolve_inputs(
                LoadedProject(tableless, self.path, self.loaded.lines), self.scheme
            )
            for name, value in self._calculated(project, values.get("gfa")).items():
                if name not in project.inputs:
                    values[name] = value
            engine = compiled(self.scheme)
            arrays = encode_inputs(engine, [values])
            marks = {cid: np.asarray([flag]) for cid, flag in not_applicable_marks(project).items()}
            scores = engine_score(engine, arrays, size=1, not_applicable=marks)
        except GreenmarkError as exc:
            raise Refused("; ".join(p.message for p in exc.problems)) from None
        result = Explainer(scores).building(0, project_summary(loaded))
        return ProjectScore(loaded, self.scheme, scores, result)

    def _calculated(self, project: Project, gfa: float | None) -> dict[str, float]:
        """Every calculated input from the tables, cached by the rows' identity.

        Rows are never changed in place (an edit makes a new row), so the same row
        objects mean the same values; the cache keeps them alive, so ids stay unique.
        """
        rows = (*project.facades, *project.boq, *project.fittings)
        key = (tuple(id(r) for r in rows), len(project.facades), len(project.boq), gfa)
        found = self._calc_cache.get(key)
        if found is not None:
            return found[1]
        everything = _copy(project)
        everything.inputs = {}
        loaded = LoadedProject(everything, self.path, self.loaded.lines)
        values = calculated_inputs(loaded, self.scheme, gfa)
        if len(self._calc_cache) >= 16:
            self._calc_cache.pop(next(iter(self._calc_cache)))
        self._calc_cache[key] = (rows, values)
        return values

    # ------------------------------------------------------------------ editing

    def candidate(self, target: Target, value: Any) -> Project:
        """A copy of the project with ``value`` stored at ``target`` (validated)."""
        new = _copy(self.project)
        if target.section == "inputs":
            if value is None:
                new.inputs.pop(target.name, None)
            else:
                new.inputs[target.name] = value
        elif target.section == "project":
            problem = stage_edit_problem(new) if target.name == "stage" else None
            if problem:
                raise Refused(problem)
            data = new.project.model_dump()
            data[target.name] = value
            new.project = _validate(ProjectInfo, data, target.name)
        elif target.section == "responses":
            key = str(target.key)
            data = (new.responses.get(key) or Response()).model_dump()
            data[target.name] = value
            response = _validate(Response, data, target.name)
            if response == Response():
                new.responses.pop(key, None)
            else:
                new.responses[key] = response
        else:
            rows = getattr(new, target.section)
            index = int(target.key or 0)
            data = rows[index].model_dump()
            if isinstance(value, Quantity):  # typed with a unit: stored in the column's
                value = column_number(target.section, target.name, value)
            if value is None:
                data.pop(target.name, None)
            else:
                data[target.name] = value
            rows[index] = _validate(ROW_MODELS[target.section], data, target.name)
        return new

    def preview(self, target: Target, value: Any) -> ProjectScore:
        """Scores as they would be with ``value`` at ``target``; nothing is stored."""
        return self.score(self.candidate(target, value))

    def commit(self, target: Target, value: Any) -> Step | None:
        """Store ``value`` at ``target``: validated, scored, recorded, undoable.

        Returns None when the value is unchanged; raises :class:`Refused` when invalid.
        """
        old = self.value(target)
        if _same(old, value):
            return None
        candidate = self.candidate(target, value)
        return self._apply(f"{target.path}", target, old, value, candidate)

    def add_row(
        self, table: Table, row: dict[str, Any] | None = None, at: int | None = None
    ) -> Step:
        """Insert a row (default: a fresh one) at ``at`` (default: the end)."""
        new = _copy(self.project)
        rows = getattr(new, table)
        index = len(rows) if at is None else max(0, min(at, len(rows)))
        model = ROW_MODELS[table]
        item = _validate(model, row if row is not None else new_row(table, len(rows)), "")
        rows.insert(index, item)
        return self._apply(
            f"add {table} row", Target(table, key=index), None, row_summary(table, item), new
        )

    def duplicate_row(self, table: Table, index: int) -> Step:
        """Insert a copy of row ``index`` just below it."""
        row = self.rows(table)[index]
        data = row.model_dump()
        if table == "facades" and data.get("name"):
            data["name"] = f"{data['name']} (copy)"
        return self.add_row(table, data, index + 1)

    def delete_row(self, table: Table, index: int) -> Step:
        """Remove row ``index``."""
        new = _copy(self.project)
        rows = getattr(new, table)
        removed = rows.pop(index)
        return self._apply(
            f"delete {table} row", Target(table, key=index), row_summary(table, removed), None, new
        )

    def _apply(
        self,
        label: str,
        target: Target,
        old: Any,
        new: Any,
        candidate: Project,
        scored: ProjectScore | None = None,
        details: Sequence[HistoryEntry] = (),
    ) -> Step:
        """Make ``candidate`` current (scored here unless ``scored`` is given): one history
        entry for the change, then ``details``; undoable."""
        self.refuse_if_locked()
        scored = scored or self.score(candidate)
        step = Step(label, target, old, new, self.project, candidate)
        candidate.record(target.path, history_value(old), history_value(new), self.who)
        candidate.history.extend(details)
        self.loaded.project = candidate
        self.scored = scored
        self.undo_stack.append(step)
        self.redo_stack.clear()
        self.unsaved = True
        return step

    # ------------------------------------------------------------------ measures

    def try_measures(self, measures: Sequence[str], catalogue: Catalogue) -> Tried:
        """The project with catalogue ``measures`` (ids) applied, scored; nothing is stored.

        Safe to call from a worker thread while the session is idle (reads the current
        project once, writes nothing).

        Raises :class:`Refused` when a measure does not apply to this project, two of
        them exclude each other, or the changed project cannot be scored.
        """
        from greenmark.design.plan import apply_measures

        base = self.project
        try:
            applied = apply_measures(
                LoadedProject(base, self.path, self.loaded.lines),
                self.scheme,
                list(measures),
                catalogue,
                record=True,
                who=self.who,
            )
        except GreenmarkError as exc:
            raise Refused("; ".join(p.message for p in exc.problems)) from None
        changes = list(applied.project.history[len(base.history) :])
        candidate = _copy(applied.project)
        candidate.history = base.history
        try:  # the reference path: no session cache, so a worker thread may call this
            scored = score_project(
                LoadedProject(candidate, self.path, self.loaded.lines), self.scheme
            )
        except GreenmarkError as exc:
            raise Refused("; ".join(p.message for p in exc.problems)) from None
        return Tried(tuple(measures), base, candidate, scored, changes)

    def apply_measures(self, measures: Sequence[str], catalogue: Catalogue) -> Step:
        """Apply catalogue ``measures`` to the project: scored, recorded, undoable.

        The history gets one ``measures`` entry naming them, then one entry per field
        they change (inputs, facade, BoQ and fitting cells).
        """
        tried = self.try_measures(measures, catalogue)
        names = ", ".join(tried.measures)
        return self._apply(
            f"apply {names}",
            Target("measures"),
            None,
            names,
            tried.project,
            tried.scored,
            tried.changes,
        )

    # ------------------------------------------------------------------ undo / redo

    def undo(self) -> Step | None:
        """Return the project to before the last change (recorded in the history)."""
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        self._restore(step.before, step.target, step.new, step.old)
        self.redo_stack.append(step)
        return step

    def redo(self) -> Step | None:
        """Make the last undone change again (recorded in the history)."""
        if not self.redo_stack:
            return None
        step = self.redo_stack.pop()
        self._restore(step.after, step.target, step.old, step.new)
        self.undo_stack.append(step)
        return step

    def refuse_if_locked(self) -> None:
        """Raise :class:`Refused` when the current stage is signed off (values locked)."""
        signoff = signed_off(self.project)
        if signoff is not None:
            raise Refused(lock_message(signoff))

    def _restore(self, state: Project, target: Target, old: Any, new: Any) -> None:
        self.refuse_if_locked()
        restored = _copy(state)
        restored.history = self.project.history
        self.scored = self.score(restored)
        restored.record(target.path, history_value(old), history_value(new), self.who)
        self.loaded.project = restored
        self.unsaved = True

    # ------------------------------------------------------------------ disk

    def disk_changed(self) -> bool:
        """True when the file on disk is not what this session loaded or last saved."""
        current = _quick_fingerprint(self.path, self.disk)
        if current == self.disk:
            return False
        if current is not None and self.disk is not None and current.digest == self.disk.digest:
            self.disk = current  # touched, same content
            return False
        return True

    def save(self, force: bool = False) -> None:
        """Write the project atomically; raises :class:`ExternalChange` if the file changed."""
        if not force and self.disk_changed():
            raise ExternalChange(
                "the file changed on disk since it was opened", file=str(self.path)
            )
        self.loaded.source = save_project(self.project, self.path, self.loaded.source)
        self.disk = fingerprint(self.path)
        self.unsaved = False

    def save_as(self, path: Path) -> None:
        """Write the project to ``path`` (atomically) and continue editing that file."""
        source = save_project(self.project, path, self.loaded.source)
        self.path = path
        self.loaded = LoadedProject(self.project, path, self.loaded.lines, source)
        self.disk = fingerprint(path)
        self.unsaved = False

    def reload(self) -> None:
        """Read the file again, dropping unsaved changes and the undo history."""
        loaded = load_project(self.path)
        scheme = scheme_for(loaded, self.scheme_override)
        self.scored = score_project(loaded, scheme)
        self.loaded = loaded
        self.scheme = scheme
        self.disk = fingerprint(self.path)
        self.undo_stack.clear()
        self.redo_stack.clear()
        self.unsaved = False


# ---------------------------------------------------------------------- helpers


def _copy(project: Project) -> Project:
    """A copy whose containers can be changed without touching ``project`` (history shared)."""
    return Project.model_construct(
        project=project.project,
        inputs=dict(project.inputs),
        facades=list(project.facades),
        boq=list(project.boq),
        fittings=list(project.fittings),
        responses=dict(project.responses),
        signoffs=list(project.signoffs),
        scenarios=dict(project.scenarios),
        history=project.history,
    )


def _validate(model: type[Any], data: dict[str, Any], name: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        messages = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            where = ".".join(str(p) for p in error["loc"])
            messages.append(message if not where or where == name else f"{where}: {message}")
        raise Refused("; ".join(messages)) from None


def _same(old: Any, new: Any) -> bool:
    if type(old) is not type(new) and not (
        isinstance(old, int | float) and isinstance(new, int | float)
    ):
        return False
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    return bool(old == new)


#: A file modified less than this long ago is hashed even when its time and size are
#: unchanged: file times tick coarsely (a few ms), so a same-size edit right after ours
#: can keep our timestamp (git's "racily clean" rule).
_RACY_NS = 2_000_000_000


def _quick_fingerprint(path: Path, known: Fingerprint | None) -> Fingerprint | None:
    """Like :func:`fingerprint`, but skips hashing when time and size are unchanged and
    the file was not modified within the last :data:`_RACY_NS` nanoseconds."""
    try:
        stat = path.stat()
    except OSError:
        return None
    same = known is not None and (stat.st_mtime_ns, stat.st_size) == (known.mtime_ns, known.size)
    if same and time.time_ns() - stat.st_mtime_ns > _RACY_NS:
        return known
    return fingerprint(path)


def history_value(value: Any) -> Any:
    """A value as the history stores it (numbers, booleans, text, quantities)."""
    if value is None or isinstance(value, bool | int | float | str | Quantity):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def new_row(table: Table, count: int) -> dict[str, Any]:
    """A fresh row for ``table`` (the assessor then edits it)."""
    if table == "facades":
        return {
            "name": f"Facade {count + 1}",
            "orientation": "N",
            "wall_area": 100.0,
            "wall_u": 0.5,
        }
    if table == "boq":
        return {"material": "concrete", "quantity": 0.0, "unit": "m3"}
    return {"type": "basin_tap", "rating": 2.0, "count": 1}


def row_summary(table: str, row: Any) -> str:
    """One line describing a table row, for the history."""
    if isinstance(row, Facade):
        return (
            f"{row.name or 'facade'} {row.orientation}: wall {row.wall_area:g} m2, "
            f"window {row.window_area:g} m2"
        )
    if isinstance(row, BoqLine):
        return f"{row.material} {row.quantity:g} {row.unit}"
    if isinstance(row, Fitting):
        return f"{row.count} x {row.type} at {row.rating:g}"
    return str(row)
