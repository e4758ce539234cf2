"""``python -m explorer cards``: rewrite the generated parts of the model cards from the results."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(commands) -> None:
    """Add the ``cards`` command."""
    cards = commands.add_parser(
        "cards",
        help="rewrite the model cards' measured parts from model_cards/results",
        description="Rewrite each card's model-index and its generated regions (between <!-- BEGIN GENERATED: name --> "
        "and <!-- END GENERATED: name -->) from model_cards/results/*.csv and model_cards/samples/. "
        "Hand-written text is kept.",
    )
    cards.add_argument("--check", action="store_true", help="write nothing; exit 1 if a card is out of date")
    cards.add_argument("--dir", type=Path, metavar="DIR", help="the cards folder (default: model_cards)")
    cards.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Update (or check) the cards."""
    from explorer.reports.cards import update_cards

    changed = update_cards(args.dir, check=args.check)
    verb = "out of date" if args.check else "updated"
    for card in changed:
        print(f"{card}: {verb}")
    if not changed:
        print("Every card is up to date.")
    return 1 if args.check and changed else 0
