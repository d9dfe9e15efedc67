"""Reports: the shared Jinja2 environment, report contexts, HTML / Markdown / PDF output.

Templates live in ``templates/`` (see :func:`greenmark.resources.templates_dir`) and
receive plain data only (dicts, lists, strings, numbers). The environment autoescapes
HTML templates and uses :class:`jinja2.StrictUndefined`, so a missing field raises
instead of printing a blank.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup, escape

from .errors import GreenmarkError
from .resources import templates_dir
from .tomlfile import write_atomic

_MD_SPECIAL = "\\`*_[]|~"
_MD_LEADING = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)](?:\s|$)))")


def fmt_number(value: Any, digits: int = 1, unit: str = "") -> str:
    """A number for people: thousands separators, at most ``digits`` decimals, trailing
    zeros dropped (``12.50`` -> ``12.5``); ``None``/NaN -> an en dash."""
    if value is None or isinstance(value, bool):
        return "–" if value is None else ("yes" if value else "no")
    if isinstance(value, str):
        return value
    number = float(value)
    if math.isnan(number):
        return "–"
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return f"{text} {unit}".rstrip() if unit else text


def fmt_percent(value: Any, digits: int = 0) -> str:
    """``87`` -> ``87 %``; ``None`` -> an en dash."""
    if value is None:
        return "–"
    return f"{fmt_number(value, digits)} %"


def fmt_value(value: Any, digits: int = 2) -> str:
    """Any input value: booleans as yes/no, numbers via :func:`fmt_number`, text as is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt_number(value, digits)
    if value is None:
        return "–"
    return str(value)


def _md_chars(text: str) -> str:
    out = []
    for char in text:
        if char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "&":
            out.append("&amp;")
        elif char in _MD_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _md_leading(escaped: str) -> str:
    leading = _MD_LEADING.match(escaped)
    if not leading:
        return escaped
    cut = leading.end(2) if leading[2].isdigit() else leading.end(1)
    return escaped[:cut] + "\\" + escaped[cut:]


def md_escape(value: Any) -> str:
    """Escape text for Markdown, one line: inline HTML (``<``, ``>``, ``&`` as entities),
    emphasis, links, code and table pipes; a leading ``#``, ``-``, ``+`` or ``1.`` too."""
    return _md_leading(_md_chars(" ".join(str(value).split())))


def md_code(value: Any) -> str:
    """Text as an inline Markdown code span (backticks inside are handled; ``|`` is
    escaped so that the span can sit in a table cell)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_with_code(value: Any) -> str:
    """Like :func:`md_escape`, but text between backticks (formulas in reasons) becomes
    inline code instead of escaped backticks."""
    text = " ".join(str(value).split())
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: escape everything
        return md_escape(text)
    out = "".join(
        (md_code(part) if part.strip() else "") if i % 2 else _md_chars(part)
        for i, part in enumerate(parts)
    )
    return _md_leading(out) if not text.startswith("`") else out


def html_with_code(value: Any) -> Markup:
    """HTML-escaped text in which backtick-quoted formulas become ``<code>`` elements."""
    text = str(value)
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


def _autoescape(name: str | None) -> bool:
    """Autoescape HTML templates (``*.html``, ``*.html.j2``, ``*.htm.j2``, ``*.xml.j2``)."""
    if name is None:
        return True
    base = name[:-3] if name.endswith(".j2") else name
    return base.endswith((".html", ".htm", ".xml", ".svg"))


def _make_environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=400,
    )
    env.filters["number"] = fmt_number
    env.filters["percent"] = fmt_percent
    env.filters["value"] = fmt_value
    env.filters["md"] = md_escape
    env.filters["mdcode"] = md_code
    env.filters["mdreason"] = md_with_code
    env.filters["codespans"] = html_with_code
    return env


@lru_cache(maxsize=8)
def _cached_environment(folder: str) -> jinja2.Environment:
    return _make_environment(folder)


def environment(folder: str | Path | None = None) -> jinja2.Environment:
    """The shared Jinja2 environment (one per template folder, cached).

    ``FileSystemLoader(templates_dir())`` unless ``folder`` is given; autoescape on for
    HTML templates (``.html``/``.html.j2``), off for Markdown; ``StrictUndefined``.
    Filters: ``number(digits=1, unit="")``, ``percent``, ``value`` (any input value),
    ``md`` (escape for Markdown), ``mdcode`` (inline code span), ``mdreason`` (escape,
    with backtick-quoted formulas as code spans) and ``codespans`` (the same for HTML).
    Templates are compiled once and kept (``auto_reload`` is off).
    """
    return _cached_environment(str(Path(folder) if folder is not None else templates_dir()))


class RefusedURL(ValueError):
    """A URL the PDF renderer may not fetch (WeasyPrint logs it and skips the resource)."""


def fetch_allowed(url: str, root: Path | None = None) -> bool:
    """True for inline ``data:`` URLs and local ``file:`` URLs inside ``root`` (default:
    the bundled templates folder, see :func:`greenmark.resources.templates_dir`)."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    folder = (root or templates_dir()).resolve()
    try:
        path = Path(url2pathname(parts.path)).resolve()
    except (OSError, ValueError):
        return False
    return path == folder or path.is_relative_to(folder)


