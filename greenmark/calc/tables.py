"""Factor tables under ``criteria/factors/``: loading, pydantic validation, caching.

Every number in a table sits in a *sourced record*: a TOML table with a ``source``
string and a ``verified`` boolean (``verified = true`` only for values read in a BCA or
official document). Loading a table checks its shape, its units and its ordering; any
problem raises :class:`~greenmark.calc.errors.CalcError` naming the file, the line, the
field path and what was expected. Loaded tables are cached per file, keyed on its
resolved path, modification time and size, so an edited table is read again on its
next use (:func:`clear_cache` drops the cache); across runs, a validated table is kept
in the user's cache folder (:mod:`greenmark.core.diskcache`), keyed on the file's bytes.

Kept as one idea past 600 lines: every factor table's model, with the one cached
loader and the unverified-value listing they share.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from greenmark.calc.errors import CalcError, FloatArray, IntArray
from greenmark.core import diskcache
from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.resources import criteria_dir
from greenmark.core.tomlfile import LineIndex, decode_text, dotted, parse_toml, read_bytes

OCTANTS: tuple[str, ...] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
"""The eight orientations, clockwise from north (index i covers azimuth 45*i +/- 22.5 deg)."""

ENVELOPE_FILE = "envelope.toml"
CORRECTION_FACTORS_FILE = "ettv-correction-factors.toml"
ROOF_U_FILE = "roof-u-limits.toml"
GRID_FILE = "grid-emission-factors.toml"
ENERGY_FILE = "energy.toml"
LPD_FILE = "lighting-power-density.toml"
WELS_FILE = "wels.toml"
EMBODIED_CARBON_FILE = "embodied-carbon.toml"

BOQ_UNITS: tuple[str, ...] = ("kg", "t", "m3", "m2")
"""Units of a bill-of-quantities line, in unit-code order (see :mod:`greenmark.calc.carbon`)."""


# --------------------------------------------------------------------------- base models


class _Model(BaseModel):
    """Strict: no text for a number or a boolean, no inf or nan; unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True
    )


class Sourced(_Model):
    """A record whose numbers all come from ``source``; ``verified`` only if read at BCA."""

    source: str = Field(min_length=1)
    verified: bool
    note: str | None = None


class SourcedValue(Sourced):
    """One number with its unit and provenance."""

    value: float = Field(allow_inf_nan=False)
    unit: str = Field(min_length=1)


def _unit(expected: str, *, positive: bool = True) -> Callable[[SourcedValue], SourcedValue]:
    def check(item: SourcedValue) -> SourcedValue:
        if item.unit != expected:
            raise ValueError(f"expected unit {expected!r}, got {item.unit!r}")
        if positive and item.value <= 0:
            raise ValueError(f"expected a value > 0, got {item.value!r}")
        if not positive and item.value < 0:
            raise ValueError(f"expected a value >= 0, got {item.value!r}")
        return item

    return check


Kelvin = Annotated[SourcedValue, AfterValidator(_unit("K"))]
WattsPerM2 = Annotated[SourcedValue, AfterValidator(_unit("W/m2"))]
ResistanceM2KPerW = Annotated[SourcedValue, AfterValidator(_unit("m2K/W", positive=False))]
KwPerRt = Annotated[SourcedValue, AfterValidator(_unit("kW/RT"))]
KgCo2ePerKg = Annotated[SourcedValue, AfterValidator(_unit("kgCO2e/kg", positive=False))]
KgPerM3 = Annotated[SourcedValue, AfterValidator(_unit("kg/m3"))]
KgPerM2 = Annotated[SourcedValue, AfterValidator(_unit("kg/m2"))]


class Meta(_Model):
    """Descriptive header of a table."""

    title: str
    version: str
    note: str | None = None
    placeholder: bool = False


