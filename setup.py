"""What pyproject.toml cannot say: ship the top-level ``model_cards/`` inside the package.

The cards (with the benchmark results and sample crops the app shows) stay at
the top of the repository, and the wheel carries them as ``explorer/model_cards``,
where :func:`explorer.engine.registry.cards_dir` finds them with
``importlib.resources``. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

CARDS = "explorer.model_cards"

setup(
    packages=[*find_packages(include=["explorer", "explorer.*"]), CARDS, f"{CARDS}.results", f"{CARDS}.samples"],
    package_dir={CARDS: "model_cards"},
    package_data={
        "explorer": ["examples/*.png", "app/static/*.js"],
        CARDS: ["*.md"],
        f"{CARDS}.results": ["*.csv", "*.md"],
        f"{CARDS}.samples": ["*.png"],
    },
)