def check_url(url: str, root: Path | None = None) -> None:
    """Raise :class:`RefusedURL` unless :func:`fetch_allowed` allows ``url``."""
    if not fetch_allowed(url, root):
        shown = url if len(url) <= 100 else url[:99] + "…"
        raise RefusedURL(f"not fetched: {shown} (only bundled templates and data: URLs)")


def url_fetcher(root: Path | None = None) -> Any:
    """A WeasyPrint URL fetcher that fetches only what :func:`fetch_allowed` allows: the
    HTML of a report can then never make the renderer read a local file or the network."""
    from weasyprint import urls

    base = getattr(urls, "URLFetcher", None)
    if base is None:  # WeasyPrint before 67: fetchers are functions
        default = urls.default_url_fetcher

        def fetch(url: str) -> Any:
            check_url(url, root)
            return default(url)

        return fetch

    class BundledOnly(base):  # type: ignore[misc, valid-type]
        """WeasyPrint's fetcher, for allowed URLs only."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            check_url(url, root)
            return super().fetch(url, headers)

    return BundledOnly(allowed_protocols=("file", "data"), allow_redirects=False)


@contextmanager
def source_date_epoch(when: datetime) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to ``when`` while the block runs (the previous value, or
    none, afterwards). fontTools stamps embedded font subsets with it instead of now."""
    stamp = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_html_to_pdf(
    html: str,
    path: str | Path | None = None,
    *,
    base_url: str | None = None,
    attachments: Mapping[str, str | bytes] | None = None,
    when: datetime | None = None,
) -> bytes:
    """Render an HTML string to PDF with WeasyPrint; write it atomically to ``path`` if given.

    ``base_url`` (default: the templates folder) resolves relative links such as CSS;
    only files in the bundled templates folder and ``data:`` URLs are fetched
    (:func:`url_fetcher`), whatever the HTML links to.
    ``attachments``: files to embed, name -> content; ``when``: their creation time and
    the fonts' time stamp (default 2000-01-01 UTC): the same input gives the same bytes.
    Returns the PDF bytes. Page size, margins and page numbers come from the HTML's
    print CSS (``@page``).
    """
    import weasyprint  # imported lazily: slow to import and only needed for PDF

    stamp = when or datetime(2000, 1, 1, tzinfo=UTC)
    files = [
        weasyprint.Attachment(
            string=content.decode("utf-8") if isinstance(content, bytes) else content,
            name=name,
            description=name,
            created=stamp,
            modified=stamp,
        )
        for name, content in (attachments or {}).items()
    ]
    document = weasyprint.HTML(
        string=html, base_url=base_url or str(templates_dir()), url_fetcher=url_fetcher()
    )
    with source_date_epoch(stamp):
        data: bytes = document.write_pdf(attachments=files or None)
    if path is not None:
        write_atomic(path, data)
    return data


# --------------------------------------------------------------------------- report data

KINDS = ("certificate", "assessment")
FORMATS = ("html", "pdf", "md")

