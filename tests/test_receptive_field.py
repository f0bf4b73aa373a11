import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from deadpixels import structural_erf, theoretical_rf
from deadpixels.paper.lab.reference import PAPER_TRF


@pytest.mark.parametrize("name,expected", sorted(PAPER_TRF.items()))
def test_table1_trf_exact(name, expected):
    r = theoretical_rf(torchvision.models.get_model(name), 224)
    assert r.size == expected
    assert r.stride == 32
    assert r.feature_shape[-2:] == (7, 7)
    assert not r.is_global


def test_known_values_of_other_stages():
    m = torchvision.models.resnet50()
    assert theoretical_rf(m, target="layer3").size == 267
    assert theoretical_rf(m, target="layer3").stride == 16
    assert theoretical_rf(m, target="conv1").size == 7
    assert theoretical_rf(m, target="maxpool").size == 11


@pytest.mark.parametrize("name,size", [("squeezenet1_1", 448), ("googlenet", 512), ("resnet18", 512), ("vgg11", 224)])
def test_trf_matches_gradient_extent_of_linearised_network(name, size):
    """Independent measurement: the support of the input gradient of a uniform-kernel, activation-free copy."""
    model = torchvision.models.get_model(name)
    r = theoretical_rf(model, size)
    S = structural_erf(model, size)
    cols, rows = np.nonzero(S.sum(0))[0], np.nonzero(S.sum(1))[0]
    assert cols.min() > 0 and cols.max() < size - 1, "input too small: the RF touches the border"
    assert cols.max() - cols.min() + 1 == r.size
    assert rows.max() - rows.min() + 1 == r.size


def test_per_axis_sizes_for_non_square_kernels():
    model = nn.Sequential(nn.Conv2d(3, 4, (1, 7)), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2), nn.AdaptiveAvgPool2d(1))
    r = theoretical_rf(model, 64)
    assert r.size == (3, 9)
    assert r.stride == 2


def test_global_receptive_fields_are_reported_not_numbered():
    r = theoretical_rf(torchvision.models.efficientnet_b0())
    assert r.is_global and r.size is None
    assert "avgpool" in r.reason and r.gates == 16  # global through its squeeze-and-excitation gates
    assert (r.spatial.size, r.spatial.stride) == (851, 32)  # and the spatial path's window
    r = theoretical_rf(torchvision.models.resnet18(), target="output")
    assert r.is_global


def test_unknown_target_lists_available_names():
    with pytest.raises(ValueError, match=r"unknown target layer 'layer9'.*layer4"):
        theoretical_rf(torchvision.models.resnet18(), target="layer9")


def test_too_small_input_is_a_clear_error():
    with pytest.raises(ValueError, match="too small"):
        theoretical_rf(torchvision.models.alexnet(), 16)


def test_unsupported_operation_is_refused():
    class Roll(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3)

        def forward(self, x):
            return torch.diff(self.conv(x), dim=-1)

    with pytest.raises(ValueError, match="diff"):
        theoretical_rf(Roll(), 32)


def test_a_2d_fft_mixes_every_position():
    class FFT(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 3)

        def forward(self, x):
            return torch.fft.fft2(self.conv(x)).real

    r = theoretical_rf(FFT(), 32)
    assert r.is_global and "over the height and the width" in r.reason


@pytest.mark.parametrize(
    "name,target,size,stride,padding",
    [
        ("vgg16", "features.30", 212, 32, 90),  # Araujo et al. (2019), Distill, Table of VGG-16
        ("resnet50", "layer3", 267, 16, 133),
    ],
)
def test_effective_padding_matches_published_values(name, target, size, stride, padding):
    r = theoretical_rf(torchvision.models.get_model(name), 224, target=target)
    assert (r.size, r.stride, r.padding) == (size, stride, padding)


@pytest.mark.parametrize("name,size", [("resnet18", 512), ("vgg11", 224), ("googlenet", 512)])
def test_receptive_field_centre_matches_the_gradient_support(name, size):
    """The centre from (size, stride, padding) equals the midpoint of the structural ERF's support."""
    model = torchvision.models.get_model(name)
    r = theoretical_rf(model, size)
    h, w = r.feature_shape[-2:]
    S = structural_erf(model, size)
    cols, rows = np.nonzero(S.sum(0))[0], np.nonzero(S.sum(1))[0]
    assert r.center(h // 2, w // 2) == ((rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2)


def test_explicit_padding_layers_shift_the_window():
    """TensorFlow-style 'same' padding done by an explicit pad: the window moves, its size does not."""
    model = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(3, 4, 3, stride=2), nn.Conv2d(4, 4, 3, padding=1))
    r = theoretical_rf(model, 16, target="output")
    assert (r.size, r.stride, r.padding) == (7, 2, 2)
    model = nn.Sequential(nn.ZeroPad2d((1, 1, 1, 1)), nn.Conv2d(3, 4, 3, stride=2))
    assert theoretical_rf(model, 16, target="output").padding == 1