def normalise_name(name: str) -> str:
    """Case-, space- and hyphen-insensitive key: ``" Steel-Rebar "`` -> ``"steel_rebar"``."""
    return "_".join(name.strip().lower().replace("-", " ").split())


# --------------------------------------------------------------------------- envelope


class FormulaCoefficients(_Model):
    """``a (1 - WWR) Uw + b WWR Uf + c WWR CF SC`` and the limit of the result."""

    formula: str
    a: Kelvin
    b: Kelvin
    c: WattsPerM2
    limit: WattsPerM2


class LimitOnly(_Model):
    limit: WattsPerM2


class AirFilm(_Model):
    rsi_wall: ResistanceM2KPerW
    rse_wall: ResistanceM2KPerW


class EnvelopeTable(_Model):
    """``envelope.toml``: ETTV / RETV coefficients and limits, RTTV limit, air films."""

    meta: Meta
    ettv: FormulaCoefficients
    retv: FormulaCoefficients
    rttv: LimitOnly
    air_film: AirFilm


class CorrectionFactorRow(Sourced):
    orientation: Literal["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    pitch_deg: float = Field(ge=0, le=90)
    cf: float = Field(gt=0, allow_inf_nan=False)


class CorrectionFactorSet(_Model):
    """All 8 orientations at the same pitches; ``grid()`` gives the arrays."""

    description: str
    factors: list[CorrectionFactorRow]
    _pitches: FloatArray = PrivateAttr()
    _matrix: FloatArray = PrivateAttr()

    @model_validator(mode="after")
    def _complete_grid(self) -> CorrectionFactorSet:
        by_orientation: dict[str, dict[float, float]] = {o: {} for o in OCTANTS}
        for row in self.factors:
            cell = by_orientation[row.orientation]
            if row.pitch_deg in cell:
                raise ValueError(
                    f"orientation {row.orientation} at pitch {row.pitch_deg} given twice"
                )
            cell[row.pitch_deg] = row.cf
        pitches = sorted(by_orientation["N"])
        for orientation in OCTANTS:
            got = sorted(by_orientation[orientation])
            if got != pitches:
                raise ValueError(
                    "expected every orientation (N NE E SE S SW W NW) at the same pitches "
                    f"{pitches or '(none)'}; {orientation} has {got or '(none)'}"
                )
        self._pitches = np.array(pitches, dtype=np.float64)
        self._matrix = np.array(
            [[by_orientation[o][p] for p in pitches] for o in OCTANTS], dtype=np.float64
        )
        return self

    def grid(self) -> tuple[FloatArray, FloatArray]:
        """``(pitches_deg, cf)``: sorted pitches (n,) and factors (8 octants, n)."""
        return self._pitches, self._matrix


class CorrectionFactorMeta(Meta):
    default_set: str


class CorrectionFactorTable(_Model):
    """``ettv-correction-factors.toml``: named CF sets (placeholders until BCA Table C1)."""

    meta: CorrectionFactorMeta
    sets: dict[str, CorrectionFactorSet] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> CorrectionFactorTable:
        if self.meta.default_set not in self.sets:
            raise ValueError(
                f"meta.default_set {self.meta.default_set!r} is not one of the sets "
                f"{sorted(self.sets)}"
            )
        return self

    def get(self, name: str | None = None) -> CorrectionFactorSet:
        """The named set (default: ``meta.default_set``); ``CalcError`` if unknown."""
        key = self.meta.default_set if name is None else name
        if key not in self.sets:
            raise CalcError(
                f"unknown correction-factor set {key!r}; known sets: {', '.join(self.sets)}",
                suggestions=tuple(self.sets),
            )
        return self.sets[key]


class RoofGroup(Sourced):
    name: str
    description: str = ""
    upper_kg_m2: float | None = Field(default=None, gt=0)
    upper_inclusive: bool = True
    u_limit_w_m2k: float = Field(gt=0, allow_inf_nan=False)


class RoofUTable(_Model):
    """``roof-u-limits.toml``: roof weight groups (ascending) and their U-value limits."""

    meta: Meta
    group: list[RoofGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> RoofUTable:
        *bounded, last = self.group
        if last.upper_kg_m2 is not None:
            raise ValueError("expected the last group to have no upper_kg_m2 (open-ended)")
        uppers = [g.upper_kg_m2 for g in bounded]
        if any(u is None for u in uppers):
            raise ValueError("expected upper_kg_m2 on every group but the last")
        if any(b <= a for a, b in pairwise(uppers)):  # type: ignore[operator]
            raise ValueError(f"expected upper_kg_m2 strictly increasing, got {uppers}")
        return self

    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.group)

    def limits(self) -> FloatArray:
        """U-value limits (W/m2K) per group, in group order."""
        return np.array([g.u_limit_w_m2k for g in self.group], dtype=np.float64)


# --------------------------------------------------------------------------- energy


class GridFactor(Sourced):
    region: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2200)
    value: float = Field(gt=0, allow_inf_nan=False)
    unit: Literal["kgCO2e/kWh"]