STATUS = {
    "awarded": ("✔", "Awarded"),
    "partial": ("◐", "Partial"),
    "not_met": ("✘", "Not met"),
    "not_assessed": ("?", "Not assessed"),
    "not_applicable": ("–", "Not applicable"),
}
GATE_STATUS = {
    "passed": ("✔", "Passed"),
    "failed": ("✘", "Failed"),
    "not_assessed": ("?", "Not assessed"),
    "not_applicable": ("–", "Not applicable"),
}


def pretty_unit(unit: str | None) -> str:
    """A scheme unit for people: ``kWh/m2/yr`` -> ``kWh/m²/yr``; dimensionless -> ``""``."""
    if not unit or unit in ("1", "-", "dimensionless"):
        return ""
    text = unit.replace("m2", "m²").replace("m3", "m³").replace("CO2", "CO₂")
    return text.replace("ft2", "ft²")


def tier_style(tier_id: str | None) -> str:
    """CSS class of a tier: platinum, goldplus, gold, certified, other or none."""
    if tier_id is None:
        return "none"
    key = tier_id.lower().replace("_", "").replace("-", "")
    for name in ("platinum", "goldplus", "gold", "certified"):
        if name in key:
            return name
    return "other"


def issue_date() -> date:
    """Today (UTC), or the day of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return datetime.now(UTC).date()


@dataclass
class Prepared:
    """A scored project with everything a report needs (computed once, rendered many times)."""

    scored: Any  # greenmark.scoring.ProjectScore
    values: dict[str, Any]  # resolved inputs, scheme units
    certificate: Any  # greenmark.certificate.Certificate
    _provisional: list[dict[str, Any]] | None = None

    def provisional(self) -> list[dict[str, Any]]:
        """:func:`provisional_values`, computed once (they do not depend on the date)."""
        if self._provisional is None:
            self._provisional = provisional_values(self)
        return self._provisional


def prepare(
    project: str | Path, *, scheme: str | None = None, issued: date | str | None = None
) -> Prepared:
    """Load, validate and score a project file and issue its certificate data."""
    from .certificate import issue
    from .project import load_project, resolve_inputs
    from .scoring import scheme_for, score_project

    loaded = load_project(project)
    chosen = scheme_for(loaded, scheme)
    values = resolve_inputs(loaded, chosen)
    scored = score_project(loaded, chosen)
    return Prepared(scored, values, issue(scored, values, issued or issue_date()))


def template_name(kind: str, fmt: str) -> str:
    """``certificate.html.j2``, ``assessment.md.j2``… (PDF uses the HTML template)."""
    return f"{kind}.{'md' if fmt == 'md' else 'html'}.j2"


def default_output(project: str | Path, kind: str, fmt: str) -> Path:
    """``<project-stem>-<kind>.<html|pdf|md>`` in the current folder."""
    return Path(f"{Path(project).stem}-{kind}.{fmt}")


def _project_block(prepared: Prepared) -> dict[str, Any]:
    info = prepared.scored.loaded.project.project
    summary = prepared.scored.result.project
    return {
        "name": info.name,
        "address": info.address,
        "building_type": (info.building_type or "").replace("_", " "),
        "gross_floor_area": summary.get("gross_floor_area"),
        "stage": info.stage,
        "assessor": info.assessor,
        "reference": info.reference,
        "description": info.description,
        "file": prepared.scored.loaded.path.name,
    }


def _scheme_block(prepared: Prepared) -> dict[str, Any]:
    scheme = prepared.scored.scheme
    return {
        "id": scheme.id,
        "version": scheme.version,
        "title": scheme.scheme.title,
        "scoring": scheme.scheme.scoring,
        "description": scheme.scheme.description,
        "source": scheme.scheme.source,
    }


def _result_block(prepared: Prepared) -> dict[str, Any]:
    result = prepared.scored.result
    percent = result.scoring == "percent"
    return {
        "total_points": float(result.total_points),
        "total_max": float(result.total_max),
        "total_percent": float(result.total_percent),
        "percent_scoring": percent,
        "total_text": total_text(
            result.scoring, result.total_points, result.total_max, result.total_percent
        ),
        "tier": None
        if result.tier is None
        else {"id": result.tier, "title": result.tier_title, "style": tier_style(result.tier)},
        "tier_title": result.tier_title or "No tier reached",
        "tier_style": tier_style(result.tier),
        "badges": [{"id": b["id"], "title": b["title"]} for b in result.badges],
    }


def total_text(scoring: str, points: float, maximum: float, percent: float) -> str:
    """``53.7 of 60 points``; ``103.2 points (max 100 + bonus)``; ``87.5 %``."""
    if scoring == "percent":
        return f"{fmt_number(percent)} %"
    if points > maximum:
        return f"{fmt_number(points)} points (max {fmt_number(maximum)} + bonus)"
    return f"{fmt_number(points)} of {fmt_number(maximum)} points"


def _certificate_block(prepared: Prepared) -> dict[str, Any]:
    certificate = prepared.certificate
    return {
        "number": certificate.number,
        "digest": certificate.digest,
        "issued": certificate.shown()["issued"],
        "issued_iso": certificate.payload["issued"],
        "shown": certificate.shown(),
        "embedded_json": certificate.embedded_json(),
        "fields": dict(_certificate_fields()),
    }


def _certificate_fields() -> dict[str, str]:
    from .certificate import FIELDS

    return FIELDS


def certificate_context(prepared: Prepared) -> dict[str, Any]:
    """Plain data for ``certificate.*.j2``."""
    from . import __version__

    provisional = prepared.provisional()
    return {
        "kind": "certificate",
        "generator": f"greenmark {__version__}",
        "scheme": _scheme_block(prepared),
        "project": _project_block(prepared),
        "result": _result_block(prepared),
        "certificate": _certificate_block(prepared),
        "provisional_count": sum(1 for p in provisional if p["relied_on"]),
    }


# --------------------------------------------------------------------------- assessment


def _formula_names(formula: Any) -> frozenset[str]:
    return formula.names if formula is not None else frozenset()


def relied_names(prepared: Prepared) -> set[str]:
    """Names (inputs, constants, derived quantities, metrics) the result was computed from."""
    from .engine import GateStatus, Status

    scores = prepared.scored.scores
    compiled = scores.compiled
    names: set[str] = set()
    for c, criterion in enumerate(compiled.criteria):
        names |= _formula_names(criterion.applies)
        if int(scores.status[0, c]) != Status.NOT_APPLICABLE:
            names |= _formula_names(criterion.expression)
            if criterion.choice_input:
                names.add(criterion.choice_input)
    for g, gate in enumerate(compiled.gates):
        names |= _formula_names(gate.applies)
        if int(scores.gate_status[0, g]) != GateStatus.NOT_APPLICABLE:
            names |= _formula_names(gate.condition)
    for condition in [*compiled.tier_conditions, *compiled.badges]:
        if condition is not None:
            names |= _formula_names(condition.condition) | _formula_names(condition.applies)
    formulas = dict(compiled.derived) | dict(compiled.metrics)
    pending = list(names)
    while pending:
        name = pending.pop()
        formula = formulas.get(name)
        if formula is None:
            continue
        for new in formula.names - names:
            names.add(new)
            pending.append(new)
    return names


def provisional_values(prepared: Prepared) -> list[dict[str, Any]]:
    """Every value the scheme marks unverified, and whether this result relied on it."""
    from .scheme import unverified_constants

    scheme = prepared.scored.scheme
    result = prepared.scored.result
    used = relied_names(prepared)
    criteria = {c.id: c.status for c in result.criteria}
    gates = {g.id: g.status for g in result.gates}
    rows = []
    for where, source in unverified_constants(scheme):
        kind, _, key = where.partition(".")
        value = ""
        label = ""
        if kind == "constants":
            constant = scheme.constants[key]
            value = fmt_number(constant.value, 4, pretty_unit(constant.unit))
            label = constant.label
            relied = key in used
        elif kind == "criteria":
            relied = criteria.get(key) not in ("not_applicable", "not_assessed", None)
            label = next((c.title for c in scheme.criteria if c.id == key), "")
        elif kind == "gates":
            relied = gates.get(key) in ("passed", "failed")
            label = next((g.title for g in scheme.gates if g.id == key), "")
        else:
            relied = True
            items = scheme.tiers if kind == "tiers" else scheme.badges
            label = next((item.title for item in items if item.id == key), "")
        rows.append(
            {
                "where": where,
                "label": label,
                "value": value,
                "source": source,
                "relied_on": relied,
            }
        )
    rows.extend(_provisional_factors(prepared))
    return rows


def _provisional_factors(prepared: Prepared) -> list[dict[str, Any]]:
    """Unverified factor-table values behind inputs computed from the project's tables."""
    from .calc.tables import embodied_carbon_table, envelope_table

    scheme = prepared.scored.scheme
    project = prepared.scored.loaded.project
    calculators = {
        spec.calculator
        for name, spec in scheme.inputs.items()
        if spec.calculator and name not in project.inputs and name in prepared.values
    }
    rows: list[dict[str, Any]] = []

    def add(where: str, label: str, record: Any) -> None:
        if not record.verified:
            rows.append(
                {
                    "where": f"factors: {where}",
                    "label": label,
                    "value": fmt_number(record.value, 4, pretty_unit(record.unit)),
                    "source": record.source,
                    "relied_on": True,
                }
            )

    try:
        for kind in ("ettv", "retv"):
            if kind in calculators:
                formula = getattr(envelope_table(), kind)
                for part in ("a", "b", "c", "limit"):
                    add(f"envelope.{kind}.{part}", f"{kind.upper()} {part}", getattr(formula, part))
        if calculators & {"embodied_carbon_intensity", "embodied_carbon_total"}:
            table = embodied_carbon_table()
            keys = {_material_key(table, line.material) for line in project.boq}
            for key in sorted(k for k in keys if k):
                material = table.materials[key]
                add(f"embodied-carbon.{key}.factor", material.description, material.factor)
    except (GreenmarkError, KeyError, AttributeError):  # pragma: no cover - validated when scored
        return rows
    return rows


