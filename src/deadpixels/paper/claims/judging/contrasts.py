"""Paired contrasts between fine-tuning methods over seeds, the comparator gate, and the evidence's
stated size: what every rule on fine-tuned models shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...lab.models import RESNETS
from ...pipeline.results import Result
from .outcome import Contrast
from .stats import Effect, log_ratio_effect, paired_effect
from .verdicts import Region

#: A comparator (KP, noise training, BlurPool) is valid when its mean clean test accuracy is at
#: most this many points below vanilla's: a weak classifier has small gradients, hence a small raw L1.
GATE_POINTS = 3.0
LABEL = {"vanilla": "vanilla", "kp": "KP", "noise": "noise training", "blurpool": "BlurPool"}


def gate(runs: pd.DataFrame, methods: tuple[str, ...]) -> str | None:
    """Why a contrast is not testable (a method of ``methods`` below vanilla by more than
    :data:`GATE_POINTS` of mean test accuracy), or None when every gate passes."""
    acc = runs.groupby("method")["test_acc"].mean() * 100
    failed = [m for m in methods if acc["vanilla"] - acc[m] > GATE_POINTS]
    if not failed:
        return None
    return "; ".join(
        f"{LABEL[m]} reaches {acc[m]:.1f}% against vanilla's {acc['vanilla']:.1f}% (gate: within {GATE_POINTS:g} "
        "points)"
        for m in failed
    )


def contrast(runs: pd.DataFrame, metric: str, a: str, b: str, log: bool = True, level: float = 0.95) -> Effect:
    """Paired effect over seeds of ``metric``, method ``a`` against ``b`` (log ratio or difference)."""
    w = runs.pivot_table(index="seed", columns="method", values=metric).dropna(subset=[a, b])
    return log_ratio_effect(w[a], w[b], level) if log else paired_effect(w[a] - w[b], level)


def judged(
    name: str, e: Effect, paper: tuple[float, ...] = (), region: Region | None = None, log: bool = True
) -> Contrast:
    """The :class:`~.outcome.Contrast` of effect ``e``; ``paper``: the paper's reported values as
    ratios (``log``) or differences, converted to the contrast's scale here."""
    values = tuple(float(np.log(v)) if log else float(v) for v in paper)
    return Contrast(name, e.mean, e.lo, e.hi, e.p, e.n, values, region, e.level, log)


def ratio(e: Effect) -> str:
    return f"x{np.exp(e.mean):.2f} [{np.exp(e.lo):.2f}, {np.exp(e.hi):.2f}]"


def size(r: Result) -> str:
    """The evidence's protocol and size, from the result's own config (and, for a partial run, the
    seeds each method reached)."""
    c = r.provenance["config"]
    steps = c["epochs"] * -(-c["n_train"] // c["batch_size"])
    text = (
        f"Lite0 fine-tuned {steps:,} SGD steps ({c['epochs']} epochs of {c['n_train']:,} images, batch "
        f"{c['batch_size']}), {c['size']} px, {len(c['seeds'])} paired seeds, {c['n_test']:,} test images"
    )
    if r.provenance.get("complete") is False:
        seeds = r.tables["runs"].groupby("method")["seed"].nunique()
        text += "; partial run, seeds reached: " + ", ".join(f"{LABEL[m]} {seeds.get(m, 0)}" for m in LABEL)
    return text


def scratch_size(r: Result) -> str:
    """The size of a from-scratch experiment (classification, imbalance_archs, micro_object), from its config."""
    c = r.provenance["config"]
    archs = ", ".join(RESNETS.get(a, a) for a in c["archs"])
    seeds = len(c["seeds"]) + len(c.get("extra_seeds", []))
    return (
        f"{archs} at {c['width']:g} width trained from scratch: {c['epochs']} epochs of {c['n_train']:,} images, "
        f"{c['size']} px, {seeds} seed{'s' if seeds > 1 else ''} at most per method"
    )


def erf_size(r: Result) -> str:
    """The size of the ImageNet-trained ERF measurement (erf_trained), from its config."""
    c = r.provenance["config"]
    return f"EfficientNet-Lite0/1/2, ImageNet weights, ERF on {c['n_images']} images at {c['size']} px, bootstrap CIs"


__all__ = ["GATE_POINTS", "LABEL", "gate", "contrast", "judged", "ratio", "size", "scratch_size", "erf_size"]
