"""Sentences the chapters glue into their prose, each computed from a result (so that a rerun with
other numbers never leaves a sentence that contradicts the table beside it)."""

from __future__ import annotations

import pandas as pd

from ..claims.rules.finetuned import kp_took_effect
from ..pipeline.results import Result


def pilot_reading(kp_finetune: Result) -> str:
    """What the pilot's record says about the task the config fixes, and which task the pilot's own
    rule (the first in the accuracy band) picks on this record."""
    c = kp_finetune.provenance["config"]
    pilot = kp_finetune.tables["pilot"]
    lo, hi = (round(100 * v) for v in c["accuracy_band"])
    used = pilot[pilot["task"]].iloc[0]
    text = (
        f"the config fixes crops of {used.crop_area_min:g}-{used.crop_area_max:g} of a photograph's area, on which "
        f"the pilot's vanilla reached {100 * used.vanilla_test_acc:.1f}%, "
        + (f"inside the {lo}-{hi}% band" if used.in_band else f"outside the {lo}-{hi}% band")
    )
    chosen = pilot[pilot["chosen"]]
    if not chosen.empty and not bool(chosen.iloc[0]["task"]):
        ch = chosen.iloc[0]
        text += (
            f"; on this record the pilot's rule would pick crops of {ch.crop_area_min:g}-{ch.crop_area_max:g} "
            f"({100 * ch.vanilla_test_acc:.1f}%). The task was fixed before this run, from an earlier pilot, and is "
            "kept so that the rules judge the task they were written for"
        )
    return text + "."


def kp_gate_reading(kp_finetune: Result) -> str:
    """Whether KP took effect in this result, with the measured shares: the sentence the KP claims state."""
    return kp_took_effect({"kp_finetune": kp_finetune}).text


def scratch_reading(classification: Result, imbalance_archs: Result) -> str:
    """The from-scratch runs' size: seeds per method and epochs, from the results."""
    parts = []
    for res in (classification, imbalance_archs):
        runs, c = res.tables["runs"], res.provenance["config"]
        seeds = runs.groupby("method")["seed"].nunique()
        per = ", ".join(f"{m} {seeds[m]}" for m in seeds.index)
        archs = ", ".join(c["archs"])
        parts.append(f"{archs}: {c['epochs']} epochs, seeds per method {per}")
    return "; ".join(parts)


def blurpool_reading(kp_finetune: Result) -> str:
    """BlurPool against KP on the fine-tuned Lite0, as a finding: both accuracies, and KP/BlurPool of
    the peak-normalised L1 with its Bonferroni 97.5% CI (the kp-smoother rule's contrast)."""
    import numpy as np

    from ..claims.judging.contrasts import contrast
    from ..claims.judging.verdicts import bonferroni_level

    runs = kp_finetune.tables["runs"]
    acc = runs.groupby("method")["test_acc"].mean() * 100
    e = contrast(runs, "L1", "kp", "blurpool", level=bonferroni_level(2))
    flatter = "BlurPool" if e.lo > 0 else "KP" if e.hi < 0 else "neither, at this precision,"
    return (
        f"BlurPool reaches {acc['blurpool']:.1f}% against vanilla's {acc['vanilla']:.1f}% and KP's "
        f"{acc['kp']:.1f}%, and {flatter} leaves the flatter output ERF: KP/BlurPool peak-normalised L1 "
        f"x{np.exp(e.mean):.2f} [97.5% CI {np.exp(e.lo):.2f}, {np.exp(e.hi):.2f}] over {e.n} paired seeds"
    )


def growth_reading(growth: Result) -> str:
    """What the growth curve says, as its claim (kp-fills-in-paper) states it: the verdict and its value."""
    from ..claims import CLAIMS, evaluate

    row = next(c for c in CLAIMS if c.claim_id == "kp-fills-in-paper")
    out = evaluate(row, {"kp_growth": growth})
    return f"{out.ours}: *{out.verdict}*"


def shown_seed_reading(kp_finetune: Result, seed: int = 0) -> str:
    """Where the seed whose maps a figure shows stands among all seeds on KP/vanilla lattice ratio
    (1st: the most favourable to KP), against the paired geometric mean, and whether KP took effect
    in the run: a figure of one seed never passes for a typical one."""
    import numpy as np

    w = kp_finetune.tables["runs"].pivot_table(index="seed", columns="method", values="lattice").dropna(
        subset=["kp", "vanilla"]
    )
    r = (w["kp"] / w["vanilla"]).sort_values()
    rank = int(np.flatnonzero(r.index == seed)[0]) + 1
    kp = kp_took_effect({"kp_finetune": kp_finetune})
    return (
        f"the maps are seed {seed}'s, whose KP/vanilla lattice ratio x{r.loc[seed]:.2f} is the "
        f"{_ordinal(rank)} most favourable to KP of {len(r)} seeds (paired geometric mean "
        f"x{float(np.exp(np.log(r).mean())):.2f}); {kp.text.split(': its padded')[0]}"
    )


