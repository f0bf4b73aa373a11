"""The paper's tables beside ours (Tables 1, 3, 4, 6 and Theorem 1's fit), from cached results.
The paper's numbers come from :mod:`deadpixels.paper.lab.reference`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...fitting import mean_sigma
from ..claims.judging.stats import paired_rank_test, theorem1_fits
from ..claims.rules.training import paired
from ..lab.models import DEPTH, RESNETS, SHORT
from ..lab.reference import TABLE1, TABLE3, TABLE4, TABLE6
from ..pipeline.results import Result


def table1(trf: Result, erf: Result) -> pd.DataFrame:
    """Table 1, paper beside ours: Acc@5, TRF and the stage-4 ERF Gaussian fit."""
    t = trf.tables["resnets"].set_index("model")
    e = erf.tables["erf"]
    w = e[(e["kind"] != "structural") & (e["target"] == "layer4")].set_index("model")
    rows = []
    for m in t.index:
        p = TABLE1[m]
        rows.append(
            {
                "model": RESNETS[m],
                "Acc@5 paper": p["acc5"],
                "Acc@5 ours": t.loc[m, "acc5"],
                "TRF paper": p["trf"],
                "TRF ours": int(t.loc[m, "trf"]),
                "σx paper": p["sigma_x"],
                "σx ours": w.loc[m, "sigma_x"] if m in w.index else np.nan,
                "σy paper": p["sigma_y"],
                "σy ours": w.loc[m, "sigma_y"] if m in w.index else np.nan,
                "R² paper": p["r2"],
                "R² ours": w.loc[m, "r2"] if m in w.index else np.nan,
            }
        )
    return pd.DataFrame(rows)


def sigma_by_depth(erf: Result, target: str = "layer4") -> pd.DataFrame:
    """Mean ERF sigma per model and kind (structural / weighted), with depth and the paper's sigma."""
    e = erf.tables["erf"]
    e = e[e["target"] == target].assign(sigma=mean_sigma)
    wide = e.pivot_table(index="model", columns="kind", values="sigma").reset_index()
    wide["depth"] = wide["model"].map(DEPTH)
    wide["paper σ (Table 1)"] = wide["model"].map(lambda m: mean_sigma(TABLE1[m]))
    wide["label"] = wide["model"].map(RESNETS)
    return wide.sort_values(["depth", "model"]).reset_index(drop=True)


def table3(census: Result, classification: Result, *extra: Result) -> pd.DataFrame:
    """Table 3 compared like for like: each method's L1 as a ratio to vanilla's, for the paper (raw
    L1), the structural ERF (peak-normalised) and the from-scratch models (raw-sum L1, seed 0)."""
    c = census.tables["census"].set_index("model")
    runs = pd.concat([classification.tables["runs"]] + [e.tables["runs"] for e in extra], ignore_index=True)
    trained = runs[runs["seed"] == 0].pivot_table(index="arch", columns="method", values="L1_raw")
    rows = []
    for m, short in SHORT.items():
        row = {"model": short}
        for method, label in (("kp", "KP"), ("noise", "noise"), ("blurpool", "AA")):
            row[f"paper {label}/vanilla"] = TABLE3.loc[method, short] / TABLE3.loc["vanilla", short]
        row["structural KP/vanilla"] = c.loc[m, "kp_L1"] / c.loc[m, "L1"]
        for method, label in (("kp", "KP"), ("noise", "noise"), ("blurpool", "AA")):
            has = m in trained.index and method in trained.columns and not np.isnan(trained.loc[m].get(method, np.nan))
            row[f"trained {label}/vanilla"] = trained.loc[m, method] / trained.loc[m, "vanilla"] if has else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def table4(classification: Result) -> pd.DataFrame:
    """Table 4 analogue: test accuracy before vs after KP over seeds (ours), paper beside."""
    runs = classification.tables["runs"]
    rows = []
    for arch, g in runs.groupby("arch"):
        a, b = 100 * g[g["method"] == "vanilla"]["test_acc"], 100 * g[g["method"] == "kp"]["test_acc"]
        e = paired(g.assign(acc=100 * g["test_acc"]), "acc", log=False)  # paired by seed, as the claim
        rows.append(
            {
                "model": f"{RESNETS[arch]} (ours)",
                "before KP": f"{a.mean():.2f} ± {a.std():.2f}",
                "after KP": f"{b.mean():.2f} ± {b.std():.2f}",
                "diff": round(b.mean() - a.mean(), 2),
                "runs": f"{len(a)} / {len(b)}",
                "paired diff [95% CI]": f"{e.mean:+.2f} [{e.lo:+.2f}, {e.hi:+.2f}]",
                "paired p": round(e.p, 3),
            }
        )
    for m, r in TABLE4.iterrows():
        rows.append(
            {
                "model": f"{RESNETS[m]} (paper)",
                "before KP": f"{r['before']:.2f}",
                "after KP": f"{r['after']:.2f}",
                "diff": r["diff"],
                "runs": "3 / 3",
                "paired p": np.nan,
            }
        )
    return pd.DataFrame(rows)