class GridMeta(Meta):
    default_region: str


class GridEmissionTable(_Model):
    """``grid-emission-factors.toml``: kgCO2e/kWh by region and year."""

    meta: GridMeta
    factor: list[GridFactor] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> GridEmissionTable:
        seen: set[tuple[str, int]] = set()
        for row in self.factor:
            key = (row.region, row.year)
            if key in seen:
                raise ValueError(f"region {row.region} year {row.year} given twice")
            seen.add(key)
        if self.meta.default_region not in {r for r, _ in seen}:
            raise ValueError(f"meta.default_region {self.meta.default_region!r} has no factor")
        return self

    def get(self, region: str | None = None, year: int | None = None) -> GridFactor:
        """The factor for ``region`` (default region) in ``year`` (default: latest)."""
        region = self.meta.default_region if region is None else region
        rows = [r for r in self.factor if r.region.lower() == region.lower()]
        if not rows:
            regions = sorted({r.region for r in self.factor})
            raise CalcError(
                f"no grid emission factor for region {region!r}; known: {', '.join(regions)}",
                suggestions=tuple(regions),
            )
        if year is None:
            return max(rows, key=lambda r: r.year)
        for row in rows:
            if row.year == year:
                return row
        years = sorted(r.year for r in rows)
        raise CalcError(f"no grid emission factor for {region} in {year}; years: {years}")


class EnergyConversion(_Model):
    kw_per_rt: KwPerRt


class RenewableThreshold(Sourced):
    label: str
    min_share: float = Field(gt=0, allow_inf_nan=False)
    inclusive: bool = True


class EnergyTable(_Model):
    """``energy.toml``: unit conversions and renewable-share badge thresholds."""

    meta: Meta
    conversion: EnergyConversion
    renewable: dict[str, RenewableThreshold] = Field(min_length=1)


class SpaceLimit(_Model):
    limit: WattsPerM2


class LightingTable(_Model):
    """``lighting-power-density.toml``: LPD limit (W/m2) by space type."""

    meta: Meta
    space: dict[str, SpaceLimit] = Field(min_length=1)


# --------------------------------------------------------------------------- water


class WelsBand(Sourced):
    ticks: int = Field(ge=1, le=3)
    max: float = Field(ge=0, allow_inf_nan=False)
    savings: float | None = Field(default=None, ge=0, le=1)


def _bands_ordered(bands: list[WelsBand]) -> list[WelsBand]:
    ticks = [b.ticks for b in bands]
    maxima = [b.max for b in bands]
    if ticks != sorted(ticks, reverse=True) or len(set(ticks)) != len(ticks):
        raise ValueError(f"expected bands best first with distinct ticks, got ticks {ticks}")
    if any(b <= a for a, b in pairwise(maxima)):
        raise ValueError(f"expected band maxima strictly increasing, got {maxima}")
    return bands


