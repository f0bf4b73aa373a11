"""The dead-pixel test of a trained network on images: Algorithm 1's ERF (:func:`effective_rf`) of
each image's top-1 logit, or of a layer's centre, with the metrics of :mod:`.erf_metrics`. The
structural test (:func:`deadpixels.dead_pixel_test`) says where a checkerboard can come from; this
says whether the trained weights show one."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .erf import effective_rf
from .erf_metrics import trained_metrics
from .utils import require_module


def trained_erf_test(
    model: nn.Module,
    images: torch.Tensor,
    target: str = "output",
    labels: Any = None,
    batch_size: int = 8,
    device: Any = None,
    progress: bool = True,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The mean ERF map over ``images`` and its metrics (:func:`trained_metrics`). For ``target=
    "output"`` without ``labels``, each image's top-1 class is used, read from the forward pass that
    the ERF's gradient goes back through (one pass instead of two: a no-gradient pass to find the
    classes cost a quarter of the test on EfficientNet-B0, two CPU cores)."""
    require_module(model, "the trained dead-pixel test")  # effective_rf refuses NaN weights before any work
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or not len(images):
        raise ValueError("the trained test needs images as a non-empty (N, C, H, W) tensor")
    if target == "output" and labels is None:
        labels = "top1"
    maps, used = effective_rf(
        model, images, target=target, labels=labels, batch_size=batch_size, device=device, progress=progress,
        per_image=True, return_labels=True,
    )  # fmt: skip
    metrics = trained_metrics(maps)
    if used is not None:
        metrics["labels"] = [int(v) for v in used]
    return maps.mean(0).astype(np.float64), metrics


__all__ = ["trained_erf_test"]
