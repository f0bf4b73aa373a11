"""Effective receptive field (Algorithm 1 of the paper) and its weight-free structural version."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .graph import _ScopedTracer, available_targets, cut_at, last_node_in, trace
from .receptive_field import _target_node, propagate

Position = str | tuple[int, int]


class _StopForward(Exception):
    """Raised by the target hook: nothing after the target is needed for the gradient."""


def _first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def _check_images(x: torch.Tensor, model: nn.Module) -> None:
    if x.dim() != 4:
        raise ValueError(f"images must be a 4-D tensor (N, C, H, W); got shape {tuple(x.shape)}")
    conv = _first_conv(model)
    if conv is not None and x.shape[1] != conv.in_channels:
        raise ValueError(f"images have {x.shape[1]} channels but the model's first convolution expects {conv.in_channels}")


def _batches(images: Any, labels: Any, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """Yield (images, labels) batches from a tensor, an iterable of tensors or (images, labels) pairs."""
    if isinstance(images, torch.Tensor):
        lab = None if labels is None else torch.as_tensor(labels)
        if lab is not None and len(lab) != len(images):
            raise ValueError(f"got {len(lab)} labels for {len(images)} images")
        for i in range(0, len(images), batch_size):
            yield images[i:i + batch_size], None if lab is None else lab[i:i + batch_size]
        return
    if isinstance(images, np.ndarray):
        yield from _batches(torch.from_numpy(images), labels, batch_size)
        return
    for batch in images:
        if isinstance(batch, (tuple, list)):
            yield batch[0], torch.as_tensor(batch[1])
        else:
            yield batch, None


def _position(shape: torch.Size, position: Position, target: str) -> tuple[int, int]:
    h, w = shape[-2], shape[-1]
    if position == "center":
        return h // 2, w // 2
    if not (isinstance(position, tuple) and len(position) == 2):
        raise ValueError(f"position must be 'center' or a (row, col) tuple; got {position!r}")
    i, j = position
    if not (0 <= i < h and 0 <= j < w):
        raise ValueError(f"position {position} is outside the {h}x{w} map of {target!r}")
    return int(i), int(j)


def _resolve_target(model: nn.Module, target: str) -> nn.Module | None:
    if target == "output":
        return None
    try:
        return model.get_submodule(target)
    except AttributeError:
        raise ValueError(f"unknown target layer {target!r}; available: {available_targets(model)} "
                         "(or any dotted submodule name, or 'output')") from None


def _channel_mean_at(feat: torch.Tensor, position: Position, target: str) -> torch.Tensor:
    """Per-image channel mean of a (N, C, H, W) feature map at ``position``."""
    i, j = _position(feat.shape, position, target)
    return feat[:, :, i, j].mean(dim=1)


def _label_logit(out: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """Per-image logit of the image's label."""
    if y is None:
        raise ValueError("target='output' needs the label of every image (labels=... or (images, labels) batches)")
    return out.gather(1, y.to(out.device).long().view(-1, 1)).squeeze(1)


def _objective(model: nn.Module, module: nn.Module | None, x: torch.Tensor, y: torch.Tensor | None,
               position: Position, target: str) -> torch.Tensor:
    """Per-image scalar F (channel-mean of the target at ``position``, or the label's logit)."""
    if module is None:
        return _label_logit(model(x), y)
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        captured.append(out)
        raise _StopForward

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _StopForward:
        pass
    finally:
        handle.remove()
    return _channel_mean_at(captured[0], position, target)


