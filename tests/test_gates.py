"""Squeeze-and-excitation style gates (deadpixels.gates): recognised by the graph's shape whatever
the code that builds them; the TRF reports both facts (global through the gates, and the spatial
path's window); the gate's branch adds exactly a spatially uniform term to the gradient; and on
random-weight nets the spatial path's lattice ratio matches the full autograd ERF's.

Measured (16 Gaussian-noise images, 160 px, torchvision random init, eval mode): the lattice ratio
of the spatial path and of the full gradient differ by 0.02% (mobilenet_v3_small), 0.00%
(efficientnet_b0) and 0.04% (regnet_y_400mf); the maps by at most 0.02% of their peak. The test
below allows 0.5% at 128 px."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

import deadpixels as dp
from deadpixels.linearised import spatial_path

C = 8


class HandSE(nn.Module):
    """A hand-written gate: a mean over space, a bottleneck, a sigmoid, expanded to the map."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(C, 2), nn.Linear(2, C)

    def forward(self, x):
        b, c, _, _ = x.shape
        y = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3)))))).view(b, c, 1, 1)
        return x * y.expand_as(x)


class ECA(nn.Module):
    """Efficient channel attention (timm's EcaModule): a 1-D convolution across channels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        y = x.mean((2, 3)).view(x.shape[0], 1, -1)
        y = self.conv(y).view(x.shape[0], -1, 1, 1)
        return x * y.sigmoid()


class NormGate(nn.Module):
    """A global response normalisation (ConvNeXt-V2's GRN): a norm over space rescales the map."""

    def forward(self, x):
        g = x.norm(p=2, dim=(2, 3), keepdim=True)
        return x + x * (g / (g.mean(dim=1, keepdim=True) + 1e-6))


GATES = {
    "torchvision": lambda: torchvision.ops.SqueezeExcitation(C, 2),
    "hand-written": HandSE,
    "eca": ECA,
    "global norm": NormGate,
}


def net(gate: nn.Module) -> nn.Module:
    """conv 3x3/s2 (odd kernel, even stride) -> gate -> conv 3x3/s2 -> gate -> pool."""
    return nn.Sequential(
        nn.Conv2d(3, C, 3, 2, 1), gate, nn.ReLU(), nn.Conv2d(C, C, 3, 2, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(C, 4),
    )  # fmt: skip


@pytest.mark.parametrize("kind", GATES)
def test_gates_are_recognised_by_shape_and_the_trf_says_both_facts(kind):
    model = net(GATES[kind]())
    plain = net(nn.Identity())
    trf, ref = dp.theoretical_rf(model, 64), dp.theoretical_rf(plain, 64)
    assert trf.is_global and trf.gates == 1 and "gating the map" in trf.reason
    spatial = (trf.spatial.size, trf.spatial.stride, trf.spatial.padding)
    assert spatial == (ref.size, ref.stride, ref.padding) == (7, 4, 3)
    assert "global through 1 gate(s)" in str(trf) and "spatial path: 7 px" in str(trf)
    report = dp.dead_pixel_test(model, 64)
    assert report.analysed and report.gates == 1
    assert report.metrics["lattice"] == pytest.approx(dp.dead_pixel_test(plain, 64).metrics["lattice"], rel=1e-6)


def test_a_product_of_two_maps_is_not_a_gate():
    class Product(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(x)  # a SiLU: pointwise, no mean over space anywhere

    trf = dp.theoretical_rf(net(Product()), 64)
    assert not trf.is_global and trf.gates == 0 and trf.spatial is None


def test_global_pooling_without_a_gate_is_still_global():
    class Broadcast(nn.Module):
        def forward(self, x):
            return x + x.mean((2, 3), keepdim=True)  # the mean is added, not multiplied: no gate

    trf = dp.theoretical_rf(net(Broadcast()), 64)
    assert trf.is_global and trf.spatial is None and "mean" in trf.reason
    assert dp.dead_pixel_test(net(Broadcast()), 64).excluded.startswith("global receptive field")


@pytest.mark.parametrize("kind", ["torchvision", "hand-written"])
def test_the_gate_branch_adds_a_spatially_uniform_term(kind):
    """d y_q / d x_p = g [p = q] + x_q g'(m) / HW: the full gradient minus the frozen one is the
    same at every input position p (per input channel), to float64 rounding."""
    torch.manual_seed(0)
    gate = GATES[kind]().double().eval()
    x = torch.randn(1, C, 9, 9, dtype=torch.float64, requires_grad=True)
    frozen = spatial_path(gate, 9, in_channels=C).module.double()

    def grad(m):
        (g,) = torch.autograd.grad(m(x)[0, :, 4, 4].sum(), x)
        return g[0]

    diff = grad(gate) - grad(frozen)
    assert diff.abs().max() > 1e-6  # the branch does contribute
    spread = (diff - diff.mean(dim=(1, 2), keepdim=True)).abs().max()
    assert spread < 1e-12 * diff.abs().max().clamp(min=1)


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "regnet_y_400mf"])
def test_spatial_path_lattice_matches_the_full_autograd_erf(name):
    torch.manual_seed(0)
    model = torchvision.models.get_model(name).eval()
    x = torch.randn(8, 3, 128, 128)
    trf = dp.theoretical_rf(model, 128)
    assert trf.gates > 0
    full = dp.effective_rf(model, x, target=trf.target, progress=False)
    frozen = dp.effective_rf(spatial_path(model, 128).module, x, target=trf.target, progress=False)
    assert dp.lattice_ratio(frozen) == pytest.approx(dp.lattice_ratio(full), rel=5e-3)
    assert np.abs(full - frozen).max() <= 5e-3 * full.max()
    assert model.training is False and all(p.grad is None for p in model.parameters())
