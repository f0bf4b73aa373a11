"""Effective receptive field (Algorithm 1 of the paper) and its weight-free structural version."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .erf_inputs import Position, batches, check_device, check_finite_model, check_images, map_position
from .functionalise import MODEL_ERRORS, agrees_at_target, run_to
from .graph import available_targets, cut_at, input_channels, trace, truncate, unknown_target
from .input_gradient import EvalBatchNormGradient
from .linearised import linearise
from .receptive_field import propagate, target_node
from .utils import evaluating, full_float32, placement, require_module


def target_module(model: nn.Module, target: str) -> nn.Module | None:
    """The module named ``target`` (None for ``"output"``), or a ValueError naming close names."""
    if not isinstance(target, str) or not target:
        raise ValueError(
            f"target must be a module name or 'output'; got {target!r}. Available: {available_targets(model)}"
        )
    if target == "output":
        return None
    try:
        return model.get_submodule(target)
    except AttributeError:
        raise unknown_target(model, target) from None


def channel_mean_at(feat: torch.Tensor, position: Position, target: str) -> torch.Tensor:
    """Per-image channel mean of a (N, C, H, W) feature map at ``position``."""
    if feat.dim() != 4:
        raise ValueError(
            f"target {target!r} gives a {tuple(feat.shape)} output, not a (N, C, H, W) feature map; "
            "use target='output' for the label's logit, or a convolutional stage"
        )
    i, j = map_position(feat.shape, position, target)
    return feat[:, :, i, j].mean(dim=1)


def label_logit(out: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """Per-image logit of the image's label."""
    if y is None:
        raise ValueError("target='output' needs the label of every image (labels=... or (images, labels) batches)")
    if out.dim() != 2:
        raise ValueError(f"target='output' needs (N, classes) logits; the model returns {tuple(out.shape)}")
    y = y.to(out.device).long().view(-1, 1)
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= out.shape[1]):
        bad = sorted({int(v) for v in y.flatten() if not 0 <= int(v) < out.shape[1]})
        raise ValueError(f"labels {bad} are out of range: the model has {out.shape[1]} classes (0-{out.shape[1] - 1})")
    return out.gather(1, y).squeeze(1)


def _hooked(model: nn.Module, target: str, device: torch.device) -> tuple[nn.Module, nn.Module | None]:
    """The model to run with a hook, and its target module (None for ``"output"``): the caller's
    model itself on its own device (put in eval mode for the call only; its parameters keep
    ``requires_grad``, which costs nothing: ``torch.autograd.grad`` computes the input's gradient
    alone), or an eval-mode copy on another device. A copy of the model on its own device bought
    nothing: channels-last inputs make the convolutions run channels-last with the weights as they
    are."""
    runner = model if placement(model)[0] == device else copy.deepcopy(model).to(device).eval()
    return runner, None if target == "output" else runner.get_submodule(target)