def _material_key(table: Any, name: str) -> str | None:
    wanted = name.strip().lower()
    for key, material in table.materials.items():
        if wanted == key.lower() or wanted in (a.lower() for a in material.aliases):
            return str(key)
    return None


def _value_text(value: Any, spec: Any = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not given"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("_", " ") if spec is not None and spec.type == "choice" else value
    return fmt_number(float(value), 3)


def _inputs_block(prepared: Prepared) -> list[dict[str, Any]]:
    from .calc.registry import table_of

    scheme = prepared.scored.scheme
    given = prepared.scored.loaded.project.inputs
    rows = []
    for name, spec in scheme.inputs.items():
        value = prepared.values.get(name)
        if name in given:
            source = "given"
        elif value is not None and spec.calculator:
            source = f"calculated from {table_of(spec.calculator)}"
        else:
            source = "not given"
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "value": _value_text(value, spec),
                "unit": pretty_unit(spec.unit) if value is not None else "",
                "source": source,
                "missing": value is None,
            }
        )
    return rows


def _derived_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    env = prepared.scored.scores.env
    rows = []
    for name, spec in [*scheme.derived.items(), *scheme.metrics.items()]:
        raw = env.get(name)
        value = float(raw[0]) if isinstance(raw, np.ndarray) else raw
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "value": _value_text(value) if value is not None else "not given",
                "unit": pretty_unit(spec.unit),
                "formula": spec.formula,
                "missing": value is None or (isinstance(value, float) and math.isnan(value)),
            }
        )
    return rows