def median_seed(table: pd.DataFrame, method: str, column: str) -> int:
    """The seed of ``method`` whose ``column`` is the median over seeds (the lower middle one for an
    even count): the seed a one-seed figure shows, so that it is typical, not the most favourable."""
    d = table[table["method"] == method].sort_values([column, "seed"])
    return int(d["seed"].iloc[(len(d) - 1) // 2])


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def kp_known(table: pd.DataFrame, chapter: str) -> str:
    """What the chapter's claims table says about kernel padding where it was in effect (Markdown
    bullets, computed): every such row with its verdict and value, then whether the paper's own KP
    (zero-initialised, fine-tuned) filled in, from the kp-fills-in rows."""

    from ..claims.judging.verdicts import REASONS
    from ..claims.rules.ineffect import COMMAND as INEFFECT_COMMAND

    t = table[table["chapter"] == chapter]
    lines = []
    for r in t[t["kp_in_effect"].isin(["by construction", "took effect"])].itertuples():
        why = f" ({REASONS.get(r.reason, r.reason)})" if isinstance(r.reason, str) and r.reason else ""
        lines.append(f"- *{r.statement}*: **{r.verdict}**{why}; {str(r.ours).split('; not testable')[0]}")
    waiting = t[t["claim_id"].str.endswith("-ineffect") & (t["verdict"] == "not run at this scale")]
    if len(waiting):
        lines.append(
            f"- *KP in effect from the first step on the pretrained Lite0* ({len(waiting)} rows): registered, not "
            f"run yet: `{INEFFECT_COMMAND}`"
        )
    fills = table[table["claim_id"].str.startswith("kp-fills-in")]
    for r in fills.itertuples():
        lines.append(f"- *{r.statement}* ({r.scale} scale): **{r.verdict}**; {r.ours}")
    return "\n".join(lines) if lines else "- nothing yet: no result where KP was in effect is cached"


__all__ = [
    "pilot_reading", "kp_gate_reading", "scratch_reading", "blurpool_reading", "growth_reading", "shown_seed_reading",
    "median_seed",
    "kp_known",
]


def peak_offset(res: Result, key: str) -> tuple[int, int]:
    """How far (rows, columns) the peak of the cached map ``key`` lies from the map's centre, in px
    (negative: up, left)."""
    import numpy as np

    a = res.arrays[key].astype(float)
    i, j = np.unravel_index(int(np.argmax(a)), a.shape)
    return int(i - a.shape[0] // 2), int(j - a.shape[1] // 2)


def off_centre_reading(res: Result, model: str, target: str, kind: str = "structural") -> str:
    """Why an ERF map's peak is not at the image's centre, from the map and the architecture: the
    ERF of a feature map is taken at its middle position (``H // 2``, the paper's [3, 3] of 7x7), whose
    receptive field is centred where the stride grid puts it, not at the centre of an even-sized input.
    (Not for the output: a logit pools every position.)"""
    from ...receptive_field import theoretical_rf
    from ..lab.models import torchvision_model

    if target == "output":
        raise ValueError("the output's ERF pools every position of the last map: it has no middle position")
    size = int(res.provenance["config"]["size"])
    h, w = res.arrays[f"{model}/{target}/{kind}"].shape
    rows, cols = peak_offset(res, f"{model}/{target}/{kind}")
    peak = ((size - h) // 2 + h // 2 + rows, (size - w) // 2 + w // 2 + cols)  # the cached map is a central crop
    trf = theoretical_rf(torchvision_model(model), input_size=size, target=target)
    first = -trf.padding + (trf.size - 1) / 2  # the centre of position 0's receptive field
    n = -(-size // trf.stride)
    unit = first + (n // 2) * trf.stride
    return (
        f"the {model} {target} maps peak at pixel ({peak[0]}, {peak[1]}) of the {size} px input, not at its centre "
        f"({(size - 1) / 2:g}, {(size - 1) / 2:g}), because the ERF is taken at the middle position ({n // 2} of "
        f"{n}) of the {target} map, whose receptive field is centred at pixel ({unit:g}, {unit:g}): positions sit "
        f"every {trf.stride} px from pixel {first:g}"
    )