_Bands = Annotated[list[WelsBand], Field(min_length=1), AfterValidator(_bands_ordered)]


class WelsFitting(_Model):
    description: str
    unit: Literal["L/min", "L/flush"]
    bands: _Bands
    reduced_bands: _Bands | None = None

    def thresholds(self, reduced: bool = False) -> tuple[FloatArray, IntArray]:
        """``(maxima, ticks)``: band maxima ascending and ticks with a trailing 0."""
        bands = self.reduced_bands if reduced else self.bands
        assert bands is not None
        maxima = np.array([b.max for b in bands], dtype=np.float64)
        ticks = np.array([*(b.ticks for b in bands), 0], dtype=np.intp)
        return maxima, ticks


class WelsTable(_Model):
    """``wels.toml``: WELS tick bands by fitting type."""

    meta: Meta
    fitting: dict[str, WelsFitting] = Field(min_length=1)


# --------------------------------------------------------------------------- carbon


class Material(_Model):
    description: str
    category: str
    aliases: list[str] = Field(default_factory=list)
    factor: KgCo2ePerKg
    density: KgPerM3 | None = None
    areal_mass: KgPerM2 | None = None


class CarbonMeta(Meta):
    scope: str


class EmbodiedCarbonTable(_Model):
    """``embodied-carbon.toml``: kgCO2e/kg, density and areal mass per material."""

    meta: CarbonMeta
    materials: dict[str, Material] = Field(min_length=1)
    _keys: tuple[str, ...] = PrivateAttr()
    _lookup: dict[str, int] = PrivateAttr()
    _factor: FloatArray = PrivateAttr()
    _density: FloatArray = PrivateAttr()
    _areal: FloatArray = PrivateAttr()
    _concrete: np.ndarray = PrivateAttr()
    _kg_per_unit: FloatArray = PrivateAttr()
    _kgco2e_per_unit: FloatArray = PrivateAttr()

    @model_validator(mode="after")
    def _index(self) -> EmbodiedCarbonTable:
        keys = tuple(self.materials)
        lookup: dict[str, int] = {}
        for index, key in enumerate(keys):
            for name in (key, *self.materials[key].aliases):
                norm = normalise_name(name)
                if norm in lookup and lookup[norm] != index:
                    raise ValueError(
                        f"name {name!r} of material {key!r} is already used by "
                        f"{keys[lookup[norm]]!r}"
                    )
                lookup[norm] = index
                lookup[name] = index
        mats = [self.materials[k] for k in keys]
        nan = float("nan")
        self._keys = keys
        self._lookup = lookup
        self._factor = np.array([m.factor.value for m in mats], dtype=np.float64)
        self._density = np.array(
            [m.density.value if m.density else nan for m in mats], dtype=np.float64
        )
        self._areal = np.array(
            [m.areal_mass.value if m.areal_mass else nan for m in mats], dtype=np.float64
        )
        self._concrete = np.array([m.category == "concrete" for m in mats], dtype=bool)
        kg = np.empty((len(keys), len(BOQ_UNITS)))
        kg[:, 0] = 1.0  # kg
        kg[:, 1] = 1000.0  # t
        kg[:, 2] = self._density  # m3
        kg[:, 3] = self._areal  # m2
        self._kg_per_unit = kg
        self._kgco2e_per_unit = kg * self._factor[:, None]
        kg.flags.writeable = False  # shared by every user of the cached table
        self._kgco2e_per_unit.flags.writeable = False
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """Material keys; a material code is an index into this tuple."""
        return self._keys

    @property
    def name_index(self) -> dict[str, int]:
        """Exact spelling (key, alias, or their normalised forms) -> code; do not modify."""
        return self._lookup

    def code_of(self, name: str) -> int | None:
        """Code of a material key or alias (exact, then case/space-insensitive), or None."""
        code = self._lookup.get(name)
        return code if code is not None else self._lookup.get(normalise_name(name))

    def known_names(self) -> list[str]:
        """Every accepted spelling (keys and aliases) for suggestions."""
        return sorted({n for n in self._lookup if n == normalise_name(n)})

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray]:
        """``(factor kgCO2e/kg, density kg/m3, areal mass kg/m2, is_concrete)`` by code;
        NaN where the table has no density / areal mass."""
        return self._factor, self._density, self._areal, self._concrete

    def kg_per_unit(self) -> FloatArray:
        """kg of material per unit of quantity, shape (materials, units in
        :data:`BOQ_UNITS` order); NaN where the table has no density / areal mass."""
        return self._kg_per_unit

    def kgco2e_per_unit(self) -> FloatArray:
        """kgCO2e per unit of quantity, shape (materials, units in :data:`BOQ_UNITS`
        order): :meth:`kg_per_unit` times the factor; NaN where no conversion exists."""
        return self._kgco2e_per_unit


