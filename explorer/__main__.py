"""``python -m explorer``: the command line."""

from explorer.cli import main

raise SystemExit(main(prog="python -m explorer"))
