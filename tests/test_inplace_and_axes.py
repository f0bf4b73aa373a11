"""Right or refused (issue #41): in-place operations whose result is not reassigned, and operations
that mix along a spatial axis. Every answer is checked against the definition on the real model,
not on a traced copy: the input-gradient support for the TRF and the structural ERF (float64,
positive weights and inputs), and Algorithm 1 run per image with autograd and a hook for the ERF."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import deadpixels as dp
from deadpixels.functionalise import InPlaceAliasing

SIZE = 32


def conv(k, c_in=4, c_out=4):
    return nn.Conv2d(c_in, c_out, k, padding=tuple(v // 2 for v in ((k, k) if isinstance(k, int) else k)))


class Net(nn.Module):
    """conv stem, then ``body(self, y)``, then a 3x3 head named ``head``."""

    def __init__(self, body, **extra):
        super().__init__()
        self.stem, self.head, self.body = conv(3, 3), conv(3), body
        for name, m in extra.items():
            setattr(self, name, m)

    def forward(self, x):
        return self.head(self.body(self, self.stem(x)))


def _clamp_mul(self, y):
    y.clamp_(min=0)
    y.mul_(3.0)
    return y


def _add_branch(self, y):
    z = self.pre(y)
    z.add_(self.big(y))
    return z


def _alias_then_iadd(self, y):
    z = self.pre(y)
    a = z
    z += self.big(y)
    return a


def _inplace_relu_module(self, y):
    y = self.big(y)
    self.act(y)  # nn.ReLU(inplace=True), result dropped
    return y


def _functional_inplace(self, y):
    z = self.pre(y)
    z.mul_(2.0)
    F.relu(z, inplace=True)
    return self.big(y) + z


def _torch_relu_(self, y):
    z = self.pre(y)
    z.mul_(self.big(y))
    torch.relu_(z)
    return z


INPLACE = {
    "clamp_ and mul_ dropped": (_clamp_mul, {}),
    "add_ of a 9x9 branch": (_add_branch, {"pre": conv(1), "big": conv(9)}),
    "inplace ReLU module": (_inplace_relu_module, {"big": conv(5), "act": nn.ReLU(inplace=True)}),
    "F.relu(inplace=True)": (_functional_inplace, {"pre": conv(3), "big": conv(5)}),
    "mul_ then torch.relu_": (_torch_relu_, {"pre": conv(1), "big": conv(7)}),
}


def positive(model):
    torch.manual_seed(0)
    model = model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.abs() + 0.01)
    return model


def autograd_support(model, size=SIZE):
    """(first row, last row, first column, last column) of the real model's input-gradient
    support at the centre of its output, for a positive input."""
    x = torch.rand(1, 3, size, size, dtype=torch.float64) + 0.5
    x.requires_grad_(True)
    out = model(x)
    (g,) = torch.autograd.grad(out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum(), x)
    rows, cols = np.nonzero(g[0].abs().sum(0).sum(1).numpy())[0], np.nonzero(g[0].abs().sum(0).sum(0).numpy())[0]
    if not len(rows):
        return None  # every path to the centre is switched off by a ReLU or a clamp: no support to compare
    return rows.min(), rows.max(), cols.min(), cols.max()


def trf_bounds(model, size=SIZE):
    r = dp.theoretical_rf(model, size, target="output")
    h, w = r.feature_shape[-2:]
    (r0, r1), (c0, c1) = r.window(h // 2, w // 2)
    return max(r0, 0), min(r1, size - 1), max(c0, 0), min(c1, size - 1)


def reference_erf(model, x, target):
    """Algorithm 1 per image on the real model: a hook on ``target``, autograd, ReLU, mean."""
    maps = []
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        seen = []
        handle = model.get_submodule(target).register_forward_hook(lambda _m, _i, o, seen=seen: seen.append(o))
        model(xi)
        handle.remove()
        o = seen[0]
        (g,) = torch.autograd.grad(o[0, :, o.shape[2] // 2, o.shape[3] // 2].mean(), xi)
        maps.append(F.relu(g.mean(1))[0])
    return torch.stack(maps).mean(0).numpy()


def test_a_name_kept_before_plus_equals_is_refused_not_misread():
    """torch.fx records ``z += w`` as ``z = z + w``: the graph's ``a`` is the old z, the model's the
    new one. The traced output is compared with the model's, and the difference refused."""
    model = positive(Net(_alias_then_iadd, pre=conv(1), big=conv(7)))
    with pytest.raises(ValueError, match="does not compute what the model computes"):
        dp.theoretical_rf(model, SIZE)
    x = torch.randn(2, 3, SIZE, SIZE, dtype=torch.float64)  # the ERF is right: it runs the real model
    R = dp.effective_rf(model, x, target="head", progress=False)
    np.testing.assert_allclose(R, reference_erf(model, x, "head"), rtol=0, atol=1e-12 * np.abs(R).max())


@pytest.mark.parametrize("case", INPLACE, ids=list(INPLACE))
def test_in_place_writes_count_in_the_trf_and_the_structural_erf(case):
    body, extra = INPLACE[case]
    model = positive(Net(body, **extra))
    truth = autograd_support(model)
    assert trf_bounds(model) == truth
    S = dp.structural_erf(model, SIZE, target="output")
    rows, cols = np.nonzero(S.sum(1))[0], np.nonzero(S.sum(0))[0]
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == truth


