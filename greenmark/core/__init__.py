"""The core: scheme model, safe formula compiler, engine, explanations, project files.

Also units, TOML reading and atomic writing, errors, bundled resources, the scoring of
one project file and the naive reference scorer. May import: ``greenmark.calc`` (a
project's calculated inputs) and nothing else of greenmark; never a front door.
"""