def _truncate_and_fold(model: nn.Module, target: str) -> torch.fx.GraphModule | None:
    """An eval-mode copy of ``model`` that stops at ``target`` and has BatchNorm folded into the
    preceding convolutions: the same function up to rounding, fewer operations per pass.
    None if the model cannot be traced."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = copy.deepcopy(model).eval()
    try:
        graph = _ScopedTracer().trace(model)
    except Exception:  # noqa: BLE001 - any untraceable model falls back to hooks
        return None
    gm = torch.fx.GraphModule(model, graph)
    if target == "output":
        tgt = next(n for n in gm.graph.nodes if n.op == "output").args[0]
    else:
        tgt = last_node_in(gm.graph, target)
    if not isinstance(tgt, torch.fx.Node):
        return None
    cut_at(gm, tgt)
    modules = dict(gm.named_modules())
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or not isinstance(modules[node.target], nn.BatchNorm2d):
            continue
        prev = node.args[0]
        if (isinstance(prev, torch.fx.Node) and prev.op == "call_module" and len(prev.users) == 1
                and isinstance(modules[prev.target], nn.Conv2d) and modules[node.target].track_running_stats):
            fused = fuse_conv_bn_eval(modules[prev.target], modules[node.target])
            parent, _, leaf = str(prev.target).rpartition(".")
            setattr(gm.get_submodule(parent) if parent else gm, leaf, fused)
            node.replace_all_uses_with(prev)
            gm.graph.erase_node(node)
    gm.graph.lint()
    gm.recompile()
    return gm


def effective_rf(model: nn.Module, images: Any, target: str = "layer4", position: Position = "center",
                 labels: Any = None, batch_size: int = 8, device: str | torch.device | None = None,
                 progress: bool = True, channels_last: bool = True, fold_batchnorm: bool = True) -> np.ndarray:
    """ERF map R (H x W) of ``target`` by Algorithm 1: per-image input gradient of the channel-mean
    feature at ``position``, averaged over colour channels, ReLU per image, mean over images.

    Images of one batch are independent in eval mode, so one backward pass of the summed objective
    gives every image's own gradient; parameters get no gradients. With ``fold_batchnorm`` a
    traceable model is cut after the target and its eval-mode BatchNorms are folded into the
    convolutions (the same function up to rounding); other models run as they are, with a hook.
    """
    param = next(model.parameters())
    device = torch.device(device) if device is not None else param.device
    dtype = param.dtype if param.is_floating_point() else torch.float32
    module = _resolve_target(model, target)
    fast = _truncate_and_fold(model, target) if fold_batchnorm else None
    runner = fast if fast is not None else model  # the fast copy leaves the caller's model untouched
    was_training = runner.training
    flags = [p.requires_grad for p in runner.parameters()]
    runner.eval()
    for p in runner.parameters():
        p.requires_grad_(False)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    runner.to(device=device, memory_format=fmt)
    total: torch.Tensor | None = None
    count = 0
    try:
        for x, y in tqdm(_batches(images, labels, batch_size), desc=f"ERF {target}", disable=not progress, leave=False):
            _check_images(x, model)
            x = x.to(device=device, dtype=dtype).contiguous(memory_format=fmt).requires_grad_(True)
            try:
                if fast is None:
                    objective = _objective(model, module, x, y, position, target)
                elif module is None:
                    objective = _label_logit(fast(x), y)
                else:
                    objective = _channel_mean_at(fast(x), position, target)
            except RuntimeError as exc:
                raise ValueError(f"the model cannot take {tuple(x.shape[-2:])} images: {exc}") from exc
            (grad,) = torch.autograd.grad(objective.sum(), x)
            g = F.relu(grad.mean(dim=1)).sum(dim=0, dtype=torch.float64)
            total = g if total is None else total + g
            count += x.shape[0]
    finally:
        for p, flag in zip(runner.parameters(), flags):
            p.requires_grad_(flag)
        runner.train(was_training)
    if total is None:
        raise ValueError("no images were given to effective_rf")
    return (total / count).cpu().numpy()


def _uniform_(module: nn.Module) -> None:
    with torch.no_grad():
        if isinstance(module, nn.Conv2d):
            k = module.weight[0].numel()  # (C_in / groups) * kh * kw
            module.weight.fill_(1.0 / k)
        elif isinstance(module, nn.Linear):
            module.weight.fill_(1.0 / module.in_features)
        if getattr(module, "bias", None) is not None and isinstance(module, (nn.Conv2d, nn.Linear)):
            module.bias.zero_()


_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.GELU, nn.LeakyReLU, nn.ELU, nn.Mish, nn.Dropout,
                nn.Dropout2d, nn.BatchNorm2d)
_FUNCTIONAL_ACTIVATIONS = {F.relu, torch.relu, F.relu6, F.silu, F.hardswish, F.gelu, F.dropout, F.leaky_relu,
                           F.layer_norm, F.batch_norm, F.group_norm}


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def linearise(model: nn.Module, input_size: int | tuple[int, int] = 224) -> torch.fx.GraphModule:
    """A weight-free copy: every kernel uniform (positive, summing to one), no activations or batch
    norms, max-pooling replaced by average pooling. Only the architecture is left."""
    traced = trace(copy.deepcopy(model).float().cpu(), input_size)
    gm = traced.module
    for name, m in list(gm.named_modules()):
        if not name:
            continue
        parent, _, leaf = name.rpartition(".")
        owner = gm.get_submodule(parent) if parent else gm
        if isinstance(m, _ACTIVATIONS):
            setattr(owner, leaf, nn.Identity())
        elif isinstance(m, nn.MaxPool2d):
            if m.dilation not in (1, (1, 1)):
                raise ValueError(f"dilated max-pool at {name!r} has no average-pool counterpart")
            setattr(owner, leaf, nn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode))
        elif isinstance(m, nn.AdaptiveMaxPool2d):
            setattr(owner, leaf, nn.AdaptiveAvgPool2d(m.output_size))
        elif isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
            setattr(owner, leaf, nn.Identity())
        else:
            _uniform_(m)
    handled = {id(p) for m in gm.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) for p in m.parameters()}
    with torch.no_grad():
        for p in gm.parameters():
            if id(p) not in handled:
                p.fill_(1.0)  # loose scales (e.g. ConvNeXt's layer_scale) become neutral
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target in _FUNCTIONAL_ACTIVATIONS:
            node.target = _identity  # keep the node (it may be the target), drop the nonlinearity
            node.args, node.kwargs = (node.args[0],), {}
        elif node.op == "call_function" and node.target is F.max_pool2d:
            a = list(node.args) + [None] * 6
            kw = dict(node.kwargs)
            kernel = a[1] if a[1] is not None else kw.get("kernel_size")
            stride = a[2] if a[2] is not None else kw.get("stride") or kernel
            padding = a[3] if a[3] is not None else kw.get("padding", 0)
            ceil = a[5] if a[5] is not None else kw.get("ceil_mode", False)
            node.target = F.avg_pool2d
            node.args = (node.args[0], kernel, stride, padding)
            node.kwargs = {"ceil_mode": bool(ceil)}
    gm.graph.lint()
    gm.recompile()
    return gm


def structural_erf(model: nn.Module, input_size: int | tuple[int, int] = 224, target: str | None = None,
                   position: Position = "center", dtype: torch.dtype = torch.float64) -> np.ndarray:
    """The ERF that the architecture alone produces: the input gradient of the ``target`` feature
    (``None`` = last spatial map, ``"output"`` = the first logit) through :func:`linearise`'d ``model``."""
    traced = trace(model, input_size)
    env = propagate(traced)
    node = _target_node(traced, target)
    if env[node.name] is not None and env[node.name].global_reason and target != "output":
        raise ValueError(f"the receptive field of {target or 'the final feature map'} is global "
                         f"({env[node.name].global_reason}); a structural ERF would be meaningless")
    gm = linearise(model, input_size)
    tgt = next((n for n in gm.graph.nodes if n.name == node.name), None)
    if tgt is None:
        raise ValueError(f"target node {node.name} vanished during linearisation; pick another target")
    cut_at(gm, tgt)
    gm = gm.to(dtype)
    hw = traced.input_size
    x = torch.ones(1, 3, *hw, dtype=dtype, requires_grad=True)
    out = gm(x)
    if out.dim() == 4:
        objective = _channel_mean_at(out, position, target or "final map").sum()
    else:
        objective = out.reshape(1, -1)[:, 0].sum()
    (grad,) = torch.autograd.grad(objective, x)
    return F.relu(grad.mean(dim=1))[0].cpu().numpy().astype(np.float64)
