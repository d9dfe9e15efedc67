"""The ``greenmark`` command line: one module per command group; the only place that knows click.

A front door: may import every wing (and ``greenmark.tui`` to open the assessor's UI);
nothing imports it. Command modules are loaded by name only when their command runs.
"""
