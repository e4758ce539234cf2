"""The examples in the package's docstrings run and show what they say.

Only modules whose source has an example that runs are imported, when their test runs, so collecting this file
costs a text scan; examples that need a model or a file are marked ``+SKIP`` where they stand.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import explorer

PACKAGE = Path(explorer.__file__).parent


def _runs_an_example(source: str) -> bool:
    return any(line.lstrip().startswith(">>> ") and "doctest: +SKIP" not in line for line in source.splitlines())


WITH_EXAMPLES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if _runs_an_example(path.read_text(encoding="utf-8"))
)


def test_the_examples_are_found():
    assert "explorer.engine.tiling.rules" in WITH_EXAMPLES and "explorer.engine.tiling.plan" in WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name: str):
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert outcome.attempted > 0, f"{name} has no example that runs"
    assert outcome.failed == 0, f"{outcome.failed} of {outcome.attempted} examples in {name} failed (see above)"
