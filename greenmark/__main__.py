"""``python -m greenmark`` runs the command line."""

from .cli import main

main()
