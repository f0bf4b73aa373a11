"""Every book figure stays readable whatever numbers an honest rerun brings (issue 28): each figure,
drawn the way its chapter draws it, from the committed results with their numbers randomly scaled,
shifted and made to coincide, renders and passes the readability check that ``book.figure`` applies
(no overprinting text, no font too small). Readability comes from how labels are placed, never from
refusing new data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from deadpixels.paper.book import figures, plotting, tables, trained_tables  # noqa: E402
from deadpixels.paper.book.figure_check import problems  # noqa: E402
from deadpixels.paper.lab.models import RESNETS  # noqa: E402
from deadpixels.paper.pipeline import results as R  # noqa: E402
from deadpixels.paper.pipeline.store import Result  # noqa: E402

NAMES = ("trf", "census", "erf_resnets", "erf_trained", "kp_finetune", "micro_object", "classification")


@pytest.fixture(scope="module")
def committed() -> dict[str, Result]:
    from deadpixels.paper.experiments import get_experiment

    return {n: R.load(get_experiment(n), "cpu") for n in NAMES}


#: Columns that name or count things (not measured values): left as they are.
KEEP = {"seed", "epoch", "depth", "step", "n", "stage", "index"}


def perturb(res: Result, scale: float, shift: float, coincide: float, rng: np.random.Generator) -> Result:
    """``res`` with every measured float column scaled and shifted, and a share of its rows set equal
    to the first row (coinciding points); arrays scaled."""
    out = Result(res.experiment, res.scale, provenance=res.provenance, values=res.values)
    for name, t in res.tables.items():
        t = t.copy()
        same = rng.random(len(t)) < coincide
        for col in t.columns:
            if col in KEEP or not pd.api.types.is_float_dtype(t[col]):
                continue
            v = t[col].to_numpy(float) * scale + shift * np.nanstd(t[col].to_numpy(float))
            if len(v):
                v[same] = v[0]
            t[col] = v
        out.tables[name] = t
    out.arrays = {k: (a * abs(scale)).astype(a.dtype) if a.dtype.kind == "f" else a for k, a in res.arrays.items()}
    return out


def _c1_trf(res):
    r = res["trf"].tables["resnets"]
    fig = plotting.labelled_scatter(r["trf"], r["acc5"], r["label"], "theoretical RF (px)", "ImageNet Acc@5 (%)",
                                    "Nine torchvision ResNets: accuracy vs TRF")
    plotting.footer(fig, res["trf"].label)
    return fig


def _census_scatter(res, x, y):
    c = res["census"].tables["census"]
    c = c[c["status"] == "analysed"].dropna(subset=[x, y])
    fig = plotting.labelled_scatter(c[x], c[y], [""] * len(c), x, y, "census", groups=c["family"])
    plotting.footer(fig, res["census"].label)
    return fig


def _c4_fig4(res):
    c = res["census"].tables["census"]
    c = c[c["model"].isin(RESNETS)].assign(label=lambda d: d["model"].map(RESNETS))
    c = c.rename(columns={"L1": "vanilla", "kp_L1": "kernel padding"})
    return plotting.grouped_bars(c, "label", ["vanilla", "kernel padding"], "L1 (structural output ERF)",
                                 "L1 before vs after KP (architecture only)")


FIGURES = {
    "c1_trf": _c1_trf,
    "c1_zoo": lambda res: _census_scatter(res, "trf", "acc1"),
    "c6_scatter": lambda res: _census_scatter(res, "lattice", "acc1"),
    "c1_lite": lambda res: figures.sigma_vs_accuracy(
        trained_tables.final_stage(res["erf_trained"]).query("kind == 'imagenet'")
    ),
    "c2_stages": lambda res: figures.lite_sigma_by_stage(res["erf_trained"]),
    "c2_resnets": lambda res: plotting.sigma_depth_figure(tables.sigma_by_depth(res["erf_resnets"]),
                                                          res["trf"].tables["resnets"]),
    "c4_fig4": _c4_fig4,
    "c5_theorem": lambda res: figures.theorem1_scatter(res["kp_finetune"].tables["theorem1"], seed=0),
    "c5_micro": lambda res: plotting.curves(res["micro_object"].tables["history"], "variant", "test_acc",
                                            "test accuracy", "Micro-object task"),
    "c5_scratch": lambda res: figures.theorem1_scatter(res["classification"].tables["theorem1"], seed=0),
    "c5_attack": lambda res: figures.attack_curves(res["classification"].tables["attack"]),
    "intro_headline": lambda res: figures.headline(res["erf_trained"], res["kp_finetune"]),
    "c4g_erfs": lambda res: figures.method_erfs(res["kp_finetune"]),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_book_figure_is_readable_as_committed(committed, name):
    fig = FIGURES[name](committed)
    try:
        assert problems(fig) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", sorted(FIGURES))
@settings(max_examples=3, print_blob=False, suppress_health_check=[HealthCheck.function_scoped_fixture])
# found by a random draw in CI (2026-12-07): values spanning 1e-5 gave an x offset that ran into the label
@example(scale=1e-3, shift=2.927734375, coincide=0.0, seed=0)
@given(
    scale=st.sampled_from([1e-3, 0.01, 0.5, 1.0, 3.0, 100.0, 1e4]),
    shift=st.floats(-3, 3),
    coincide=st.sampled_from([0.0, 0.3, 1.0]),
    seed=st.integers(0, 2**16),
)
def test_each_book_figure_stays_readable_after_any_honest_rerun(committed, name, scale, shift, coincide, seed):
    rng = np.random.default_rng(seed)
    res = {k: perturb(v, scale, shift, coincide, rng) for k, v in committed.items()}
    fig = FIGURES[name](res)
    try:
        assert problems(fig) == [], f"{name}: scale {scale}, shift {shift}, coincide {coincide}"
    finally:
        plt.close(fig)


def test_the_issue_case_resnet18_trf_4357_keeps_chapter_1_readable(committed):
    res = dict(committed)
    trf = committed["trf"]
    t = trf.tables["resnets"].copy()
    t.loc[t["model"] == "resnet18", "trf"] = 4357
    res["trf"] = Result(trf.experiment, trf.scale, tables={**trf.tables, "resnets": t}, provenance=trf.provenance)
    fig = _c1_trf(res)
    try:
        assert problems(fig) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("n_groups", [1, 3, 7, 8, 14, 30])
def test_no_two_groups_of_a_scatter_share_a_colour(n_groups):
    rng = np.random.default_rng(n_groups)
    groups = [f"family {i % n_groups}" for i in range(60)]
    fig = plotting.labelled_scatter(rng.random(60), rng.random(60), [""] * 60, "x", "y", "t", groups=groups)
    try:
        colours = [tuple(np.round(c.get_facecolor()[0], 3)) for c in fig.axes[0].collections]
        assert len(colours) == len(set(colours)) <= 7
        assert problems(fig) == []
    finally:
        plt.close(fig)