# --------------------------------------------------------------------------- loading

T = TypeVar("T", bound=BaseModel)

TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "envelope": (ENVELOPE_FILE, EnvelopeTable),
    "correction_factors": (CORRECTION_FACTORS_FILE, CorrectionFactorTable),
    "roof_u": (ROOF_U_FILE, RoofUTable),
    "grid": (GRID_FILE, GridEmissionTable),
    "energy": (ENERGY_FILE, EnergyTable),
    "lighting": (LPD_FILE, LightingTable),
    "wels": (WELS_FILE, WelsTable),
    "embodied_carbon": (EMBODIED_CARBON_FILE, EmbodiedCarbonTable),
}
"""Table name -> (file name under ``criteria/factors/``, pydantic model)."""


def factors_dir() -> Path:
    """``criteria/factors`` of the active criteria folder (``GREENMARK_CRITERIA`` overrides)."""
    return criteria_dir() / "factors"


def _expected(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "missing; expected this field"
    if kind == "extra_forbidden":
        return "unknown field; not expected here (check the spelling)"
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if kind != "value_error" and not isinstance(error.get("input"), dict | list | type(None)):
        got = repr(error["input"])
        message += f" (got {got if len(got) <= 60 else got[:57] + '...'})"
    return message


@lru_cache(maxsize=64)
def _load(path: Path, model: type[T], stamp: tuple[int, int] | None) -> T:
    """Read and validate ``path``; ``stamp`` (mtime in ns, size) only keys the cache.

    A table validated by an earlier run is taken from the disk cache
    (:mod:`greenmark.core.diskcache`) when the file's bytes and greenmark's code are
    those it was built from: a command then neither parses the TOML nor builds the
    model's validators."""
    try:
        raw = read_bytes(path)
    except GreenmarkError as exc:
        raise CalcError(problems=exc.problems) from None
    name = f"{path}\0{model.__module__}.{model.__qualname__}"
    return diskcache.cached(
        "table", name, lambda: [diskcache.sha256(raw)], lambda: _validate(path, raw, model), model
    )


def _validate(path: Path, raw: bytes, model: type[T]) -> T:
    """``raw`` (the bytes of ``path``) parsed and validated as ``model``."""
    try:
        text = decode_text(raw, str(path))
        data = parse_toml(text, str(path))
    except GreenmarkError as exc:
        raise CalcError(problems=exc.problems) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        index = LineIndex(text)
        problems = [
            Problem(
                _expected(error),
                str(path),
                dotted(error["loc"]) or None,
                index.line_of(error["loc"]),
            )
            for error in exc.errors()
        ]
        raise CalcError(problems=problems) from None


@lru_cache(maxsize=64)
def _table_path(directory: str | None, criteria: str | None, cwd: str, file: str) -> Path:
    """Resolved path of a table file. ``criteria`` (the ``GREENMARK_CRITERIA`` override)
    and ``cwd`` (for relative folders) only key the cache."""
    folder = Path(directory) if directory is not None else factors_dir()
    return folder.resolve() / file


def load_table(model: type[T], file: str, directory: str | Path | None = None) -> T:
    """Load and validate ``directory/file`` (default directory: :func:`factors_dir`).

    Cached per resolved path, modification time and size: a repeated call costs a
    ``stat`` of the file, and a table edited on disk is read again.
    """
    if directory is None:
        folder = None
        criteria = os.environ.get("GREENMARK_CRITERIA")
        relative = bool(criteria) and not os.path.isabs(criteria or "")
    else:
        folder = os.fspath(directory)
        criteria = None
        relative = not os.path.isabs(folder)
    path = _table_path(folder, criteria, os.getcwd() if relative else "", file)
    try:
        info = os.stat(path)
    except OSError:
        stamp = None  # reading it fails with the usual message
    else:
        stamp = (info.st_mtime_ns, info.st_size)
    return _load(path, model, stamp)


def clear_cache() -> None:
    """Forget every loaded table (the next call re-reads the files)."""
    _load.cache_clear()
    _table_path.cache_clear()


def envelope_table(directory: str | Path | None = None) -> EnvelopeTable:
    """ETTV/RETV coefficients and limits, RTTV limit, air-film resistances."""
    return load_table(EnvelopeTable, ENVELOPE_FILE, directory)


def correction_factor_table(directory: str | Path | None = None) -> CorrectionFactorTable:
    """Solar correction factors by orientation and pitch (placeholder sets)."""
    return load_table(CorrectionFactorTable, CORRECTION_FACTORS_FILE, directory)


def roof_u_table(directory: str | Path | None = None) -> RoofUTable:
    """Roof U-value limits by weight group."""
    return load_table(RoofUTable, ROOF_U_FILE, directory)


def grid_emission_table(directory: str | Path | None = None) -> GridEmissionTable:
    """Grid electricity emission factors (kgCO2e/kWh)."""
    return load_table(GridEmissionTable, GRID_FILE, directory)


def energy_table(directory: str | Path | None = None) -> EnergyTable:
    """Energy conversions (kW per RT) and renewable-share thresholds."""
    return load_table(EnergyTable, ENERGY_FILE, directory)


def lighting_table(directory: str | Path | None = None) -> LightingTable:
    """Lighting power density limits by space type."""
    return load_table(LightingTable, LPD_FILE, directory)


def wels_table(directory: str | Path | None = None) -> WelsTable:
    """WELS tick bands by fitting type."""
    return load_table(WelsTable, WELS_FILE, directory)


def embodied_carbon_table(directory: str | Path | None = None) -> EmbodiedCarbonTable:
    """Embodied-carbon factors, densities and areal masses by material."""
    return load_table(EmbodiedCarbonTable, EMBODIED_CARBON_FILE, directory)


def all_tables(directory: str | Path | None = None) -> dict[str, BaseModel]:
    """Every factor table, loaded and validated, keyed as in :data:`TABLES`."""
    return {name: load_table(model, file, directory) for name, (file, model) in TABLES.items()}


def sourced_records(table: BaseModel, prefix: str = "") -> Iterator[tuple[str, Sourced]]:
    """Every sourced record in ``table`` as ``(dotted path, record)``, depth first."""
    if isinstance(table, Sourced):
        yield prefix, table
        return
    for name in type(table).model_fields:
        yield from _walk(getattr(table, name), f"{prefix}.{name}" if prefix else name)


def _walk(value: Any, path: str) -> Iterator[tuple[str, Sourced]]:
    if isinstance(value, BaseModel):
        yield from sourced_records(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def unverified(table: BaseModel) -> list[tuple[str, Sourced]]:
    """The sourced records of ``table`` with ``verified = false`` (for reports)."""
    return [(path, rec) for path, rec in sourced_records(table) if not rec.verified]