def theorem1_fit(classification: Result) -> pd.DataFrame:
    """Per method and seed: R^2 of MD against R_XY, std and coefficient of variation over the 25 pixels."""
    f = theorem1_fits(classification.tables["theorem1"], by=("arch", "method", "seed"))
    columns = {
        "r2": "R² (MD ~ R)",
        "std_R": "std(R_XY)",
        "std_MD": "std(MD)",
        "cv_R": "CV(R_XY)",
        "cv_MD": "CV(MD)",
    }
    return f[["arch", "method", "seed", *columns]].rename(columns=columns)


def _times(g: pd.DataFrame, variant: str) -> pd.Series:
    """A variant's first epoch above 90% per seed, ``inf`` where it never got there (censored)."""
    v = g[g["variant"] == variant].set_index("seed").sort_index()
    return v["first_epoch_90"].where(v["reached"], np.inf)


def table6(micro: Result) -> pd.DataFrame:
    """Table 6 analogue: first epoch with test accuracy > 90%, mean ± std over seeds, paper beside."""
    runs = micro.tables["runs"]
    rows = []
    for arch, g in runs.groupby("arch"):
        a = g[g["variant"] == "vanilla"]["first_epoch_90"]
        b = g[g["variant"] == "kp"]["first_epoch_90"]
        e = paired(g, "first_epoch_90", log=False, by="variant")  # paired by seed, as the claim
        rows.append(
            {
                "model": f"{RESNETS[arch]} (ours)",
                "before KP": f"{a.mean():.1f} ± {a.std():.1f}",
                "after KP": f"{b.mean():.1f} ± {b.std():.1f}",
                "diff": round(b.mean() - a.mean(), 1),
                "never reached (before / after)": f"{int((~g[g['variant'] == 'vanilla']['reached']).sum())} / "
                f"{int((~g[g['variant'] == 'kp']['reached']).sum())}",
                "restricted-mean diff [95% CI]": f"{e.mean:+.1f} [{e.lo:+.1f}, {e.hi:+.1f}]",
                "p (exact rank test, never tied at the top; uncorrected)": paired_rank_test(
                    *(_times(g, v) for v in ("kp", "vanilla"))
                ),
            }
        )
    for m, r in TABLE6.iterrows():
        rows.append(
            {
                "model": f"{RESNETS[m]} (paper)",
                "before KP": f"{r['before']:.1f}",
                "after KP": f"{r['after']:.1f}",
                "diff": r["diff"],
            }
        )
    return pd.DataFrame(rows)


def census_reasons(census: pd.DataFrame) -> str:
    """The distinct reasons a census gives for the models it does not analyse, each with its count."""
    why = census.loc[census["status"] != "analysed", "status"].astype(str).str.removeprefix("excluded: ")
    return "; ".join(f"{reason} ({n})" for reason, n in why.value_counts().items()) or "none"

