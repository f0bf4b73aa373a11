"""The extension point and the probe, as a hostile user would try them (issue 28, 29): a Window
that no sliding window has is refused when it is made; a registered rule that the traced shapes
contradict is refused when the model is traced; the probe's channels come from the model's input,
not from a convolution behind a space-to-depth stem."""

import numpy as np
import pytest
import torch.nn.functional as F
from torch import nn

import deadpixels as dp
from deadpixels.graph import input_channels


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel": 0}, {"kernel": -3}, {"kernel": 2.5}, {"kernel": (3, 3, 3)}, {"kernel": 3, "stride": 0},
     {"kernel": 3, "padding": -1}, {"kernel": 3, "dilation": (1, 0)}, {"kernel": True}, {"kernel": "3"}],
)  # fmt: skip
def test_window_refuses_what_no_window_has(kwargs):
    with pytest.raises(ValueError, match="Window (kernel|stride|padding|dilation) must be"):
        dp.Window(**kwargs)


def test_window_accepts_ints_and_pairs():
    assert dp.Window((3, 5), 2, (1, 2), 1).kernel == (3, 5)


class Halve(nn.Module):
    """A custom layer with control flow torch.fx cannot follow: a 3x3 average at stride 2."""

    def forward(self, x):
        if x.shape[-1] < 0:
            return x
        return F.avg_pool2d(x, 3, 2, 1)


@pytest.mark.parametrize(
    "rule", ["pointwise", dp.Window(3, 1, 1), dp.Window(3, 4, 1)], ids=["pointwise", "stride 1", "stride 4"]
)
def test_a_registered_rule_the_shapes_contradict_is_refused(rule):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Halve(), nn.Conv2d(4, 4, 3))
    dp.register_layer(Halve, rule)
    try:
        refused = r"rule registered for Halve .* cannot map its \(32, 32\) input to the \(16, 16\)"
        with pytest.raises(ValueError, match=refused):
            dp.theoretical_rf(model, 32, target="output")
    finally:
        dp.unregister_layer(Halve)


def test_the_true_rule_is_accepted():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Halve(), nn.Conv2d(4, 4, 3))
    dp.register_layer(Halve, dp.Window(3, 2, 1))
    try:
        assert dp.theoretical_rf(model, 32, target="output").size == 3 + 2 + 2 * 2
    finally:
        dp.unregister_layer(Halve)