def _sections_block(prepared: Prepared) -> list[dict[str, Any]]:
    result = prepared.scored.result
    scheme = prepared.scored.scheme
    responses = prepared.scored.loaded.project.responses
    specs = {c.id: c for c in scheme.criteria}
    sections = []
    for section in result.sections:
        criteria = []
        for c in (c for c in result.criteria if c.section == section.id):
            response = responses.get(c.id)
            spec = specs[c.id]
            mark, label = STATUS[c.status]
            criteria.append(
                {
                    "id": c.id,
                    "title": c.title,
                    "points": c.points,
                    "max_points": c.max_points,
                    "bonus": c.bonus,
                    "status": c.status,
                    "status_mark": mark,
                    "status_label": label,
                    "reason": c.reason,
                    "guidance": spec.guidance,
                    "provisional": not spec.verified,
                    "answer": response.answer if response else "",
                    "evidence": list(response.evidence) if response else [],
                    "notes": response.notes if response else "",
                    "review_state": (response.review_state if response else "open").replace(
                        "_", " "
                    ),
                    "review_comment": response.review_comment if response else "",
                    "ruled_out": bool(response and response.not_applicable),
                }
            )
        max_points = section.max_points
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "points": section.points,
                "max_points": max_points,
                "bonus_points": section.bonus_points,
                "percent": section.percent,
                "floor": section.floor,
                "floor_met": section.floor_met,
                "bar": 0.0 if max_points <= 0 else min(100.0, 100.0 * section.points / max_points),
                "criteria": criteria,
            }
        )
    return sections


