"""Perturbation measurements on networks whose answer is known exactly."""

import numpy as np
import torch
from torch import nn

from deadpixels import effective_rf
from deadpixels.paper.lab.perturbation import lattice_pixels, mean_output_change, translation_change


def _linear(size=8, classes=3):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * size * size, classes)).double()
    return model, model[1].weight.detach().view(classes, 3, size, size)


def test_theorem1_is_exact_for_a_linear_network():
    """For y = w . I, adding eps to all 3 channels of pixel (r, c) changes the label's logit by
    eps * sum_c w[label, c, r, c]: MD is eps times its absolute value, image by image."""
    model, w = _linear()
    x = torch.randn(6, 3, 8, 8, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    pixels = [(0, 0), (3, 4), (7, 7)]
    md = mean_output_change(model, x, labels, pixels, eps=0.1)
    expected = [0.1 * w[labels, :, r, c].sum(dim=1).abs().mean().item() for r, c in pixels]
    np.testing.assert_allclose(md, expected, rtol=1e-10)
    # and R_XY, the ERF of the output, is the channel-mean of the same weights (ReLU'd): Theorem 1's link
    R = effective_rf(
        model, x[:3], target="output", labels=torch.tensor([0, 0, 0]), progress=False, fold_batchnorm=False
    )
    np.testing.assert_allclose(R, torch.relu(w[0].mean(0)).numpy(), rtol=1e-10)


def test_translation_of_a_shift_invariant_model_is_zero():
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()).double()
    x = torch.ones(2, 3, 9, 9, dtype=torch.float64)
    assert translation_change(model, x) == 0.0


def test_lattice_pixels_pick_the_strong_and_weak_phases():
    R = np.ones((16, 16))
    R[1::2, 0::2] = 5.0  # odd rows, even columns are strong
    R[0::2, 1::2] = 0.5  # even rows, odd columns are weak
    strong, weak = lattice_pixels(R)
    assert all(r % 2 == 1 and c % 2 == 0 for r, c in strong)
    assert all(r % 2 == 0 and c % 2 == 1 for r, c in weak)
    assert all(abs(r - 8) <= 3 and abs(c - 8) <= 3 for r, c in strong + weak)
