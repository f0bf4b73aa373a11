"""Property-based tests over the operation classes that used to give silent wrong answers (issue
#41): in-place writes with and without reassignment, branches merged in place, transposes and
permutes of the spatial axes, and Linear, Softmax and LayerNorm over a spatial axis. For every
drawn model (a write into a slice and a name kept across ``+=`` are drawn too: both must be
refused by the tracer), each public answer is the definition on the real (untraced) model, or a clear refusal:

- the TRF's window at the centre = the support of the input gradient (float64, positive weights
  and inputs), or "global" with a reason naming the axis, where the gradient spans that axis;
- the structural ERF's support = the same support;
- ``effective_rf`` = Algorithm 1 run per image with autograd and a hook on the real model, on both
  of its paths (the traced copy, and the model itself).
"""

import os

import numpy as np
import torch
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from torch import nn

import deadpixels as dp
from test_inplace_and_axes import autograd_support, positive, reference_erf, trf_bounds

C, SIZE = 4, 40
REFUSALS = ("in-place operation", "does not compute what the model computes", "height and width are at axes")


@st.composite
def op(draw):
    kind = draw(
        st.sampled_from(
            ["conv", "conv", "clamp_", "mul_", "add_", "iadd", "relu_module", "transpose", "channels_last", "mixer"]
            + ["slice_write", "kept_name"]
        )
    )
    if kind == "conv":
        return ("conv", draw(st.sampled_from([1, 3, 5])), draw(st.sampled_from([1, 3, 5])))
    if kind == "kept_name":
        return (kind, draw(st.sampled_from([3, 5])))
    if kind in ("add_", "iadd"):
        return (kind, draw(st.sampled_from([3, 5, 7])), draw(st.booleans()))  # reassigned or not
    if kind == "transpose":
        return ("transpose", draw(st.sampled_from(["transpose", "permute"])))
    if kind == "mixer":
        return ("mixer", draw(st.sampled_from(["linear", "softmax", "layernorm"])), draw(st.sampled_from([2, 3])))
    return (kind,)


def _conv(kh, kw):
    return nn.Conv2d(C, C, (kh, kw), padding=(kh // 2, kw // 2))


class Hostile(nn.Module):
    def __init__(self, specs):
        super().__init__()
        self.stem, self.head = nn.Conv2d(3, C, 3, padding=1), nn.Conv2d(C, C, 3, padding=1)
        self.specs, self.mods = specs, nn.ModuleList()
        for spec in specs:
            kind = spec[0]
            if kind == "conv":
                m = _conv(spec[1], spec[2])
            elif kind in ("add_", "iadd", "kept_name"):
                m = nn.ModuleList([_conv(1, 1), _conv(spec[1], spec[1])])
            elif kind == "relu_module":
                m = nn.ModuleList([_conv(3, 3), nn.ReLU(inplace=True)])
            elif kind in ("clamp_", "mul_", "slice_write"):
                m = _conv(1, 3)  # writes go into a convolution's output: autograd allows that
            elif kind == "channels_last":
                m = nn.Sequential(nn.LayerNorm(C), nn.Linear(C, C))
            elif kind == "mixer":
                m = {"linear": nn.Linear(SIZE, SIZE), "softmax": nn.Softmax(dim=-1), "layernorm": nn.LayerNorm(SIZE)}[
                    spec[1]
                ]
            else:
                m = nn.Identity()
            self.mods.append(m)

    def forward(self, x):
        y = self.stem(x)
        for spec, m in zip(self.specs, self.mods):
            kind = spec[0]
            if kind == "conv":
                y = m(y)
            elif kind == "clamp_":
                y = m(y)
                y.clamp_(min=0)  # not reassigned
            elif kind == "mul_":
                y = m(y)
                y.mul_(2.0)
            elif kind == "add_":
                z = m[0](y)
                if spec[2]:
                    z = z.add_(m[1](y))
                else:
                    z.add_(m[1](y))
                y = z
            elif kind == "iadd":
                z = m[0](y)
                z += m[1](y)
                y = z
            elif kind == "slice_write":  # a write into a view: the graph cannot follow it
                y = m(y)
                v = y[:, :2]
                v.mul_(2.0)
            elif kind == "kept_name":  # torch.fx records z += w as z = z + w; the model writes into a
                z = m[0](y)
                a = z
                z += m[1](y)
                y = a
            elif kind == "relu_module":
                z = m[0](y)
                m[1](z)  # nn.ReLU(inplace=True), result dropped
                y = z * 1.0  # a later in-place write must not touch ReLU's saved output (autograd refuses)
            elif kind == "transpose":
                y = y.transpose(2, 3) if spec[1] == "transpose" else y.permute(0, 1, 3, 2)
            elif kind == "channels_last":
                y = m(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            else:  # a layer over the width (axis 3) or, transposed around it, the height
                y = m(y) if spec[2] == 3 else m(y.transpose(2, 3)).transpose(2, 3)
        return self.head(y)


#: Draws as tests/conftest.py's profile says (the same in every run unless DP_HYPOTHESIS_RANDOM=1).
SETTINGS = settings(max_examples=int(os.environ.get("DP_HYPOTHESIS_EXAMPLES", "150")))


@SETTINGS
@given(st.lists(op(), min_size=1, max_size=5))
def test_every_answer_is_the_definition_on_the_real_model_or_a_refusal(specs):
    model = positive(Hostile(specs))
    truth = autograd_support(model, SIZE)
    assume(truth is not None)  # a LayerNorm then a ReLU can switch the centre off: nothing to compare
    x = torch.randn(2, 3, SIZE, SIZE, dtype=torch.float64)  # the ERF is never refused: it can run the model
    want = reference_erf(model, x, "head")
    for fold in (None, False):  # the traced, truncated copy (float64's default) and the model itself with a hook
        R = dp.effective_rf(model, x, target="head", progress=False, fold_batchnorm=fold)
        np.testing.assert_allclose(R, want, rtol=0, atol=1e-10 * np.abs(R).max())
    try:
        r = dp.theoretical_rf(model, SIZE, target="output")
    except ValueError as exc:
        assert any(reason in str(exc) for reason in REFUSALS), str(exc)
        event("refused: " + next(reason for reason in REFUSALS if reason in str(exc)))
        return
    if r.is_global:
        assert " over the " in r.reason, r.reason
        which = (truth[0], truth[1]) if "height" in r.reason else (truth[2], truth[3])
        assert which == (0, SIZE - 1), (specs, r.reason, truth)
        event("global: a layer over a spatial axis")
    else:
        assert trf_bounds(model, SIZE) == truth, (specs, r)
        S = dp.structural_erf(model, SIZE, target="output")
        rows, cols = np.nonzero(S.sum(1))[0], np.nonzero(S.sum(0))[0]
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == truth, specs
        event("checked: TRF and structural ERF")