class SpaceToDepth(nn.Module):
    """TResNet's stem: 4x4 blocks of pixels become 16x the channels, by reshape and permute."""

    def forward(self, x):
        n, c, h, w = x.shape
        x = x.view(n, c, h // 4, 4, w // 4, 4).permute(0, 3, 5, 1, 2, 4).reshape(n, c * 16, h // 4, w // 4)
        return x


def test_probe_channels_come_from_the_input_not_a_convolution_behind_space_to_depth():
    model = nn.Sequential(SpaceToDepth(), nn.Conv2d(48, 8, 3, padding=1))
    assert input_channels(model) == 3
    model.pretrained_cfg = {"input_size": (1, 224, 224)}  # what a timm model declares wins
    assert input_channels(model) == 1
    plain = nn.Sequential(nn.BatchNorm2d(5), nn.Conv2d(5, 8, 3))
    assert input_channels(plain) == 5  # reached unchanged: the first convolution's in_channels


class PixelUnshuffleByReshape(nn.Module):
    """The same regrouping as nn.PixelUnshuffle(2), written as TResNet writes it."""

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(n, c * 4, h // 2, w // 2)


class Interleave(nn.Module):
    """Rows i, i + H/2 into one position: not a block, so no window describes it."""

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, c, 2, h // 2, 2, w // 2).permute(0, 2, 4, 1, 3, 5).reshape(n, c * 4, h // 2, w // 2)


@pytest.mark.parametrize("regroup", [PixelUnshuffleByReshape(), nn.PixelUnshuffle(2)], ids=["reshape", "module"])
def test_space_to_depth_trf_equals_the_gradient_support(regroup):
    """A 2x2 block at stride 2, then a 3x3 convolution: TRF 2 + 2 * 2 = 6 px at stride 2, and the
    input gradient of an interior position covers exactly that window."""
    model = nn.Sequential(nn.Conv2d(3, 3, 1), regroup, nn.Conv2d(12, 4, 3, padding=1)).double()
    r = dp.theoretical_rf(model, 32, target="output")
    assert (r.size, r.stride, r.padding) == (6, 2, 2)
    S = dp.structural_erf(model, 32, target="output", position=(8, 8))
    rows, cols = np.nonzero(S.sum(1))[0], np.nonzero(S.sum(0))[0]
    top, left = r.center(8, 8)
    assert (rows.min(), rows.max()) == (top - 2.5, top + 2.5) and (cols.min(), cols.max()) == (left - 2.5, left + 2.5)


def test_a_regrouping_without_a_window_is_refused_not_passed_as_pointwise():
    model = nn.Sequential(Interleave(), nn.Conv2d(12, 4, 3))
    with pytest.raises(ValueError, match="not a block space-to-depth"):
        dp.theoretical_rf(model, 32, target="output")


class Star(nn.Module):
    """StarNet's star operation: the product of two branches, in every block."""

    def __init__(self):
        super().__init__()
        self.f1, self.f2, self.g = nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return x + self.g(F.relu(self.f1(x)) * self.f2(x))


def test_products_of_maps_give_a_finite_structural_erf():
    """Twelve star blocks square the linearised values twelve times (about 2**4096): the map was all
    infinite; with each product taken as the mean of its factors it is finite, and odd/even shows."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), *[Star() for _ in range(12)], nn.AdaptiveAvgPool2d(1))
    report = dp.dead_pixel_test(model, 64)
    assert report.analysed and np.isfinite(report.maps["structural"]).all()
    assert report.metrics["lattice"] > 1.5 and report.metrics["kp_lattice"] == pytest.approx(1.0, abs=0.01)


class StdConv(nn.Conv2d):
    """Weight standardisation (NF-ResNets' ScaledStdConv2d): a uniform kernel becomes zero."""

    def forward(self, x):
        w = self.weight
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


def test_a_layer_that_standardises_its_weights_gets_a_plain_kernel_in_the_structural_copy():
    """The structural ERF of NF-ResNet-style layers was all zero (an error, blamed on the map); the
    plain convolution of the same geometry gives the same map as the layer without standardisation."""
    def build(conv):
        return nn.Sequential(conv(3, 4, 3, 2, 1), nn.ReLU(), conv(4, 4, 3, 2, 1), nn.AdaptiveAvgPool2d(1))

    S = dp.structural_erf(build(StdConv), 32, target="output")
    assert S.max() > 0 and np.allclose(S, dp.structural_erf(build(nn.Conv2d), 32, target="output"), rtol=1e-12)


class ShapeChecked(nn.Module):
    """A head with a shape check, as timm's VGG: torch.fx cannot trace it, eager mode runs it."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 2, 1))
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = self.body(x)
        if x.shape[-1] > 1:  # data-dependent control flow
            x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(x.flatten(1))


def test_an_untraceable_model_still_gets_its_erf_from_the_module_tree():
    report = dp.dead_pixel_test(ShapeChecked(), 64)
    assert report.trf is None and "cannot be traced by torch.fx" in report.untraced and report.excluded is None
    assert [o.name for o in report.odd_layers] == ["body.0", "body.2"]
    assert report.metrics["lattice"] > 1.5 and report.metrics["kp_lattice"] == pytest.approx(1.0, abs=0.01)
    traceable = nn.Sequential(*ShapeChecked().body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    assert report.metrics["lattice"] == pytest.approx(dp.dead_pixel_test(traceable, 64).metrics["lattice"], rel=1e-6)
