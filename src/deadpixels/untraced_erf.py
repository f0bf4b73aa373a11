"""The structural ERF of a CNN that torch.fx cannot trace, from its module tree: a weight-free copy
(:func:`~deadpixels.linearised.linearise_modules`) and autograd, refused where its answer depends on
rounding."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .erf import channel_mean_at
from .graph import input_channels
from .linearised import linearise_modules
from .utils import input_pair


def untraced_structural_erf(model: nn.Module, input_size: int | tuple[int, int] = 224) -> np.ndarray:
    """The structural output ERF of a model torch.fx cannot trace, from its module tree and autograd
    (:func:`~deadpixels.linearised.linearise_modules`): the input gradient of its first output for
    an all-ones float64 input. Gates are not held constant here (their term is flat, see
    :mod:`deadpixels.gates`), and no TRF comes with it.

    A module tree can keep parts that are not made weight-free (attention's softmax inside a custom
    block): on a weight-free copy their inputs grow with depth and the map can become a function of
    rounding (ConViT's differed by 1.3% of its peak between AVX512 and scalar float64 kernels). Such a
    map is refused. The test: the map is computed again for an input perturbed by
    :data:`PROBE_NOISE` (relative, seeded float64 noise, the same on every CPU), a stand-in for
    rounding a million times larger than float64's; where the map moves by more than
    :data:`CONDITIONING_TOLERANCE` of its peak, float64 rounding alone can move it visibly, and the
    answer depends on the arithmetic, not on the architecture. (A weight-free copy that is linear
    does not move at all.)"""
    root = linearise_modules(model).double()
    shape = (1, input_channels(model), *input_pair(input_size))
    exact = _input_gradient(root, torch.ones(shape, dtype=torch.float64))
    noise = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    probe = _input_gradient(root, 1 + PROBE_NOISE * noise)
    peak = float(exact.max())
    moved = float(np.abs(exact - probe).max()) / peak if peak > 0 else 0.0
    if not np.isfinite(moved) or moved > CONDITIONING_TOLERANCE:
        bound = max((b for b in (1.0, 0.1, 0.01) if moved > b), default=CONDITIONING_TOLERANCE)
        raise ValueError(  # the bound, not the measured share: that share is itself a function of rounding
            f"its weight-free copy is numerically unstable: an input change of {PROBE_NOISE:g} (relative) moves the "
            f"map by more than {100 * bound:g}% of its peak (allowed {100 * CONDITIONING_TOLERANCE:g}%), so the map "
            "depends on rounding, not on the architecture"
        )
    return exact


#: The relative input perturbation of the conditioning probe, and how far (a share of the peak) it
#: may move a well-conditioned structural map.
PROBE_NOISE = 1e-10
CONDITIONING_TOLERANCE = 1e-3


def _input_gradient(root: nn.Module, x: torch.Tensor) -> np.ndarray:
    x = x.clone().requires_grad_(True)
    try:
        out = root(x)
    except Exception as exc:  # noqa: BLE001 - the model's own forward (e.g. it reads a replaced module, a missing key)
        raise ValueError(f"its weight-free copy does not run ({type(exc).__name__}: {exc})") from exc
    first = channel_mean_at(out, "center", "output") if out.dim() == 4 else out.reshape(1, -1)[:, 0]
    (grad,) = torch.autograd.grad(first.sum(), x)
    return F.relu(grad.mean(dim=1))[0].cpu().numpy()


__all__ = ["untraced_structural_erf", "PROBE_NOISE", "CONDITIONING_TOLERANCE"]