@pytest.mark.parametrize("fold", [None, True, False])
@pytest.mark.parametrize("case", INPLACE, ids=list(INPLACE))
def test_in_place_writes_count_in_the_effective_rf(case, fold):
    body, extra = INPLACE[case]
    torch.manual_seed(1)
    model = Net(body, **extra).double().eval()
    x = torch.randn(3, 3, SIZE, SIZE, dtype=torch.float64)
    R = dp.effective_rf(model, x, target="head", progress=False, fold_batchnorm=fold)
    np.testing.assert_allclose(R, reference_erf(model, x, "head"), rtol=0, atol=1e-12 * np.abs(R).max())


def _write_into_a_slice(self, y):
    v = y[:, :2]
    v.mul_(2.0)
    return y


def _write_through_identity(self, y):
    z = self.same(y)  # nn.Identity returns y itself
    z.add_(self.big(y.detach().clone()))
    return y


@pytest.mark.parametrize(
    "body,extra", [(_write_into_a_slice, {}), (_write_through_identity, {"same": nn.Identity(), "big": conv(5)})]
)
def test_a_write_into_shared_memory_is_refused_by_the_tracer_and_right_in_the_erf(body, extra):
    model = positive(Net(body, **extra))
    with pytest.raises(InPlaceAliasing, match="writes into memory that .* shares"):
        dp.theoretical_rf(model, SIZE)
    with pytest.raises(ValueError, match="in-place operation"):
        dp.structural_erf(model, SIZE)
    x = torch.randn(2, 3, SIZE, SIZE, dtype=torch.float64)  # the ERF runs the real model instead
    R = dp.effective_rf(model, x, target="head", progress=False)
    np.testing.assert_allclose(R, reference_erf(model, x, "head"), rtol=0, atol=1e-12 * np.abs(R).max())


class Along(nn.Module):
    def __init__(self, mid, transpose=False, channels_last=False):
        super().__init__()
        self.a, self.mid, self.b = conv((1, 5), 3), mid, conv((1, 5))
        self.transpose, self.channels_last = transpose, channels_last

    def forward(self, x):
        y = self.a(x)
        if self.transpose:
            y = y.transpose(2, 3)
        if self.channels_last:
            return self.b(self.mid(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
        return self.b(self.mid(y))


def test_a_kernel_after_a_transpose_slides_along_the_other_axis():
    model = positive(Along(nn.Identity(), transpose=True))
    assert trf_bounds(model) == autograd_support(model)  # 5 x 5, not 1 x 9
    assert dp.theoretical_rf(model, SIZE).windows[0].size == 5


def test_a_channels_last_block_over_the_channels_is_pointwise():
    model = positive(Along(nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 4)), channels_last=True))
    assert trf_bounds(model) == autograd_support(model)


@pytest.mark.parametrize(
    "mid,what",
    [
        (nn.Linear(SIZE, SIZE), "Linear over the width"),
        (nn.Softmax(dim=-1), "Softmax over the width"),
        (nn.LayerNorm(SIZE), "LayerNorm over the width"),
        (nn.LayerNorm([SIZE, SIZE]), "LayerNorm over the height and the width"),
    ],
)
def test_a_layer_over_a_spatial_axis_is_said_to_mix_it(mid, what):
    model = positive(Along(mid))
    r = dp.theoretical_rf(model, SIZE)
    assert r.is_global and what in r.reason
    _, _, c0, c1 = autograd_support(model)
    assert (c0, c1) == (0, SIZE - 1)  # the truth: every column


def test_a_window_over_a_channels_last_map_is_refused():
    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = conv(3, 3, 8), nn.Conv2d(SIZE, 4, 3, padding=1)

        def forward(self, x):
            return self.b(self.a(x).permute(0, 3, 1, 2))

    with pytest.raises(ValueError, match="height and width are at axes"):
        dp.theoretical_rf(Wrong(), SIZE)


@pytest.mark.parametrize(
    "position,match",
    [
        ((2.5, 3), "whole numbers"),
        ((-1, -1), "negative coordinate"),
        ((True, 1), "whole numbers"),
        ((99, 1), "outside"),
    ],
)
def test_a_malformed_position_is_refused_not_rounded(position, match):
    model = Net(_clamp_mul).eval()
    with pytest.raises(ValueError, match=match):
        dp.effective_rf(model, torch.randn(1, 3, SIZE, SIZE), target="head", position=position, progress=False)


def test_nan_weights_are_refused_before_any_work():
    model = Net(_clamp_mul).eval()
    with torch.no_grad():
        model.head.weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="head.weight holds 1 NaN"):
        dp.effective_rf(model, torch.randn(1, 3, SIZE, SIZE), target="head", progress=False)


def test_images_that_overflow_a_half_precision_model_are_refused():
    model = Net(_clamp_mul).eval().half()
    x = torch.full((1, 3, SIZE, SIZE), 1e5)  # finite in float32, inf in float16
    with pytest.raises(ValueError, match="overflow"):
        dp.effective_rf(model, x, target="head", progress=False, device="cpu")


def test_labels_out_of_range_are_named():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5)).eval()
    with pytest.raises(ValueError, match=r"labels \[7\] are out of range: the model has 5 classes"):
        dp.effective_rf(model, torch.randn(4, 3, 16, 16), target="output", labels=[0, 1, 2, 7], progress=False)
