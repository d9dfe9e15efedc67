"""Vectorised calculators: envelope (ETTV/RETV, U-values), energy, embodied carbon, water.

Every calculator takes scalars or numpy arrays (one entry per facade, building or BoQ
line) and reads its constants from the factor tables in ``criteria/factors/``, each
value carrying its ``source`` and a ``verified`` flag (see :mod:`greenmark.calc.tables`).
Bad input raises :class:`CalcError`. May import only the core's small helpers
(``greenmark.core.errors``, ``.resources``, ``.tomlfile``, ``.diskcache``), never the rest
of greenmark.
"""

from greenmark.calc import carbon, energy, envelope, tables, water
from greenmark.calc.errors import CalcError

__all__ = ["CalcError", "carbon", "energy", "envelope", "tables", "water"]
