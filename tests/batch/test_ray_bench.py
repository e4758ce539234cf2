"""``bench quality --engine ray`` scores exactly as the in-process benchmark does."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from explorer.cli import main
from explorer.reports.bench.dataset import load_set
from explorer.reports.bench.quality import run_quality, select_models


def test_bench_quality_on_ray_writes_the_in_process_scores(local_ray, tmp_path):
    from skimage import data

    photo = data.astronaut()
    folder = tmp_path / "catalogue"
    folder.mkdir()
    Image.fromarray(photo[60:108, 100:140]).save(folder / "face.png")  # 40x48
    Image.fromarray(photo[300:330, 20:56]).save(folder / "suit.png")  # 36x30
    out = tmp_path / "results"
    argv = ["bench", "quality", "--engine", "ray", "--workers", "2", "--sets", str(folder), "--scales", "2",
            "--models", "*slim/2x", "--out", str(out), "--samples-dir", str(tmp_path / "samples"), "-q"]  # fmt: skip
    assert main(argv) == 0
    on_ray = pd.read_csv(out / "quality.csv")
    in_process = run_quality(select_models("*slim/2x", [2]), [2], sets=[load_set(str(folder))], progress=False)
    assert sorted(on_ray["method"].unique()) == sorted(in_process["method"].unique())
    assert "@upscalerjs/esrgan-slim/2x" in set(on_ray["method"])
    keys = ["set", "scale", "image", "method"]
    ours = on_ray.drop(columns="seconds").sort_values(keys, ignore_index=True)
    theirs = in_process.drop(columns="seconds").sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], check_dtype=False, check_exact=True)
