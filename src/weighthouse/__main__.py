"""``python -m weighthouse`` runs the command line."""

from weighthouse.cli.main import main

main()
