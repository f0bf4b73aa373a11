"""Perturbation measurements: Theorem 1's mean output change (MD), 1-pixel translation, and a
one-pixel attack on strong vs weak pixels."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...fitting import lattice_phase_means
from .training import logits


def mean_output_change(
    model: nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor,
    pixels: list[tuple[int, int]],
    eps: float = 0.1,
    batch_size: int = 128,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """MD at each pixel: mean over images of |y_label(I + eps at that pixel, all 3 channels) - y_label(I)|."""
    base = logits(model, x, batch_size, device).gather(1, labels.view(-1, 1)).squeeze(1)
    out = np.empty(len(pixels))
    for k, (r, c) in enumerate(pixels):
        xp = x.clone()
        xp[:, :, r, c] += eps
        y = logits(model, xp, batch_size, device).gather(1, labels.view(-1, 1)).squeeze(1)
        out[k] = (y - base).abs().mean().item()
    return out


def translation_change(
    model: nn.Module, x_big: torch.Tensor, shift: int = 1, batch_size: int = 128, device: torch.device | str = "cpu"
) -> float:
    """Mean |y(I[:s, :s]) - y(I[shift:, shift:])| over images and logits (the authors' translation test);
    ``x_big`` holds images ``shift`` pixels larger than the model's input."""
    s = x_big.shape[-1] - shift
    a = logits(model, x_big[:, :, :s, :s].contiguous(), batch_size, device)
    b = logits(model, x_big[:, :, shift : shift + s, shift : shift + s].contiguous(), batch_size, device)
    return float((a - b).abs().mean())


def one_pixel_attack(
    model: nn.Module,
    x: torch.Tensor,
    pixels: list[tuple[int, int]],
    eps_grid: list[float],
    batch_size: int = 128,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Success rate (argmax flips) of adding +-eps to all 3 channels of one pixel, for each pixel
    (rows) and eps (columns). Either sign counts (a scalar version of the authors' attack)."""
    pred = logits(model, x, batch_size, device).argmax(1)
    rates = np.zeros((len(pixels), len(eps_grid)))
    for k, (r, c) in enumerate(pixels):
        for e, eps in enumerate(eps_grid):
            flipped = torch.zeros(len(x), dtype=torch.bool)
            for sign in (1.0, -1.0):
                xp = x.clone()
                xp[:, :, r, c] += sign * eps
                flipped |= logits(model, xp, batch_size, device).argmax(1) != pred
            rates[k, e] = flipped.float().mean().item()
    return rates


def lattice_pixels(R: np.ndarray, n: int = 4, period: int = 2) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``n`` (at most 4) strong and ``n`` weak pixels next to the centre: on the lattice phases of R
    with the highest and the lowest mean (:func:`~deadpixels.fitting.lattice_phase_means`)."""
    means = lattice_phase_means(R, period)
    strong = np.unravel_index(np.argmax(means), means.shape)
    weak = np.unravel_index(np.argmin(means), means.shape)
    h, w = R.shape
    cy, cx = (h // 2) // period * period, (w // 2) // period * period
    offsets = [(0, 0), (0, 1), (1, 0), (1, 1)][:n]
    return (
        [(cy + int(strong[0]) + period * a, cx + int(strong[1]) + period * b) for a, b in offsets],
        [(cy + int(weak[0]) + period * a, cx + int(weak[1]) + period * b) for a, b in offsets],
    )
