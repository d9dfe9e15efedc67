"""``python -m greenmark`` runs the command line."""

from greenmark.cli.main import main

main()
