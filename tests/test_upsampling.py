"""Upsampling's receptive-field rules (nearest, bilinear, PixelShuffle, transposed convolutions):
worked examples whose windows are counted by hand, the period they repeat with, and the refusals
that name why no rule exists. The random-model property test (test_properties) checks the same
rules against the gradient support."""

from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import deadpixels as dp
from deadpixels.rf_algebra import AxisRF, NodeRF, transposed, upsample, window


class Fn(nn.Module):
    def __init__(self, fn, first=None):
        super().__init__()
        self.first, self.fn = first or nn.Conv2d(3, 4, 3, 2, 1), fn

    def forward(self, x):
        return self.fn(self.first(x))


def test_nearest_upsampling_halves_the_stride_and_pairs_positions():
    r = dp.theoretical_rf(nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.Upsample(scale_factor=2)), 32, target="output")
    assert (r.size, r.stride, r.padding) == (3, Fraction(1), 1)  # stride 2 * 1/2: an int again
    assert r.window(4, 4)[0] == r.window(5, 5)[0] == (3, 5)  # positions 4 and 5 read conv position 2
    assert r.windows[0].period == 2


def test_bilinear_upsampling_reads_two_neighbours():
    r = dp.theoretical_rf(Fn(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear")), 32, target="output")
    # output 2m reads conv positions m-1 and m; 2m+1 reads m and m+1: pixels [2m-3, 2m+1] and [2m-1, 2m+3]
    assert r.window(4, 4)[0] == (1, 5) and r.window(5, 5)[0] == (3, 7)
    assert r.size == 5 and r.stride == 1


def test_odd_bilinear_factor_has_positions_on_an_input():
    """At u = 3, output 3m + 1 falls exactly on input m and reads it alone."""
    rf = upsample(NodeRF.identity(), 3, "bilinear")
    assert [rf.axes[0].bounds(o) for o in range(3)] == [(-1, 0), (0, 0), (0, 1)]
    assert rf.jump == (Fraction(1, 3), Fraction(1, 3))


def test_pixel_shuffle_is_depth_to_space():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.PixelShuffle(2))
    r = dp.theoretical_rf(model, 32, target="output")
    assert (r.size, r.stride) == (3, 1) and r.window(7, 7)[0] == (5, 7)


def test_transposed_convolution_undoes_a_stride():
    """A 4x4 transposed convolution at stride 2, padding 1 (a DCGAN/U-Net upsampler): output o
    reads inputs (o + 1 - t) / 2 for the t < 4 that divide."""
    rf = transposed(NodeRF.identity(), 4, 2, 1, 1)
    assert [rf.axes[0].bounds(o) for o in range(4)] == [(-1, 0), (0, 1), (0, 1), (1, 2)]
    r = dp.theoretical_rf(nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ConvTranspose2d(4, 4, 4, 2, 1)), 32,
                          target="output")  # fmt: skip
    assert r.size == 5 and r.stride == 1


def test_downsampling_after_upsampling_returns_to_period_one():
    rf = window(upsample(NodeRF.identity(), 2, "nearest"), 2, 2)
    assert rf.axes[0] == AxisRF(1, (0,), (0,))


@pytest.mark.parametrize(
    "fn,why",
    [
        (lambda x: F.interpolate(x, scale_factor=1.5), "not by an integer factor"),
        (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), "align_corners=True"),
        (lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), "bicubic"),
        (lambda x: F.interpolate(x, scale_factor=0.5), "not by an integer factor"),
    ],
)
def test_resamplings_without_a_rule_are_refused_with_the_reason(fn, why):
    with pytest.raises(ValueError, match=why):
        dp.theoretical_rf(Fn(fn), 32, target="output")


def test_a_transposed_convolution_that_skips_outputs_is_refused():
    with pytest.raises(ValueError, match="read no input"):
        dp.theoretical_rf(nn.Sequential(nn.ConvTranspose2d(3, 3, 1, 2)), 16, target="output")


def test_structural_erf_support_matches_the_windows_of_an_hourglass():
    """Down by 4, up by 4 (nearest then transposed): the structural ERF's support at one position is
    the window the rules give."""
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, 2, 1), nn.Conv2d(4, 4, 3, 2, 1), nn.Upsample(scale_factor=2),
        nn.ConvTranspose2d(4, 4, 4, 2, 1), nn.Conv2d(4, 4, 3, 1, 1),
    )  # fmt: skip
    r = dp.theoretical_rf(model, 64, target="output")
    S = dp.structural_erf(model, 64, target="output", position=(33, 33))
    rows = torch.as_tensor(S).sum(1).nonzero().flatten()
    assert (int(rows.min()), int(rows.max())) == r.window(33, 33)[0]
