"""`python -m flows.cli ...` is the `herstel` command."""

from flows.cli import main

main()