def _gates_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    tiers = {t.id: t.title for t in scheme.tiers}
    verified = {g.id: g.verified for g in scheme.gates}
    rows = []
    for gate in prepared.scored.result.gates:
        mark, label = GATE_STATUS[gate.status]
        rows.append(
            {
                "id": gate.id,
                "title": gate.title,
                "status": gate.status,
                "status_mark": mark,
                "status_label": label,
                "from_tier": tiers.get(gate.from_tier or "", "every tier"),
                "reason": gate.reason,
                "provisional": not verified.get(gate.id, True),
            }
        )
    return rows


def _next_tier_block(prepared: Prepared) -> dict[str, Any] | None:
    upcoming = prepared.scored.result.next_tier
    if upcoming is None:
        return None
    return {
        "id": upcoming.id,
        "title": upcoming.title,
        "points_needed": upcoming.points_needed,
        "blocking": [{"kind": b.kind, "id": b.id, "message": b.message} for b in upcoming.blocking],
    }


def _tiers_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    reached = int(prepared.scored.scores.tier_index[0])
    return [
        {
            "id": t.id,
            "title": t.title,
            "threshold": t.min_percent if t.min_percent is not None else t.min_points,
            "condition": t.condition or "",
            "reached": i <= reached,
            "style": tier_style(t.id),
        }
        for i, t in enumerate(scheme.tiers)
    ]


def _facade_values(prepared: Prepared) -> tuple[str, list[Any], float | None, float | None]:
    """(``ETTV``/``RETV``, per-facade bars, limit W/m2, building value W/m2)."""
    from .calc.envelope import building_ettv, correction_factors, ettv, retv
    from .calc.envelope import ettv_limit as table_ettv_limit
    from .calc.envelope import retv_limit as table_retv_limit
    from .charts import Bar

    scheme = prepared.scored.scheme
    facades = prepared.scored.loaded.project.facades
    uses_retv = "retv" in scheme.inputs or any(
        s.calculator == "retv" for s in scheme.inputs.values()
    )
    kind = "retv" if uses_retv else "ettv"
    wall = np.array([f.wall_area for f in facades], dtype=np.float64)
    cf = correction_factors(
        [f.orientation for f in facades], np.array([f.pitch for f in facades], dtype=np.float64)
    )
    values = (retv if uses_retv else ettv)(
        wwr=np.array([f.window_area for f in facades], dtype=np.float64) / wall,
        u_wall=[f.wall_u for f in facades],
        u_fen=[f.window_u for f in facades],
        cf=cf,
        sc1=[f.sc1 for f in facades],
        sc2=[f.sc2 for f in facades],
    )
    values = np.atleast_1d(values)
    constant = scheme.constants.get(f"{kind}_limit")
    if constant is not None:
        limit: float | None = float(constant.value)
    else:
        limit = float(table_retv_limit() if uses_retv else table_ettv_limit())
    bars = [
        Bar(f.name or str(f.orientation), float(v)) for f, v in zip(facades, values, strict=True)
    ]
    return kind.upper(), bars, limit, float(building_ettv(values, wall))


def _carbon_values(prepared: Prepared) -> list[Any]:
    from .calc.carbon import bill_of_quantities, material_breakdown
    from .calc.tables import embodied_carbon_table
    from .charts import Bar

    lines = prepared.scored.loaded.project.boq
    boq = bill_of_quantities(
        [line.material for line in lines],
        [line.quantity for line in lines],
        [line.unit for line in lines],
        density_kg_m3=[np.nan if line.density is None else line.density for line in lines],
        areal_mass_kg_m2=[np.nan if line.areal_mass is None else line.areal_mass for line in lines],
    )
    table = embodied_carbon_table()
    bars = []
    for key, kgco2e in material_breakdown(boq, 0).items():
        material = table.materials.get(key)
        label = _material_label(material.description) if material else key.replace("_", " ")
        bars.append(Bar(label, kgco2e / 1000.0))
    return bars


