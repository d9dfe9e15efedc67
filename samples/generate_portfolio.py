"""Write a seeded synthetic portfolio (CSV and/or Parquet) for a bundled scheme.

Usage:
    python samples/generate_portfolio.py --scheme gm-nrb --rows 1000 \
        --out samples/portfolio/gm-nrb-1000.csv --out samples/portfolio/gm-nrb-1000.parquet

Rows are generated and written in chunks, so any size fits in flat memory. The
output is written to a temporary file in the same folder and renamed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.synthetic import Distributions, chunks, to_arrow

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scheme", default="gm-nrb", help="bundled scheme id or path")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument(
        "--distributions", type=Path, default=HERE / "portfolio" / "distributions.toml"
    )
    parser.add_argument(
        "--out",
        type=Path,
        action="append",
        required=True,
        help="output file (.csv or .parquet); may be repeated",
    )
    args = parser.parse_args(argv)
    scheme = load_scheme(resolve_scheme(args.scheme))
    distributions = Distributions.load(args.distributions)
    for out in args.out:
        if out.suffix not in (".csv", ".parquet"):
            parser.error(f"{out}: expected a .csv or .parquet file")
    started = time.perf_counter()
    writers = []
    temps = []
    try:
        for chunk in chunks(scheme, args.rows, distributions, seed=args.seed, chunk=args.chunk):
            table = to_arrow(chunk)
            if not writers:
                for out in args.out:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
                    os.close(handle)
                    temps.append((Path(temp), out))
                    if out.suffix == ".csv":
                        writers.append(pa_csv.CSVWriter(temp, table.schema))
                    else:
                        writers.append(pq.ParquetWriter(temp, table.schema, compression="zstd"))
            for writer in writers:
                writer.write_table(table)
        for writer in writers:
            writer.close()
        for temp, out in temps:
            os.chmod(temp, 0o644)
            os.replace(temp, out)
    except BaseException:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
        raise
    elapsed = time.perf_counter() - started
    names = ", ".join(str(o) for o in args.out)
    print(f"{args.rows:,} buildings for {scheme.id} -> {names} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
