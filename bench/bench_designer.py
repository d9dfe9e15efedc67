"""Designer throughput: score every one of 2^20 = 1,048,576 candidate designs in batches.

Run: python bench/bench_designer.py [PROJECT] [MEASURES]
(default: the gm-nrb Gold fixture tests/designer/data/gold-office.toml, 20 measures)

The bundled catalogue's measures that change the project are taken without their
exclusion groups, so all 2^20 subsets of 20 measures are allowed designs; the exact
search scores every one of them (``exhaustive``), through the same path `greenmark
check` uses: bit matrix -> column-wise input arrays (facade, BoQ and fitting measures
through recomputed calculators) -> one engine call per chunk of 65,536 designs.
Then times a real `check --target platinum` plan with the bundled catalogue.
Target: the 1,048,576 designs in under 10 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for
from greenmark.design.measures import load_catalogue
from greenmark.design.optimiser import exact_search, layout
from greenmark.design.plan import plan
from greenmark.design.space import DesignSpace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "designer" / "data" / "gold-office.toml"


def main() -> None:
    project = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    bundled = load_catalogue()
    free = bundled.model_copy(
        update={
            "measures": [
                m.model_copy(update={"group": None, "excludes": []}) for m in bundled.measures
            ]
        }
    )
    everything = DesignSpace(loaded, scheme, free)
    chosen = [b.id for b in everything.measures][:wanted]
    space = DesignSpace(loaded, scheme, free, only=chosen)
    designs = layout(space.conflicts, 1 << 24)
    assert designs is not None
    target = scheme.tier_index("platinum")
    kinds = sorted({t for b in space.measures for t in b.tables} or {"inputs only"})
    print(
        f"project {project.name} under {scheme.id} {scheme.version}: {len(scheme.criteria)} "
        f"criteria, {len(scheme.gates)} gates"
    )
    print(f"measures: {space.m} (tables changed: {', '.join(kinds)}); designs: {designs.total:,}")
    exact_search(space, target, designs=layout(space.conflicts), exhaustive=True, chunk=4096)
    start = time.perf_counter()
    result = exact_search(space, target, designs=designs, exhaustive=True)
    seconds = time.perf_counter() - start
    rate = result.evaluated / seconds
    verdict = "OK" if seconds < 10 else "SLOWER THAN THE 10 s TARGET"
    print(
        f"exact : {result.evaluated:>10,} designs in {seconds:6.2f} s = "
        f"{rate:>12,.0f} designs/s  [{verdict}]"
    )
    if result.best is not None:
        print(f"        cheapest reaching platinum: SGD {result.best.cost:,.0f}")
    start = time.perf_counter()
    found = plan(loaded, scheme, "platinum", catalogue=bundled)
    seconds = time.perf_counter() - start
    cost = f"SGD {found.best.cost:,.0f}" if found.best else "none"
    print(
        f"check : bundled catalogue ({found.measures_considered} measures): plan {cost} in "
        f"{seconds:.2f} s ({found.evaluated:,} designs scored; {found.method})"
    )


if __name__ == "__main__":
    main()