def _material_label(description: str, limit: int = 38) -> str:
    """A short material name: the description before any ``(``, cut at a comma if long."""
    label = description.split(" (")[0].strip()
    while len(label) > limit and "," in label:
        label = label.rsplit(",", 1)[0].strip()
    return label


def _eui_values(prepared: Prepared) -> tuple[float, list[Any], str] | None:
    """The building's EUI and the scheme's EUI thresholds for its building type."""
    from .charts import Bar

    scheme = prepared.scored.scheme
    eui = prepared.values.get("eui")
    spec = scheme.inputs.get("eui")
    if spec is None or not isinstance(eui, int | float) or isinstance(eui, bool):
        return None
    types = [t for t in scheme.scheme.building_types]
    building_type = prepared.values.get("building_type")
    bars = []
    for name, constant in scheme.constants.items():
        if not name.startswith("eui_") or constant.unit != spec.unit:
            continue
        own = [t for t in types if name.endswith(f"_{t}")]
        if own and building_type not in own:
            continue
        label = " ".join((constant.label or name).split())
        if len(label) > 44:
            label = label[:43] + "…"
        bars.append(Bar(label + ("" if constant.verified else " *"), float(constant.value)))
    reference = prepared.values.get("eui_reference")
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        bars.append(Bar("Reference building (input)", float(reference)))
    if not bars:
        return None
    return float(eui), bars, pretty_unit(spec.unit)


def _no_charts() -> dict[str, Any]:
    """The ``charts`` block with every chart absent (every key present: StrictUndefined)."""
    return {
        "sections": None,
        "envelope": None,
        "envelope_kind": "",
        "carbon": None,
        "eui": None,
        "sensitivity": None,
        "notes": {"envelope": "", "carbon": "", "eui": False},
    }


def _charts(prepared: Prepared, movers: list[dict[str, Any]]) -> dict[str, Any]:
    """Inline SVG charts (None when not applicable) and their notes; ``movers`` is the
    sensitivity block."""
    from . import charts
    from .calc.errors import CalcError

    result = prepared.scored.result
    project = prepared.scored.loaded.project
    out = _no_charts()
    out["sections"] = charts.sections_chart(
        [
            {
                "title": s.title,
                "points": s.points,
                "max_points": s.max_points,
                "bonus_points": s.bonus_points,
                "percent": s.percent,
            }
            for s in result.sections
        ],
        percent=result.scoring == "percent",
    )
    if project.facades:
        try:
            kind, bars, limit, average = _facade_values(prepared)
            out["envelope"] = charts.envelope_chart(bars, limit, quantity=kind, average=average)
            out["notes"]["envelope"] = f"{kind} per facade; limit {fmt_number(limit)} W/m²"
            out["envelope_kind"] = kind
        except CalcError as exc:
            out["notes"]["envelope"] = f"facade chart not drawn: {exc}"
    if project.boq:
        try:
            out["carbon"] = charts.carbon_chart(_carbon_values(prepared))
        except CalcError as exc:
            out["notes"]["carbon"] = f"embodied-carbon chart not drawn: {exc}"
    eui = _eui_values(prepared)
    if eui is not None:
        out["eui"] = charts.eui_chart(eui[0], eui[1], unit=eui[2])
        out["notes"]["eui"] = any(b.label.endswith(" *") for b in eui[1])
    if movers:
        out["sensitivity"] = charts.sensitivity_chart(
            [(m["label"], m["max_gain"], m["max_loss"]) for m in movers]
        )
    return out


SENSITIVITY_ROWS = 10  # inputs shown in the report's sensitivity table and chart


