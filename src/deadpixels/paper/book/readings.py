"""Sentences the chapters glue into their prose, each computed from a result (so that a rerun with
other numbers never leaves a sentence that contradicts the table beside it)."""

from __future__ import annotations

from ..claims.finetuned import kp_took_effect
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


__all__ = ["pilot_reading", "kp_gate_reading", "scratch_reading"]


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
