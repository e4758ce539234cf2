"""What the measured quality says, in the model cards: tables per set and plain verdicts written from the numbers.

The verdicts are generated, so they stay true when the results change: where
the best classical filter (usually Lanczos, not bicubic) beats a variant on
PSNR, they say so, and then say what the variant does give, measured by the
high-frequency energy ratio (fine detail) and GMSD (edges), which is why
someone would still choose it. Restoration models are compared with doing
nothing and with the task's classical filters the same way.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from explorer.engine.registry import ModelSpec
from explorer.reports.bench.quality import set_protocol, set_title, summarise
from explorer.reports.bench.tables import markdown_table

__all__ = ["quality_section", "restoration_section", "restoration_verdict", "upscaling_verdict"]

_FORMATS = {"PSNR-Y": ".2f", "SSIM-Y": ".4f", "GMSD": ".4f", "HF ratio": ".2f", "bicubic": ".2f", "Lanczos": ".2f",
            "Δ best": "+.2f", "Δ bicubic": "+.2f"}  # fmt: skip


def _named(rows: pd.DataFrame, method: str) -> pd.Series:
    """A summary row (indexed by method) with its ``method`` as a field."""
    row = rows.loc[method].copy()
    row["method"] = method
    return row


def upscaling_verdict(own: pd.Series, best: pd.Series, where: str) -> str:
    """One sentence: a variant against the best classical filter on the same images (summary rows of :func:`summarise`)."""
    name, other = f"`{own['method'].removeprefix('@upscalerjs/')}`", best["method"]
    gap = own["psnr_y"] - best["psnr_y"]
    sharper, closer = own["hf_ratio"] > best["hf_ratio"], own["gmsd"] < best["gmsd"]
    hf = f"HF ratio {own['hf_ratio']:.2f} against {best['hf_ratio']:.2f}, the original being 1"
    edges = f"GMSD {own['gmsd']:.4f} against {best['gmsd']:.4f}"
    if gap >= 0:
        return f"On {where} {name} beats the best classical filter, {other}, by {gap:.2f} dB PSNR-Y ({hf}; {edges})."
    head = f"On {where} {name} scores {own['psnr_y']:.2f} dB, **{-gap:.2f} dB below {other}** ({best['psnr_y']:.2f} dB), the best classical filter"
    if sharper and closer:
        return (f"{head}; what it gives instead is fine detail, {own['hf_ratio'] / best['hf_ratio']:.1f}× the "
                f"high-frequency energy of {other} ({hf}), with edges closer to the original's ({edges}).")  # fmt: skip
    if sharper:
        return (f"{head}; it carries {own['hf_ratio'] / best['hf_ratio']:.1f}× the high-frequency energy of {other} "
                f"({hf}) but its edges are no closer to the original's ({edges}): crisper-looking texture, not a more "
                "faithful picture; compare the crops before choosing it.")  # fmt: skip
    return f"{head}, and it is not sharper either ({hf}; {edges}): on these images {other} is the better choice."


def quality_section(specs: Sequence[ModelSpec], quality: pd.DataFrame) -> str | None:
    """The cards' ``quality`` region: per set (Set5 and Set14 first), each variant against bicubic and the best filter."""
    ids = [spec.id for spec in specs]
    if quality.empty or not quality["method"].isin(ids).any():
        return None
    summary = summarise(quality)
    table, verdicts = [], []
    for (set_name, scale), block in summary.groupby(["set", "scale"], sort=False):
        rows = block.set_index("method")
        for spec in (s for s in specs if s.scale == scale and s.id in rows.index):
            own, best = _named(rows, spec.id), _named(rows, rows.loc[spec.id, "best_baseline"])
            table.append({"set": set_title(set_name), "variant": f"`{spec.short_id}`", "PSNR-Y": own["psnr_y"],
                          "SSIM-Y": own["ssim_y"], "GMSD": own["gmsd"], "HF ratio": own["hf_ratio"],
                          "bicubic": rows.loc["bicubic", "psnr_y"], "Lanczos": rows.loc["lanczos", "psnr_y"],
                          "Δ bicubic": own["delta_psnr_y"], "Δ best": own["delta_best_psnr_y"]})  # fmt: skip
            if set_name in ("set5", "set14"):
                verdicts.append("- " + upscaling_verdict(own, best, f"{set_title(set_name)} ×{scale}"))
    sets = "; ".join(f"{set_title(n)}: {set_protocol(quality, n)}" for n in dict.fromkeys(summary["set"]))
    parts = [
        "Reference mode: each high-resolution image is downscaled by the variant's scale with Pillow's antialiased "
        "bicubic (this protocol reproduces the bicubic figures the literature prints for Set5 and Set14 within "
        "0.1 dB), upscaled again, and compared with the original, `scale` pixels cropped from each side; mean over "
        f"the images ({sets}). PSNR (dB) and SSIM on the BT.601 luma; GMSD: gradient magnitude similarity "
        "deviation, lower is better; HF ratio: energy above the input's Nyquist frequency relative to the "
        "original's (1 = as much fine detail as the original; bicubic and Lanczos stay far below). Bicubic and "
        "Lanczos columns: their PSNR-Y on the same images; Δ best: against the best of the four classical filters "
        "(nearest, bilinear, bicubic, Lanczos). Generated from [results/quality.csv](results/quality.csv) by "
        "`python -m explorer cards`; every method: [results/quality.md](results/quality.md).",
        "",
        markdown_table(pd.DataFrame(table), _FORMATS),
    ]
    if verdicts:
        parts += ["", "What the numbers say:", "", *verdicts]
    return "\n".join(parts)


