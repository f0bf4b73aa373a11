"""Measurements shared by the experiments: one ERF map's numbers, its compact cached copy, and
BatchNorm calibration of randomly initialised networks."""

from __future__ import annotations

import numpy as np
import torch

from ...fitting import fit_gaussian, imbalance_indices, lattice_ratio

#: How ERF maps are stored in the cache (small, and float16 stays in range after dividing by the peak).
MAP_STORAGE = "central 96x96 crop, divided by the map's peak, float16"
#: Half the side of the stored crop (see :data:`MAP_STORAGE`).
MAP_HALF_SIDE = 48


def compact(R: np.ndarray, half: int = MAP_HALF_SIDE) -> np.ndarray:
    """A small copy of an ERF map for the cache (see :data:`MAP_STORAGE`). Dividing by the peak first
    keeps float16 in range: structural ERFs of deep residual networks exceed 65504."""
    h, w = R.shape
    c = min(half, h // 2, w // 2)
    peak = float(R.max())
    crop_map = R[h // 2 - c : h // 2 + c, w // 2 - c : w // 2 + c] / (peak if peak > 0 else 1.0)
    return crop_map.astype(np.float16)


def measure(R: np.ndarray, n_images: int | None = None, fit: bool = True) -> dict[str, float]:
    """Gaussian fit (sigma_x, sigma_y, r2), imbalance indices and lattice ratio of one ERF map.

    ``L1``/``L2`` are computed on R scaled to a peak of 1. Where ``n_images`` is given (R is then
    the mean over that many images), ``L1_raw``/``L2_raw`` are computed, as in the authors' code, on
    the raw sum over images of the per-image maps (R * n_images), without normalisation. A failed
    (or skipped) fit gives NaN sigmas rather than an error.
    """
    row: dict[str, float] = {"sigma_x": np.nan, "sigma_y": np.nan, "r2": np.nan}
    if fit:
        try:
            g = fit_gaussian(R)
            row.update(sigma_x=g.sigma_x, sigma_y=g.sigma_y, r2=g.r2)
        except (RuntimeError, ValueError):
            pass
    l1, l2 = imbalance_indices(R)
    row.update(L1=l1, L2=l2, lattice=lattice_ratio(R))
    if n_images is not None:
        l1_raw, l2_raw = imbalance_indices(R * n_images, normalise=None)
        row.update(L1_raw=l1_raw, L2_raw=l2_raw)
    return row


@torch.no_grad()
def calibrate_batchnorm(
    model: torch.nn.Module, images: torch.Tensor, device: torch.device | str = "cpu", batch_size: int = 8
) -> None:
    """Set BatchNorm running statistics from ``images`` (train-mode forward, no gradients): a
    randomly initialised network gets realistic activation scales in eval mode, and a network
    trained on noisy inputs gets the statistics of clean ones. Leaves the model in eval mode, with
    each BatchNorm's momentum as it was."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    for i in range(0, len(images), batch_size):
        model(images[i : i + batch_size].to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()


__all__ = [
    "MAP_STORAGE",
    "compact",
    "measure",
    "calibrate_batchnorm",
]
