"""Create a new project file (used by the ``greenmark new`` wizard and its batch mode)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.project import Project, ProjectInfo, save_project
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.tui.values import Refused

STAGES = ("pre-assessment", "design", "as-built", "existing")


@dataclass
class NewProject:
    """What the wizard asks for."""

    scheme: str = ""
    building_type: str | None = None
    name: str = ""
    address: str = ""
    gross_floor_area: Any = None  # m2, or a Quantity
    stage: str = "design"
    assessor: str = ""
    file: str = ""


def slug(name: str) -> str:
    """A file name stem from a project name: ``Marina Link Office`` -> ``marina-link-office``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:60] or "project"


def target_path(answers: NewProject) -> Path:
    """The file to write: the one given, or ``<slug of name>.toml``; ``.toml`` is added."""
    text = answers.file.strip() or f"{slug(answers.name)}.toml"
    path = Path(text).expanduser()
    return path if path.suffix == ".toml" else path.with_name(path.name + ".toml")


def scheme_of(reference: str) -> Scheme:
    return load_scheme(resolve_scheme(reference))


def build_project(answers: NewProject, who: str = "") -> Project:
    """The new project (validated); raises :class:`Refused` saying what is wrong."""
    if not answers.name.strip():
        raise Refused("the project needs a name")
    if not answers.scheme:
        raise Refused("choose a scheme")
    try:
        scheme = scheme_of(answers.scheme)
    except GreenmarkError as exc:
        raise Refused(exc.problems[0].message) from None
    types = scheme.scheme.building_types
    if types and answers.building_type not in types:
        raise Refused(f"choose a building type: {', '.join(types)}")
    if answers.stage not in STAGES:
        raise Refused(f"stage must be one of: {', '.join(STAGES)}")
    try:
        info = ProjectInfo(
            name=answers.name.strip(),
            scheme=scheme.id,
            scheme_version=scheme.version,
            building_type=answers.building_type if types else None,
            address=answers.address.strip(),
            gross_floor_area=answers.gross_floor_area,
            stage=answers.stage,  # type: ignore[arg-type]
            assessor=answers.assessor.strip(),
        )
    except ValidationError as exc:
        raise Refused("; ".join(str(e["msg"]) for e in exc.errors())) from None
    project = Project(project=info)
    project.record("project", None, f"created for scheme {scheme.id} {scheme.version}", who)
    return project


def write_project(project: Project, path: Path, overwrite: bool = False) -> None:
    """Write atomically; refuses an existing file unless ``overwrite``."""
    if path.exists() and not overwrite:
        raise FileExistsError(str(path))
    if not path.parent.is_dir():
        raise GreenmarkError("the folder does not exist", file=str(path))
    save_project(project, path)
