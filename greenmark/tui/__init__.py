"""The assessor's terminal UI (Textual): walk the criteria, enter values and evidence, see the
score live, review, and write the certificate report.

Only the shells import this package; the core (engine, scheme, project, calc) never does.
"""