def restoration_verdict(own: pd.Series, best: pd.Series, none: pd.Series, degradation: str) -> str:
    """One sentence: a restoration model against the best of doing nothing and the classical filters."""
    gap = own["psnr_rgb"] - best["psnr_rgb"]
    gain = own["psnr_rgb"] - none["psnr_rgb"]
    if gap < 0:
        head = (f"On `{degradation}` the best non-model method, {best['method']} ({best['psnr_rgb']:.2f} dB), beats "
                f"the model by {-gap:.2f} dB PSNR-RGB")  # fmt: skip
    else:
        head = f"On `{degradation}` the model beats the best non-model method ({best['method']}) by {gap:.2f} dB PSNR-RGB"
    return head + (
        f"; against doing nothing it {'gains' if gain >= 0 else 'loses'} {abs(gain):.2f} dB. HF ratio "
        f"{own['hf_ratio']:.2f} (the clean image is 1; {best['method']} {best['hf_ratio']:.2f}), GMSD "
        f"{own['gmsd']:.4f} ({best['method']} {best['gmsd']:.4f})."
    )


def restoration_section(specs: Sequence[ModelSpec], restoration: pd.DataFrame) -> str | None:
    """The cards' ``restoration`` region: the model, doing nothing and the best classical filter per degradation."""
    from explorer.quality.restoration import degradations_for
    from explorer.reports.bench.restoration import restoration_summary

    ids = [spec.id for spec in specs]
    if specs and all(spec.scale == 1 and not degradations_for(spec.task) for spec in specs):
        return (
            f"Not measured: {specs[0].task} has no synthetic degradation. Its target is an expert's taste "
            "(MIT-Adobe FiveK, expert C), which no known degradation inverts: a made-up curve would only score how "
            "well the model undoes that curve. Judge it on your own photographs."
        )
    if restoration.empty or not restoration["method"].isin(ids).any():
        return None
    rows = restoration[restoration["degradation"].isin(restoration.loc[restoration["method"].isin(ids), "degradation"])]
    summary = restoration_summary(rows[rows["method"].isin(ids) | (rows["kind"] != "model")])
    table, verdicts = [], []
    for degradation, block in summary.groupby("degradation", sort=False):
        by = block.set_index("method")
        best = _named(by, block["best_baseline"].iloc[0])
        for method in [m for m in ids if m in by.index] + [m for m in block["method"] if m not in ids]:
            row = by.loc[method]
            table.append({"degradation": f"`{degradation}`", "method": f"`{method.removeprefix('@upscalerjs/')}`",
                          "kind": row["kind"], "PSNR-RGB": row["psnr_rgb"], "SSIM-RGB": row["ssim_rgb"],
                          "PSNR-Y": row["psnr_y"], "GMSD": row["gmsd"], "HF ratio": row["hf_ratio"]})  # fmt: skip
        for method in (m for m in ids if m in by.index):
            verdicts.append("- " + restoration_verdict(by.loc[method], best, by.loc["none"], degradation))
    crops = "; ".join(f"{set_title(n)}: {set_protocol(rows, n)}" for n in dict.fromkeys(rows["set"]))
    formats = {"PSNR-RGB": ".2f", "SSIM-RGB": ".4f", "PSNR-Y": ".2f", "GMSD": ".4f", "HF ratio": ".2f"}
    return "\n".join(
        [
            f"Reference mode on synthetic degradations of clean images ({crops}): each is degraded (see "
            "`explorer/quality/degrade.py` for what each degradation is and why it stands for the task), restored "
            "by the model, by nothing (`none`: the degraded image) and by classical filters with fixed, blind "
            "settings, and scored against the clean image; mean over the images. HF ratio: energy above 0.25 "
            "cycles/pixel relative to the clean image (below 1 smoother, above 1 noisier or over-sharpened). "
            "Generated from [results/restoration.csv](results/restoration.csv) by `python -m explorer cards`; "
            "details: [results/restoration.md](results/restoration.md).",
            "",
            markdown_table(pd.DataFrame(table), formats),
            "",
            "What the numbers say:",
            "",
            *verdicts,
        ]
    )
