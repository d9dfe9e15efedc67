"""The version of greenmark: one literal, read by the build (``[tool.hatch.version]``).

A literal instead of ``importlib.metadata``: reading the installed metadata at import
costs start-up time on every command.
"""

__version__ = "0.1.0"
