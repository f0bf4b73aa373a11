"""Regression tests for answers that used to be silently wrong on legal models and inputs: each is
now either right (checked against the gradient support) or a clear error before any work."""

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

import deadpixels as dp
from deadpixels.kernel_padding import PaddedMaxPool2d


def support(model, size, target="output"):
    """(extent, centre) per axis of the input-gradient support of the centre position, float64."""
    S = dp.structural_erf(model, size, target=target)
    rows, cols = np.nonzero(S.sum(1))[0], np.nonzero(S.sum(0))[0]
    return (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1), ((rows.min() + rows.max()) / 2)


class Focus(nn.Module):
    """Subsampling by indexing, as YOLOv5's "focus" layer does."""

    def __init__(self, conv_first=False):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 3, 3, padding=1), nn.Conv2d(3, 3, 3)
        self.conv_first = conv_first

    def forward(self, x):
        if self.conv_first:
            return self.b(self.a(x)[..., ::2, ::2])
        return self.b(x[..., ::2, ::2])


@pytest.mark.parametrize("conv_first,size,stride", [(False, 5, 2), (True, 7, 2)])
def test_subsampling_by_indexing_is_a_stride(conv_first, size, stride):
    """x[..., ::2, ::2] then a 3x3 conv: 1 + (3 - 1) * 2 = 5 px; after a 3x3 conv: 3 + (3 - 1) * 2 = 7 px."""
    model = Focus(conv_first)
    r = dp.theoretical_rf(model, 32, target="output")
    assert (r.size, r.stride) == (size, stride)
    (h, w), _ = support(model, 32)
    assert h == w == r.size


def test_focus_layer_after_a_stride_two_conv():
    model = nn.Sequential(nn.Conv2d(3, 3, 3, stride=2, padding=1), Focus())
    r = dp.theoretical_rf(model, 64, target="output")
    (h, _), centre = support(model, 64)
    assert (r.size, r.stride) == (h, 4) == (11, 4)
    fh = r.feature_shape[-2]
    assert r.center(fh // 2, fh // 2)[0] == centre


def test_paths_whose_windows_are_offset_meet_in_their_union():
    """conv(x)[:-1] + conv(x[1:]): windows [i, i+1] and [i+1, i+2] meet in [i, i+2], 3 px."""

    class Crop(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 2)

        def forward(self, x):
            return self.conv(x)[..., :-1, :-1] + self.conv(x[..., 1:, 1:])

    r = dp.theoretical_rf(Crop(), 16, target="output")
    (h, _), _ = support(Crop(), 16)
    assert r.size == h == 3


def test_adaptive_pooling_mid_network_is_pooling_not_global():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.AdaptiveAvgPool2d(8), nn.Conv2d(4, 4, 3))
    r = dp.theoretical_rf(model, 32, target="output")  # 3 + (4 - 1) + (3 - 1) * 4 = 14
    assert not r.is_global and (r.size, r.stride) == (14, 4)
    (h, _), _ = support(model, 32)
    assert h == r.size


def test_adaptive_pooling_with_uneven_bins_is_refused_not_misreported():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.AdaptiveAvgPool2d(7), nn.Conv2d(4, 4, 3))
    with pytest.raises(ValueError, match="bins differ in width"):
        dp.theoretical_rf(model, 32, target="output")
    with pytest.raises(ValueError, match="bins differ in width"):
        dp.theoretical_rf(torchvision.models.vgg11(), 160)
    assert dp.theoretical_rf(torchvision.models.vgg11(), 224).size == 150  # 7x7 -> 7x7: the identity


def test_kernel_pad_refuses_a_ceil_mode_pool_whose_output_would_shrink():
    pool = nn.MaxPool2d(3, 2, ceil_mode=True)
    padded = dp.kernel_pad(nn.Sequential(nn.Conv2d(3, 3, 1), pool))
    assert isinstance(padded[1], PaddedMaxPool2d)
    assert pool(torch.zeros(1, 3, 16, 16)).shape[-1] == 8
    with pytest.raises(ValueError, match="ceil_mode.*7 output rows/columns instead of 8"):
        padded(torch.zeros(1, 3, 16, 16))


def test_googlenet_check_blames_the_first_pool_that_cannot_be_padded():
    report = dp.dead_pixel_test(torchvision.models.googlenet(init_weights=False, aux_logits=False), 224)
    assert report.kp_note is not None and "'maxpool1'" in report.kp_note


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_images_are_refused(bad):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    x = torch.randn(2, 3, 16, 16)
    x[1, 0, 3, 3] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        dp.effective_rf(model, x, target="0", progress=False)


def test_batches_with_fewer_labels_than_images_are_refused():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    batches = [(torch.randn(2, 3, 16, 16), torch.tensor([0]))]
    with pytest.raises(ValueError, match="2 images but 1 labels"):
        dp.effective_rf(model, batches, target="output", progress=False)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"target": ""}, "target must be a module name"),
        ({"target": "3"}, r"not a \(N, C, H, W\) feature map"),
        ({"batch_size": 0}, "batch_size must be a positive int"),
        ({"position": (1, 2, 3)}, "position must be"),
    ],
)
def test_bad_effective_rf_arguments_are_clear_errors(kwargs, match):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=match):
        dp.effective_rf(model, torch.randn(2, 3, 16, 16), **{"target": "0", **kwargs}, progress=False)


def test_resnet_fc_target_is_a_clear_error():
    with pytest.raises(ValueError, match="not a .* feature map"):
        dp.effective_rf(torchvision.models.resnet18(), torch.randn(1, 3, 64, 64), target="fc", progress=False)


def test_a_model_without_parameters_works():
    model = nn.Sequential(nn.AvgPool2d(3, 2), nn.MaxPool2d(2))
    R = dp.effective_rf(model, torch.rand(2, 3, 16, 16), target="1", progress=False)
    assert R.shape == (16, 16) and R.max() > 0


def test_effective_rf_leaves_an_untraceable_model_untouched():
    class Untraceable(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
                return self.conv(x)
            return self.conv(-x)

    model = Untraceable().train()
    flags = [p.requires_grad for p in model.parameters()]
    before = model.conv.weight.clone()
    dp.effective_rf(model, torch.rand(2, 3, 16, 16), target="conv", channels_last=True, progress=False)
    assert model.training and [p.requires_grad for p in model.parameters()] == flags
    assert model.conv.weight.is_contiguous() and torch.equal(model.conv.weight, before)
    assert model.conv.weight.grad is None


def test_constant_map_has_no_gaussian_and_dead_maps_no_lattice_ratio():
    with pytest.raises(ValueError, match="constant"):
        dp.fit_gaussian(np.ones((16, 16)))
    with pytest.raises(ValueError, match="zero"):
        dp.lattice_ratio(np.zeros((16, 16)))
    with pytest.raises(ValueError, match="negative"):
        dp.lattice_ratio(-np.ones((16, 16)))
    checker = np.zeros((16, 16))
    checker[::2, ::2] = 1
    assert dp.lattice_ratio(checker) == float("inf")  # one phase alive, the others dead: a real answer


def test_one_channel_models_are_traced_with_one_channel():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2))
    assert dp.theoretical_rf(model, 32, target="output").size == 5
    assert dp.dead_pixel_test(model, 32).analysed


@pytest.mark.parametrize("size", [0, -3, 2.5, (32,), "224", True])
def test_bad_input_sizes_are_refused(size):
    with pytest.raises(ValueError, match="input size must be"):
        dp.theoretical_rf(nn.Conv2d(3, 3, 3), size)
