"""What ``check --images`` prints about the trained test, from its metrics or from the cached
``own_network`` result that chapter 6 shows (one text for both, so the book prints what the
command prints)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from ..pipeline.results import Result
from .check_figures import erf_trained_figure


def trained_lines(t: dict[str, Any]) -> list[str]:
    """The printed block of the trained test."""
    lo, hi = t["lattice_ci95"]
    area = ", ".join(f"{k}: " + ("-" if v is None else f"{v['ratio']:.3f}") for k, v in t["area_ratio"].items())
    g = t["gaussian"]
    return [
        f"trained ERF of {t['target']} on {t['n_images']} images ({t['preprocessing']}):",
        f"  lattice ratio x{t['lattice']:.3f} [95% bootstrap CI over images {lo:.3f}, {hi:.3f}]",
        f"  L1 {t['L1_raw']:.3g} (peak-normalised {t['L1_peak']:.3g}), L2 {t['L2_raw']:.3g} ({t['L2_peak']:.3g})",
        f"  Gaussian fit: sigma_y {g['sigma_y']:.1f} px, sigma_x {g['sigma_x']:.1f} px, R^2 {g['r2']:.2f}",
        f"  high-contribution area ratio (RepLKNet's, on this map): {area}",
        f"  centre of mass (y, x) ({t['com_yx'][0]:.1f}, {t['com_yx'][1]:.1f}); argmax {tuple(t['argmax_yx'])}",
        *[f"  note: {n}" for n in t["notes"]],
    ]


def nested(row: dict[str, Any]) -> dict[str, Any]:
    """The metrics of one cached row (``gaussian.r2``, ``lattice_ci95.0``) nested again as the
    command's JSON holds them (lists where the keys count 0, 1, ...)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        *path, leaf = key.split(".")
        d = out
        for part in path:
            d = d.setdefault(part, {})
        d[leaf] = value
    return _lists(out)


def _lists(d: Any) -> Any:
    if not isinstance(d, dict):
        return d
    d = {k: _lists(v) for k, v in d.items()}
    keys = list(d)
    return [d[k] for k in sorted(keys, key=int)] if keys and all(k.isdigit() for k in keys) else d


def cached_report(res: Result) -> tuple[dict[str, Any], list[str], plt.Figure]:
    """The metrics, the printed lines and the figure of the cached ``own_network`` result."""
    t = nested(res.tables["trained"].iloc[0].to_dict())
    for k in ("20%", "30%", "50%", "99%"):
        t.setdefault("area_ratio", {}).setdefault(k, None)
    t.update(target="each image's top-1 logit", preprocessing="EfficientNet-Lite: [-1, 1] inputs", notes=[])
    t["n_images"] = int(t["n_images"])
    t["argmax_yx"] = [int(v) for v in t["argmax_yx"]]
    trained, structural = res.arrays["trained_map"], res.arrays["structural_map"]
    size = trained.shape[-1]
    fig = erf_trained_figure(trained, structural, f"efficientnet_lite0 ({size}x{size})")
    return t, trained_lines(t), fig


__all__ = ["trained_lines", "nested", "cached_report"]
