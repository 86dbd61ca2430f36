"""``python -m maillon``: the same command as the ``maillon`` console script."""

from maillon.cli import main

main()
