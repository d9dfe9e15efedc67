"""Portfolio scoring: mappings, chunk scoring, CSV/Parquet input and output, runners.

Runners score chunks in process, in a process pool or on Dask; the summary turns the
results into portfolio figures; synthetic portfolios feed tests and benchmarks.
May import: ``greenmark.core`` and ``greenmark.calc``.
"""