def effective_rf(
    model: nn.Module,
    images: Any,
    target: str = "layer4",
    position: Position = "center",
    labels: Any = None,
    batch_size: int = 8,
    device: str | torch.device | None = None,
    progress: bool = True,
    channels_last: bool = True,
    fold_batchnorm: bool | None = None,
    per_image: bool = False,
    return_labels: bool = False,
) -> Any:
    """ERF map R (H x W) of ``target`` by Algorithm 1 of the paper.

    Per image: F = channel mean of the target map at ``position`` (or, for ``target="output"``, the
    logit of the image's label); G = dF/dI averaged over colour channels; R = mean over images of
    ReLU(G). Images of one eval-mode batch are independent, so one backward pass of the summed
    objective gives every image's own gradient, and the ReLU still acts per image. Parameters get
    no gradients. The model runs as it is, with a hook that stops the forward pass at the target;
    in float64 a traceable model is instead cut after the target with its BatchNorms folded into
    the convolutions (the same function up to rounding, see ``fold_batchnorm``). Convolutions run
    in full float32 on a GPU (TF32 off, see :func:`deadpixels.utils.full_float32`).

    Args:
        model: the CNN (left unchanged).
        images: a (N, C, H, W) tensor or array, or an iterable of tensors or (images, labels) batches.
        target: a module name or ``"output"``.
        position: where on the target map F is taken.
        labels: one label per image, needed for ``"output"``; or ``"top1"``: each image's top-1
            class, read from the same forward pass (the paper's "ERF of the output", with no
            separate pass to find the classes first).
        batch_size: images per backward pass (tensor input only).
        device: where to compute (default: the model's device).
        progress: show a tqdm bar.
        channels_last: run convolutions in channels-last memory format.
        fold_batchnorm: use the traced copy cut after the target, with BatchNorm folded into the
            convolutions where possible (False: the model as it is, with a hook). None (default):
            fold in float64 only, where folding is exact to 1e-15. In float32 folding tripled the
            largest deviation from the float64 map on a trained EfficientNet-Lite0 (1.8% against
            0.6% of the peak, 64 images at 160 px: a few pixels where rounding flips a ReLU6 clamp);
            folding in float64 and rounding the folded weights once does not help: 4.2% against
            0.7%, and twice the logits' error (2026-12-04). A traced copy that is not folded runs
            the same operations as the hooked model, and pays for the tracing and the check that
            it computes what the model does (0.1-0.3 s a call on two cores: 10-25% of 21 images
            through ResNet-50 or EfficientNet-B0), so float32 runs the model itself.
        per_image: return every image's own map ReLU(G) instead of their mean (for bootstraps).
        return_labels: also return the label each image's logit was taken for (a tensor; None for
            a layer target).

    Returns:
        R as a float64 (H, W) array, or the (N, H, W) per-image maps with ``per_image`` (float64 for a
        float64 model, else float32); with ``return_labels``, the pair (maps, labels).
    """
    require_module(model, "effective_rf")
    if images is None:
        raise ValueError("effective_rf needs images: a (N, C, H, W) tensor or array, or an iterable of batches")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    default_device, dtype = placement(model)
    device = check_device(device) or default_device
    map_position(torch.Size((1, 1, 1 << 30, 1 << 30)), position, target)  # a malformed position fails before any work
    check_finite_model(model)
    module = target_module(model, target)
    top1 = isinstance(labels, str)
    if top1 and (labels != "top1" or target != "output"):
        raise ValueError(f"labels may be 'top1' (with target='output') or one label per image; got {labels!r}")
    fold = dtype == torch.float64 if fold_batchnorm is None else fold_batchnorm
    fast = truncate(model, target, fold=True) if fold else None
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if fast is not None:  # a truncated copy: the caller's model is never touched
        runner = fast.eval().requires_grad_(False).to(device=device, memory_format=fmt)
    else:
        runner, module = _hooked(model, target, device)
    checked = fast is None
    total: torch.Tensor | None = None
    count = 0
    maps: list[torch.Tensor] = []
    used: list[torch.Tensor] = []
    first_hw = None
    given = batches(images, None if top1 else labels, batch_size)
    bar = tqdm(given, desc=f"ERF {target}", disable=not progress, leave=False)
    # TF32 would move a float32 map by percents of its peak on a GPU; gradients are needed even
    # where the caller is inside torch.no_grad(); eval BatchNorm back-propagates as one multiply
    with full_float32(), torch.enable_grad(), evaluating(model), EvalBatchNormGradient():
        for x, y in bar:
            check_images(x, y, model)
            if first_hw is not None and x.shape[-2:] != first_hw:
                raise ValueError(f"a batch has {tuple(x.shape[-2:])} images after {tuple(first_hw)}: one size for all")
            first_hw = x.shape[-2:]
            x = x.to(device=device, dtype=dtype).contiguous(memory_format=fmt).requires_grad_(True)
            if not bool(torch.isfinite(x).all()):  # finite in float32, infinite after a cast to float16
                raise ValueError(f"images overflow the model's {dtype}: {int((~torch.isfinite(x)).sum())} values")
            if not checked and not agrees_at_target(runner, model, module, x[:1].detach()):
                fast, (runner, module) = None, _hooked(model, target, device)
            checked = True
            try:
                out = run_to(runner, x, module) if fast is None else fast(x)
            except RuntimeError as exc:
                raise ValueError(f"the model cannot take {tuple(x.shape[-2:])} images: {exc}") from exc
            except MODEL_ERRORS as exc:
                raise ValueError(f"the model's own forward raised {type(exc).__name__}: {exc}") from exc
            if target == "output":
                y = out.detach().argmax(1) if top1 else y
                objective = label_logit(out, y)
                used.append(y.cpu())
            else:
                objective = channel_mean_at(out, position, target)
            (grad,) = torch.autograd.grad(objective.sum(), x)
            per = F.relu(grad.mean(dim=1))
            if per_image:
                maps.append(per.to(torch.float64 if dtype == torch.float64 else torch.float32).cpu())
            g = per.sum(dim=0, dtype=torch.float64)
            total = g if total is None else total + g
            count += x.shape[0]
    if total is None:
        raise ValueError("no images were given to effective_rf")
    result = torch.cat(maps).numpy() if per_image else (total / count).cpu().numpy()
    if return_labels:
        return result, torch.cat(used).long() if used else None
    return result


def structural_erf(
    model: nn.Module,
    input_size: int | tuple[int, int] = 224,
    target: str | None = None,
    position: Position = "center",
    dtype: torch.dtype = torch.float64,
) -> np.ndarray:
    """The ERF that the architecture alone produces: the input gradient of the ``target`` feature
    through the :func:`~deadpixels.linearised.linearise`'d ``model`` (uniform kernels, no activations),
    for an all-ones input. No weights and no data enter, so it isolates what the layout of kernels
    and strides does to pixel sensitivity.

    Args:
        model: a traceable CNN (left unchanged).
        input_size: the input side length or ``(h, w)``.
        target: a module name, ``None`` (the last spatial map) or ``"output"`` (the first logit).
        position: where on a spatial target map the feature is taken.
        dtype: computation dtype (float64 for exact comparisons).

    Returns:
        The (H, W) float64 map, ReLU'd as in Algorithm 1.
    """
    traced = trace(model, input_size)
    env = propagate(traced)
    node = target_node(traced, target)
    if env[node.name] is not None and env[node.name].global_reason and target != "output":
        raise ValueError(
            f"the receptive field of {target or 'the final feature map'} is global "
            f"({env[node.name].global_reason}); a structural ERF would be meaningless"
        )
    gm = linearise(model, input_size).module
    tgt = next((n for n in gm.graph.nodes if n.name == node.name), None)
    if tgt is None:
        raise ValueError(f"target node {node.name} vanished during linearisation; pick another target")
    cut_at(gm, tgt)
    gm = gm.to(dtype)
    hw = traced.input_size
    x = torch.ones(1, input_channels(model), *hw, dtype=dtype, requires_grad=True)
    out = gm(x)
    if out.dim() == 4:
        objective = channel_mean_at(out, position, target or "final map").sum()
    else:
        objective = out.reshape(1, -1)[:, 0].sum()
    (grad,) = torch.autograd.grad(objective, x)
    return F.relu(grad.mean(dim=1))[0].cpu().numpy().astype(np.float64)
