"""Results that are the same on every x86 CPU: random models drawn in float64 (torch's float32
normal_ is vectorised differently per instruction set), structural maps that depend on rounding
refused, and a verify mismatch that names its rows."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import torch
from torch import nn

from deadpixels.paper.lab.models import portable_init, torchvision_model
from deadpixels.paper.pipeline.experiment import Tolerance
from deadpixels.paper.pipeline.results import Result
from deadpixels.paper.pipeline.verify import compare_tables
from deadpixels.untraced_erf import untraced_structural_erf

_DIGEST = (
    "import torch; from deadpixels.paper.lab.models import portable_init, torchvision_model\n"
    "with portable_init(0): m = torchvision_model('resnet18')\n"
    "print(repr(sum(float(p.double().abs().sum()) for p in m.parameters())))"
)


def _digest(capability: str) -> str:
    env = {**os.environ, "ATEN_CPU_CAPABILITY": capability}
    return subprocess.run([sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True).stdout


def test_portable_init_draws_the_same_model_under_every_instruction_set():
    assert _digest("default") == _digest(os.environ.get("ATEN_CPU_CAPABILITY", "avx512"))


def test_portable_init_is_seeded_float64_and_restores_the_default_dtype():
    with portable_init(3):
        a = torchvision_model("resnet18")
    with portable_init(3):
        b = torchvision_model("resnet18")
    assert torch.get_default_dtype() == torch.float32
    assert next(a.parameters()).dtype == torch.float64
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


class _Unstable(nn.Module):
    """A spatial softmax over huge logits: its input gradient is a function of rounding."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        w = torch.softmax(1e14 * y.flatten(2), dim=-1).view_as(y)
        return y * w


def test_a_structural_map_that_depends_on_rounding_is_refused():
    with pytest.raises(ValueError, match="numerically unstable.*depends on rounding"):
        untraced_structural_erf(_Unstable(), 16)


def test_a_linear_weight_free_copy_is_kept():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1))
    R = untraced_structural_erf(model, 16)
    assert (R > 0).sum() == 25  # two 3x3 convolutions: a 5x5 support around the centre


def test_a_mismatch_names_its_rows_and_both_values():
    cached = Result("x", "cpu", {"zoo": pd.DataFrame({"model": ["a", "b", "c"], "L2": [1.0, 2.0, 3.0]})}, {}, {})
    rerun = Result("x", "cpu", {"zoo": pd.DataFrame({"model": ["a", "b", "c"], "L2": [1.0, 2.5, 3.0]})}, {}, {})
    (row,) = [c for c in compare_tables(cached, rerun, Tolerance("deterministic", rtol=1e-4)) if c.item == "zoo.L2"]
    assert not row.ok and row.note == "model=b: cached 2.0, rerun 2.5"


def test_a_text_mismatch_names_its_rows_too():
    cached = Result("x", "cpu", {"zoo": pd.DataFrame({"model": ["a", "b"], "status": ["analysed", "refused: 42%"]})})
    rerun = Result("x", "cpu", {"zoo": pd.DataFrame({"model": ["a", "b"], "status": ["analysed", "refused: 43%"]})})
    (row,) = [c for c in compare_tables(cached, rerun, Tolerance("exact")) if c.item == "zoo.status"]
    assert not row.ok and row.note == "model=b: cached 'refused: 42%', rerun 'refused: 43%'"
