"""The dead-pixel test of any CNN, from its architecture alone: which layers apply an odd kernel
with an even stride, the theoretical receptive field, and the imbalance of the structural output
ERF before and after kernel padding. No weights and no data enter, so the test is exact and fast;
the census of chapter 6 and ``python -m deadpixels check`` both run it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .erf import structural_erf
from .fitting import imbalance_indices, lattice_ratio
from .graph import UntraceableModel
from .kernel_padding import OddStrideLayer, find_odd_stride_layers, kernel_pad
from .operations import NOT_A_CNN
from .receptive_field import TheoreticalRF, theoretical_rf
from .trained_test import trained_erf_test
from .untraced_erf import untraced_structural_erf
from .utils import input_pair


@dataclass
class DeadPixelReport:
    """The dead-pixel test of one architecture.

    ``excluded`` says why the model could not be analysed (a global receptive field, not a CNN).
    A model torch.fx cannot trace is analysed from its module tree and autograd: ``untraced`` says
    why, and then there is no TRF, and gates are not held constant.
    A net with squeeze-and-excitation style gates is analysed along its spatial path, the gates
    held as per-channel constants (:mod:`deadpixels.gates`): ``trf`` then says both that the field
    is global through the gates and, as ``trf.spatial``, the spatial path's TRF, and ``gates``
    counts them.
    ``kp_note`` why kernel padding could not be applied exactly. ``metrics`` holds ``L1``, ``L2``,
    ``lattice`` of the structural output ERF and, after kernel padding, ``kp_L1``, ``kp_L2``,
    ``kp_lattice``; ``maps`` the maps themselves (``"structural"``, ``"structural_kp"``, and with
    images ``"trained"``, whose metrics are in ``trained``).
    """

    odd_layers: list[OddStrideLayer] = field(default_factory=list)
    trf: TheoreticalRF | None = None
    excluded: str | None = None
    untraced: str | None = None
    kp_note: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    trained: dict[str, Any] | None = None

    @property
    def analysed(self) -> bool:
        return self.excluded is None

    @property
    def gates(self) -> int:
        return self.trf.gates if self.trf is not None else 0

    @property
    def spatial_trf(self) -> TheoreticalRF | None:
        """The TRF of the spatial path: the TRF itself for a net without gates."""
        return self.trf.spatial or self.trf if self.trf is not None else None


def dead_pixel_test(
    model: nn.Module,
    input_size: int | tuple[int, int] = 224,
    images: torch.Tensor | None = None,
    target: str = "output",
    **erf_options: Any,
) -> DeadPixelReport:
    """Odd-kernel/even-stride layers, TRF, and the structural output ERF's imbalance before and
    after kernel padding (pools included, as in the paper).

    Args:
        model: any CNN (left unchanged).
        input_size: the input side length or ``(h, w)``.
        images: preprocessed (N, C, H, W) images for the trained test (:mod:`deadpixels.trained_test`):
            the ERF of ``target`` (default each image's top-1 logit) and its metrics go to
            ``report.trained`` and ``report.maps["trained"]``; ``erf_options`` (labels, batch_size,
            device, progress) go to :func:`deadpixels.effective_rf`.

    Returns:
        A :class:`DeadPixelReport`. A model whose receptive field is global, or that cannot be
        traced, comes back with ``excluded`` set; one that kernel padding cannot keep exact, with
        ``kp_note``. Bad arguments raise a ValueError before any work.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"dead_pixel_test needs an nn.Module; got {type(model).__name__}")
    input_size = input_pair(input_size)
    out = DeadPixelReport(odd_layers=find_odd_stride_layers(model))
    if images is not None:  # the trained test first: bad images fail before the structural work
        out.maps["trained"], out.trained = trained_erf_test(model, images, target, **erf_options)
    try:
        out.trf = theoretical_rf(model, input_size)
    except UntraceableModel as exc:
        return _untraced(out, model, input_size, str(exc))
    except ValueError as exc:  # untraceable, or an input the model cannot take
        out.excluded = str(exc)
        return out
    if out.trf.is_global and out.trf.spatial is None:
        reason = out.trf.reason or ""
        out.excluded = reason if reason.endswith(NOT_A_CNN) else f"global receptive field ({reason})"
        return out
    try:
        out.maps["structural"] = structural_erf(model, input_size, target="output", dtype=torch.float32)
    except ValueError as exc:  # a layer the structural method cannot make weight-free (said, not raised)
        out.excluded = f"no structural ERF: {exc}"
        return out
    try:
        out.maps["structural_kp"] = structural_erf(kernel_pad(model), input_size, target="output", dtype=torch.float32)
    except ValueError as exc:  # odd feature maps at a stride-2 layer: KP would change shapes
        out.kp_note = str(exc).split(". Use")[0]
    _measure(out)
    return out


def _untraced(out: DeadPixelReport, model: nn.Module, input_size: tuple[int, int], why: str) -> DeadPixelReport:
    """The part of the test that needs no graph: structural maps from the module tree, before and
    after kernel padding, and their imbalance."""
    out.untraced = why.split(". If a custom layer", maxsplit=1)[0]
    try:
        out.maps["structural"] = untraced_structural_erf(model, input_size)
    except ValueError as exc:
        out.excluded = f"untraceable, and its module tree gives no structural ERF: {exc}"
        return out
    try:
        out.maps["structural_kp"] = untraced_structural_erf(kernel_pad(model), input_size)
    except ValueError as exc:
        out.kp_note = str(exc).split(". Use")[0]
    _measure(out)
    return out


def _measure(out: DeadPixelReport) -> None:
    for key, prefix in (("structural", ""), ("structural_kp", "kp_")):
        if key in out.maps:
            l1, l2 = imbalance_indices(out.maps[key])
            out.metrics.update({f"{prefix}L1": l1, f"{prefix}L2": l2, f"{prefix}lattice": lattice_ratio(out.maps[key])})


__all__ = ["DeadPixelReport", "dead_pixel_test"]
