"""Did kernel padding take effect? A claim about KP is judged only where fine-tuning moved the
zero-initialised padded entries far enough to change what the layer computes; otherwise the KP
model is still (nearly) the vanilla model it started as, and the evidence cannot address the claim.

History, said plainly: this gate is not pre-registered. It was written on :data:`WRITTEN`, after the
fine-tuned results it judges (:data:`DATA_SEEN`) had been computed and their padded-entry shares
shown in chapter 4. It moved verdicts only to "not testable", none toward "reproduced"; claims.csv's
``ungated_verdict`` keeps, beside each such row, the verdict its rule gives without the gate.

The criterion, derived from the paper's own mechanism (Fig. 2: an odd kernel ``k`` with stride 2
covers alternate pixels with (k+1)/2 and (k-1)/2 windows per axis; padding it to ``k+1`` gives the
deficient pixels one more tap):

- the measured ``padded_share`` s of a layer is the norm of its padded row and column over the norm
  of its whole kernel; with 2k+1 padded and k^2 original entries, the padded taps' RMS amplitude
  relative to the original taps is ``r = k / sqrt(2k + 1) * s / sqrt(1 - s^2)`` (r = 1: as large as
  the others);
- per axis the deficient pixels then receive (k-1)/2 + r taps against (k+1)/2, so the fraction of
  the log coverage imbalance KP removes is ``f = log((k-1+2r)/(k-1)) / log((k+1)/(k-1))`` (for k = 1,
  ``f = r``), capped at 1;
- KP took effect when the mean of ``f`` over the padded layers and seeds is at least
  :data:`~.verdicts.MARGIN`, one half.

The share model assumes the original taps are where zero-init KP left them. Where a result also
records ``coverage_f`` (:func:`deadpixels.kernel_padding.coverage_balance`, the imbalance removed,
measured on the trained kernels' weights; kp_ineffect's spread kernels, whose original taps moved),
that measurement is f.

Why one half, in what it predicts: if the ERF's checkerboard follows the coverage, a KP that removes
a fraction f of the log coverage imbalance leaves a KP/vanilla lattice ratio of ``L**-f`` for
vanilla's lattice ratio L, and shrinks the checkerboard part of L1 by the same fraction. f = 1/2 is
where that prediction first reaches the kp-lattice rule's own region (KP removes at least half of
vanilla's log lattice ratio), and where the checkerboard part of L1 halves, the size of the paper's
typical effect (its KP/vanilla L1 ratios x0.33-0.65, geometric mean x0.50). Below it, even if the
model holds, KP cannot show the paper's effect, so a null there is no evidence against the paper.

It is a model of the coverage, not of the trained function; it is stated with every KP row. KP
models trained from scratch (random even kernels) take effect by construction."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from ....kernel_padding import find_odd_stride_layers
from ...lab.models import build_model
from .verdicts import MARGIN

#: When the gate was written, and the results it judges that existed then (the history above).
WRITTEN = "2026-12-03 (commit 34ca72b)"
DATA_SEEN = "2026-11-26: kp_finetune at cpu scale (059d431) and at gpu scale (f8d171e)"
#: The states of the KP gate, as claims.csv's ``kp_in_effect`` column records them.
KP_STATES = ("took effect", "did not take effect", "not measured", "by construction")


class KPEffect(NamedTuple):
    """Whether kernel padding took effect (``took``: a KP claim is judged only then), the sentence
    that says how far, and the gate's state (one of :data:`KP_STATES`) for machines."""

    took: bool
    text: str
    state: str


BY_CONSTRUCTION = KPEffect(
    True,
    "KP in effect by construction (its even kernels are randomly initialised and trained from scratch)",
    "by construction",
)


@lru_cache(maxsize=4)
def kernel_sizes(model: str) -> dict[str, int]:
    """The original kernel size of each odd-stride convolution of ``model`` (square kernels)."""
    return {
        layer.name: int(layer.kernel[0]) for layer in find_odd_stride_layers(build_model(model)) if layer.kind == "conv"
    }


def relative_amplitude(share: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The padded taps' RMS over the original taps', from the padded entries' norm share."""
    s = np.clip(np.asarray(share, dtype=float), 0.0, 1 - 1e-12)
    return k / np.sqrt(2 * k + 1) * s / np.sqrt(1 - s**2)


def removed_fraction(share: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The fraction of the window-coverage imbalance the padded taps remove (see the module)."""
    k = np.asarray(k, dtype=float)
    r = relative_amplitude(share, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(k > 1, np.log((k - 1 + 2 * r) / (k - 1)) / np.log((k + 1) / (k - 1)), r)
    return np.minimum(f, 1.0)


def kp_effect(padded: pd.DataFrame, model: str) -> KPEffect:
    """Whether KP took effect in ``padded`` (the ``padded`` table: method, seed, layer,
    padded_share) on ``model``, and the sentence that says how far it did."""
    if padded.empty:
        unknown = "KP's padded entries were not measured: whether KP took effect is unknown"
        return KPEffect(False, unknown, "not measured")
    sizes = kernel_sizes(model)
    unknown = sorted(set(padded["layer"]) - set(sizes))
    if unknown:
        raise ValueError(f"padded layers {unknown} are not odd-stride convolutions of {model}")
    k = padded["layer"].map(sizes).to_numpy(dtype=float)
    share = padded["padded_share"].to_numpy(dtype=float)
    layers, seeds = padded["layer"].nunique(), padded["seed"].nunique()
    held = f"{100 * share.min():.1f}-{100 * share.max():.1f}%"
    if "coverage_f" in padded and padded["coverage_f"].notna().all():  # measured on the kernels' weights
        f = padded["coverage_f"].to_numpy(dtype=float)
        how = (
            f"its padded kernels carry {held} of their norms in the added row and column and even out "
            f"{100 * f.mean():.0f}% of the window-coverage imbalance, measured on their weights ("
        )
    else:
        f, r = removed_fraction(share, k), relative_amplitude(share, k)
        how = (
            f"its padded entries hold {held} of their kernels' norms (RMS x{r.min():.2g}-{r.max():.2g} of the "
            f"original entries), enough to remove {100 * f.mean():.0f}% of the window-coverage imbalance ("
        )
    took = bool(f.mean() >= MARGIN)
    text = (
        f"KP {'took' if took else 'did not take'} effect: {how}mean over {layers} layers and {seeds} seeds; needed: "
        f"{100 * MARGIN:.0f}%)"
    )
    return KPEffect(took, text, "took effect" if took else "did not take effect")


__all__ = [
    "WRITTEN",
    "DATA_SEEN",
    "KPEffect",
    "KP_STATES",
    "BY_CONSTRUCTION",
    "kernel_sizes",
    "relative_amplitude",
    "removed_fraction",
    "kp_effect",
]
