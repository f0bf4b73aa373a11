"""Eval BatchNorm's input gradient as one multiply (deadpixels.input_gradient), and the caller's
model left exactly as it was by every call that runs it (modes, requires_grad, weights, layout)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import deadpixels as dp
from deadpixels.erf_inputs import check_finite_model
from deadpixels.input_gradient import EvalBatchNormGradient
from deadpixels.utils import evaluating


def _batch_norm(dims: int, channels: int, affine: bool, seed: int) -> nn.Module:
    bn = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[dims](channels, affine=affine)
    g = torch.Generator().manual_seed(seed)
    bn.running_mean.copy_(torch.randn(channels, generator=g))
    bn.running_var.copy_(torch.rand(channels, generator=g) + 0.1)
    if affine:
        bn.weight.data.copy_(torch.randn(channels, generator=g))
        bn.bias.data.copy_(torch.randn(channels, generator=g))
    return bn.double().eval()


def _input(dims: int, channels: int, seed: int, channels_last: bool) -> torch.Tensor:
    shape = {1: (3, channels, 5), 2: (3, channels, 4, 5), 3: (2, channels, 3, 4, 5)}[dims]
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    if channels_last and dims == 2:
        x = x.contiguous(memory_format=torch.channels_last)
    return x.requires_grad_(True)


@settings(max_examples=60)
@given(
    dims=st.sampled_from([1, 2, 3]),
    channels=st.integers(1, 6),
    affine=st.booleans(),
    channels_last=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_eval_batch_norm_is_torchs_forward_and_its_exact_input_gradient(dims, channels, affine, channels_last, seed):
    bn = _batch_norm(dims, channels, affine, seed)
    x = _input(dims, channels, seed + 1, channels_last)
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed + 2), dtype=torch.float64)
    y = bn(x)
    (want,) = torch.autograd.grad(y, x, upstream)
    with EvalBatchNormGradient():
        y_mode = bn(x)
    (got,) = torch.autograd.grad(y_mode, x, upstream)
    assert torch.equal(y_mode, y)  # torch's own forward, bit for bit
    assert type(y_mode.grad_fn).__name__ != type(y.grad_fn).__name__  # the multiply ran, not torch's backward
    torch.testing.assert_close(got, want, rtol=1e-13, atol=1e-13)


def test_keyword_calls_are_taken_and_batch_statistics_are_left_to_torch():
    bn = _batch_norm(2, 3, True, 0)
    x = _input(2, 3, 1, False)
    want = F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, eps=1e-3)
    with EvalBatchNormGradient():
        kw = F.batch_norm(x, running_mean=bn.running_mean, running_var=bn.running_var, weight=bn.weight, eps=1e-3)
        bn.train()
        batch = bn(x)  # train mode: the batch's statistics (and running ones updated), torch's backward
        no_stats = F.batch_norm(x, None, None, training=True)
    assert "AffineBatchNorm" in type(kw.grad_fn).__name__
    assert "AffineBatchNorm" not in type(batch.grad_fn).__name__
    assert "AffineBatchNorm" not in type(no_stats.grad_fn).__name__
    assert torch.equal(kw, want)


def test_evaluating_restores_every_submodules_mode_also_after_an_error():
    model = torchvision.models.resnet18().train()
    model.bn1.eval()  # fine-tuning with a frozen BatchNorm
    modes = [m.training for m in model.modules()]
    with pytest.raises(RuntimeError, match="inside"):
        with evaluating(model):
            assert not any(m.training for m in model.modules())
            raise RuntimeError("inside")
    assert [m.training for m in model.modules()] == modes


def _frozen_bn_resnet() -> nn.Module:
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=4).train()
    for m in (model.bn1, model.layer1[0].bn2):
        m.eval()  # frozen BatchNorms in a model being fine-tuned
    model.layer1.requires_grad_(False)
    return model


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: dp.theoretical_rf(m, 64),
        lambda m, x: dp.structural_erf(m, 64, target="layer3"),
        lambda m, x: dp.effective_rf(m, x, target="layer3", progress=False),
        lambda m, x: dp.effective_rf(m, x, target="output", labels=[0, 1], progress=False),
        lambda m, x: dp.effective_rf(m.double(), x.double(), target="layer3", progress=False),  # the traced path
        lambda m, x: dp.dead_pixel_test(m, 64, images=x, target="layer3", progress=False),
        lambda m, x: dp.dead_pixel_test(m, 64, images=x, progress=False),  # top-1 labels first
        lambda m, x: dp.kernel_pad(m, input_size=64),
    ],
    ids=[
        "theoretical_rf",
        "structural_erf",
        "effective_rf",
        "effective_rf-output",
        "effective_rf-float64",
        "check",
        "check-top1",
        "kernel_pad",
    ],  # fmt: skip
)
def test_the_callers_model_is_left_exactly_as_it_was(call):
    model = _frozen_bn_resnet()
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    call(model, x)
    model_after = model
    reference = _frozen_bn_resnet()
    if next(model_after.parameters()).dtype == torch.float64:
        reference = reference.double()
    assert [m.training for m in model_after.modules()] == [m.training for m in reference.modules()]
    assert [p.requires_grad for p in model_after.parameters()] == [p.requires_grad for p in reference.parameters()]
    for (name, a), b in zip(model_after.state_dict().items(), reference.state_dict().values()):
        assert torch.equal(a, b), name  # weights and running statistics
    assert all(p.is_contiguous() and p.grad is None for p in model_after.parameters())


def test_a_kernel_padded_copy_keeps_every_modules_mode():
    model = _frozen_bn_resnet()
    padded = dp.kernel_pad(model, input_size=64)
    assert [m.training for m in padded.modules()] == [m.training for m in _frozen_bn_resnet().modules()]


def test_effective_rf_works_inside_no_grad():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3)).eval()
    x = torch.rand(2, 3, 16, 16)
    outside = dp.effective_rf(model, x, target="3", progress=False)
    with torch.no_grad():
        inside = dp.effective_rf(model, x, target="3", progress=False)
    np.testing.assert_array_equal(inside, outside)


def test_a_finite_model_whose_weights_sum_past_the_largest_float_passes_and_a_nan_is_named():
    model = nn.Sequential(nn.Conv2d(3, 8, 3)).double()
    model[0].weight.data.fill_(1e308)  # finite, but their sum is not: each tensor is then tested on its own
    check_finite_model(model)
    model[0].bias.data[2] = float("nan")
    with pytest.raises(ValueError, match=r"0\.bias holds 1 NaN"):
        check_finite_model(model)
