"""The inputs of :func:`deadpixels.effective_rf`, checked before and while they are used: images
(4-D, finite, the model's channels, one label each), the model's own weights (finite), the batches
a tensor, an array or an iterable gives, and the position on the target map (whole numbers, on it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

#: Where on the target map F is taken: ``"center"`` (``(H // 2, W // 2)``, the paper's [3, 3] of a
#: 7x7 map) or an explicit ``(row, col)``.
Position = str | tuple[int, int]


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def check_images(x: torch.Tensor, y: torch.Tensor | None, model: nn.Module) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"images must be a 4-D tensor (N, C, H, W); got {shape}")
    conv = first_conv(model)
    if conv is not None and x.shape[1] != conv.in_channels:
        raise ValueError(
            f"images have {x.shape[1]} channels but the model's first convolution expects {conv.in_channels}"
        )
    if x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"images contain {int((~torch.isfinite(x)).sum())} NaN or infinite values")
    if y is not None and len(y) != len(x):
        raise ValueError(f"a batch has {len(x)} images but {len(y)} labels; give one label per image")


def check_finite_model(model: nn.Module) -> None:
    """Refuse a model with NaN or infinite weights or buffers (its every map would be NaN). One sum
    per tensor, one test per device: a NaN or an infinity makes its tensor's sum non-finite. Only
    then is each tensor tested on its own, to name it (a sum that merely overflowed passes there)."""
    named = [(n, t) for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_floating_point()]
    sums: dict[torch.device, list[torch.Tensor]] = {}
    with torch.no_grad():
        for _, t in named:
            sums.setdefault(t.device, []).append(t.sum(dtype=torch.float64))
        if all(bool(torch.isfinite(torch.stack(s)).all()) for s in sums.values()):
            return
        for name, t in named:
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"the model's {name} holds {int((~torch.isfinite(t)).sum())} NaN or infinite values")


def batches(images: Any, labels: Any, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Yield (images, labels) batches from a tensor, an iterable of tensors or (images, labels) pairs."""
    if isinstance(images, torch.Tensor):
        lab = None if labels is None else torch.as_tensor(labels)
        if lab is not None and len(lab) != len(images):
            raise ValueError(f"got {len(lab)} labels for {len(images)} images")
        for i in range(0, len(images), batch_size):
            yield images[i : i + batch_size], None if lab is None else lab[i : i + batch_size]
        return
    if isinstance(images, np.ndarray):
        yield from batches(torch.from_numpy(images), labels, batch_size)
        return
    for batch in images:
        if isinstance(batch, (tuple, list)):
            yield batch[0], torch.as_tensor(batch[1])
        else:
            yield batch, None


def map_position(shape: torch.Size, position: Position, target: str) -> tuple[int, int]:
    h, w = shape[-2], shape[-1]
    if position == "center":
        return h // 2, w // 2
    whole = isinstance(position, tuple) and len(position) == 2
    if not (whole and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in position)):
        raise ValueError(f"position must be 'center' or a (row, col) tuple of whole numbers; got {position!r}")
    i, j = position
    if i < 0 or j < 0:
        raise ValueError(f"position {position} has a negative coordinate; rows and columns count from 0")
    if not (i < h and j < w):
        raise ValueError(f"position {position} is outside the {h}x{w} map of {target!r}")
    return int(i), int(j)


def check_device(device: Any) -> torch.device | None:
    """The device asked for, refused before any work where torch cannot use it."""
    if device is None:
        return None
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be a torch device such as 'cpu' or 'cuda:0'; got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no CUDA GPU here; use device='cpu'")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} asked for, but torch sees {torch.cuda.device_count()} CUDA GPUs")
    return dev


__all__ = ["check_device", "first_conv", "check_images", "check_finite_model", "batches", "map_position", "Position"]
