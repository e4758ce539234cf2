"""``recommend``: the ranked table, the choice with its patch settings, and the code, as a user runs it."""

from __future__ import annotations

import pytest

from explorer.cli import main
from explorer.codegen.snippets import generate
from tests.recommend.test_core import DRAWING


def test_recommend_prints_the_table_the_choice_and_the_code_for_node(capsys):
    assert main(["recommend", str(DRAWING), "--scale", "2", "--target", "node", "--models", "esrgan-slim/2x,esrgan-medium/2x"]) == 0
    out = capsys.readouterr().out
    head, code = out.split("Code (node):\n\n")
    assert head.startswith("Scores on the central 192×192 crop of your 256×192 picture, shrunk 2x")
    rows = [line.strip("| ").split(" | ") for line in head.splitlines() if line.startswith("| ") and not line.startswith("| rank")]
    assert [row[0] for row in rows] == [str(rank) for rank in range(1, 7)]
    methods = [row[1] for row in rows]
    assert sorted(methods) == sorted(["esrgan-slim/2x", "esrgan-medium/2x", "nearest", "bilinear", "bicubic", "lanczos"])
    chosen = next(method for method in methods if method.startswith("esrgan"))
    assert f"Use: {chosen} with the whole image at once (whole image: 1 call, ≈" in head
    assert "Why: " in head and "Took " in head and "Note: Times are for the exact (float32) precision only" in head
    assert code == generate(chosen, "node") and "upscaler/node" in code


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--scale", "2", "--task", "denoising"], "not allowed with argument"), (["--scale", "2", "--target", "cli"], "invalid choice: 'cli'")],
)
def test_usage_mistakes_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["recommend", str(DRAWING), *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--task", "retouching"], "retouching has no synthetic degradation"),
        (["--scale", "2", "--budget-seconds", "-1"], "budget_seconds must be above 0"),
    ],
)
def test_bad_requests_exit_2_with_one_error_line(capsys, argv, message):
    assert main(["recommend", str(DRAWING), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