def _sensitivity_block(prepared: Prepared) -> list[dict[str, Any]]:
    """The inputs that move the total most, ranked by the most they can add."""
    from .sensitivity import project_sensitivity

    scored = prepared.scored
    ranked = [
        s
        for s in project_sensitivity(scored.loaded, scored.scheme)
        if s.max_gain > 1e-9 or s.max_loss < -1e-9
    ]
    ranked.sort(key=lambda s: (-s.max_gain, s.max_loss, s.input))
    unit = "%" if scored.result.scoring == "percent" else "points"
    return [
        {
            "input": s.input,
            "label": s.label,
            "unit": pretty_unit(s.unit),
            "current": _value_text(s.current),
            "slope": None if s.slope is None else fmt_number(s.slope, 3),
            "next_change": None if s.next_change is None else fmt_number(s.next_change, 3),
            "next_value": None if s.next_value is None else _value_text(s.next_value),
            "max_gain": s.max_gain,
            "best_value": None if s.best_value is None else _value_text(s.best_value),
            "max_loss": s.max_loss,
            "total_unit": unit,
        }
        for s in ranked[:SENSITIVITY_ROWS]
    ]


def assessment_context(prepared: Prepared, *, charts: bool = True) -> dict[str, Any]:
    """Plain data for ``assessment.*.j2`` (``charts=False``: no SVG, for Markdown)."""
    from . import __version__

    provisional = prepared.provisional()
    relied = [p for p in provisional if p["relied_on"]]
    movers = _sensitivity_block(prepared)
    context = {
        "kind": "assessment",
        "generator": f"greenmark {__version__}",
        "scheme": _scheme_block(prepared),
        "project": _project_block(prepared),
        "result": _result_block(prepared),
        "certificate": _certificate_block(prepared),
        "sections": _sections_block(prepared),
        "groups": list(prepared.scored.result.groups),
        "gates": _gates_block(prepared),
        "tiers": _tiers_block(prepared),
        "next_tier": _next_tier_block(prepared),
        "inputs": _inputs_block(prepared),
        "derived": _derived_block(prepared),
        "provisional": relied,
        "provisional_other": len(provisional) - len(relied),
        "provisional_count": len(relied),
        "charts": _charts(prepared, movers) if charts else _no_charts(),
        "sensitivity": movers,
    }
    return context


def context(prepared: Prepared, kind: str, fmt: str = "html") -> dict[str, Any]:
    """The template context of a report ``kind`` in format ``fmt``."""
    if kind == "certificate":
        return certificate_context(prepared)
    if kind == "assessment":
        return assessment_context(prepared, charts=fmt != "md")
    raise ValueError(f"unknown report kind {kind!r}; expected one of {', '.join(KINDS)}")


def render_text(prepared: Prepared, kind: str, fmt: str) -> str:
    """The HTML (also for PDF) or Markdown text of a report."""
    template = environment().get_template(template_name(kind, fmt))
    return template.render(context(prepared, kind, fmt))


_INLINE_CHART = re.compile(r'<svg\b[^>]*\bclass="gm-chart".*?</svg>', re.DOTALL)


def charts_as_images(html: str) -> str:
    """Inline chart SVGs as ``<img src="data:image/svg+xml;base64,...">`` (same picture).

    WeasyPrint then draws each chart as one image instead of styling its hundreds of
    elements through the document's CSS: the PDF report lays out about twice as fast.
    """
    import base64

    def image(match: re.Match[str]) -> str:
        data = base64.b64encode(match[0].encode("utf-8")).decode("ascii")
        return f'<img class="gm-chart" alt="chart" src="data:image/svg+xml;base64,{data}">'

    return _INLINE_CHART.sub(image, html)


def render(prepared: Prepared, kind: str, fmt: str) -> bytes:
    """A report as bytes, ready to write: UTF-8 text for HTML/Markdown, or a PDF."""
    from .certificate import PDF_ATTACHMENT, canonical_json

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    text = render_text(prepared, kind, fmt)
    if fmt != "pdf":
        return text.encode("utf-8")
    text = charts_as_images(text)
    attachments = None
    issued = datetime.fromisoformat(prepared.certificate.payload["issued"]).replace(tzinfo=UTC)
    if kind == "certificate":
        attachments = {PDF_ATTACHMENT: canonical_json(prepared.certificate.embedded())}
    return render_html_to_pdf(text, attachments=attachments, when=issued)
