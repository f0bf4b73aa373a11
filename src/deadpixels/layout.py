"""Where a tensor's height and width are: the axes that a traced node's spatial positions lie on.

A 4-D input has them at axes 2 and 3. ``permute`` and ``transpose`` move them; a channels-last
block (ConvNeXt's ``permute(0, 2, 3, 1)``, LayerNorm and Linear over the channels, and back) is
pointwise only because its Linear acts on the channels. The same Linear applied over the width
mixes every column, and a convolution after ``transpose(2, 3)`` slides its kernel's height along
the input's width. :func:`hw_axes` follows the two axes through the graph, and
:func:`spatial_mixing` names an operation that mixes along one of them, so the rules say so
instead of calling it pointwise. Where a reshape makes the axes unknowable, ``None`` is recorded
and the rules keep the NCHW reading of the map.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .fx_args import call_arg

Axes = tuple[int, int]
NCHW: Axes = (2, 3)
#: Layers that act along the last axis (Linear) or along one chosen axis (``dim``).
LAST_AXIS_MODULES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Bilinear, nn.LazyLinear)
DIM_MODULES: tuple[type[nn.Module], ...] = (nn.Softmax, nn.LogSoftmax, nn.Softmin, nn.GLU)
#: Functions and methods that act along an axis named by ``dim`` (argument index), default given.
DIM_FUNCTIONS = {
    F.softmax: (1, None), F.log_softmax: (1, None), F.softmin: (1, None), torch.softmax: (1, None),
    torch.log_softmax: (1, None), torch.cumsum: (1, None), torch.cumprod: (1, None), F.normalize: (2, 1),
    F.glu: (1, -1), torch.sort: (1, -1), torch.argsort: (1, -1), torch.logsumexp: (1, None),
}  # fmt: skip
DIM_METHODS = {
    "softmax": (1, None), "log_softmax": (1, None), "cumsum": (1, None), "cumprod": (1, None), "sort": (1, -1),
    "argsort": (1, -1), "logsumexp": (1, None),
}  # fmt: skip
#: Functions and methods that act along several axes named by ``dims``.
DIMS_FUNCTIONS = {torch.flip: 1, torch.roll: 2, torch.fft.fft2: None, torch.fft.rfft2: None}
#: Methods and functions that reshape: they keep the axes only where they keep the shape.
RESHAPES = {"view", "reshape", "flatten", "unflatten", "movedim", "squeeze", "unsqueeze", "view_as", "reshape_as"}


def _shape(node: Any) -> tuple[int, ...] | None:
    """A node's output shape; for a tuple of tensors of one rank (``chunk``, ``split``), the first's."""
    s = node.meta.get("shape") if isinstance(node, torch.fx.Node) else None
    if isinstance(s, tuple) and s and all(isinstance(t, torch.Size) and len(t) == len(s[0]) for t in s):
        s = s[0]
    return tuple(s) if isinstance(s, torch.Size) else None


def _source(node: torch.fx.Node) -> torch.fx.Node | None:
    """The first input whose spatial axes are known."""
    return next((a for a in node.all_input_nodes if a.meta.get("hw_axes") is not None), None)


def _dims(value: Any, rank: int) -> list[int]:
    values = value if isinstance(value, (tuple, list)) else [value]
    return [int(v) % rank for v in values if isinstance(v, int)]


def _softmax_dim(dim: Any, rank: int) -> Any:
    """The axis a softmax-like call acts on: ``dim``, or torch's legacy implicit choice where it is
    None (axis 0 for 0-, 1- and 3-D inputs, else axis 1)."""
    if dim is not None:
        return dim
    return 0 if rank in (0, 1, 3) else 1


def _permuted(node: torch.fx.Node, axes: Axes, rank: int) -> Axes | None:
    """The axes after ``permute``: output axis i is input axis perm[i]."""
    rest = node.args[1:]
    perm = list(rest[0]) if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else list(rest)
    perm = [int(p) % rank for p in (perm or list(call_arg(node, 1, "dims", ())))]
    if sorted(perm) != list(range(rank)):
        return None
    return (perm.index(axes[0]), perm.index(axes[1]))


def hw_axes(node: torch.fx.Node) -> Axes | None:
    """The axes of ``node``'s output that hold the input's height and width (in that order), from
    its inputs' ``meta['hw_axes']``; None where unknown or not a tensor of at least 2 axes."""
    shape = _shape(node)
    if node.op == "placeholder":
        return NCHW if shape is not None and len(shape) == 4 else None
    source = _source(node)
    before = _shape(source) if source is not None else None
    if shape is None or before is None:
        return None
    axes, r = source.meta["hw_axes"], len(before)
    name = str(node.target) if node.op == "call_method" else getattr(node.target, "__name__", "")
    if node.op in ("call_method", "call_function") and name == "permute":
        return _permuted(node, axes, r) if len(shape) == r else None
    if node.op in ("call_method", "call_function") and name in ("transpose", "swapaxes"):
        a, b = (int(call_arg(node, i, k, 0)) % r for i, k in ((1, "dim0"), (2, "dim1")))
        swap = {a: b, b: a}
        return (swap.get(axes[0], axes[0]), swap.get(axes[1], axes[1]))
    reshapes = node.op in ("call_method", "call_function") and name in RESHAPES
    if len(shape) == r and not (reshapes and shape != before):
        return axes  # convolutions, pools, elementwise: the axes stay where they are
    if axes == (r - 2, r - 1) and len(shape) >= 2 and shape[-2:] == before[-2:]:
        return (len(shape) - 2, len(shape) - 1)  # a channel shuffle's view(n, g, c // g, h, w)
    return None


def _over(dims: list[int], axes: Axes, shape: tuple[int, ...]) -> str | None:
    """'the height', 'the width' or 'the height and width' where ``dims`` cover spatial axes longer
    than 1."""
    hit = [n for n, a in zip(("height", "width"), axes) if a in dims and shape[a] > 1]
    return " and ".join(f"the {h}" for h in hit) if hit else None


def spatial_mixing(node: torch.fx.Node, module: nn.Module | None) -> str | None:
    """What ``node`` mixes along a spatial axis (e.g. 'Linear over the width'), or None where it
    acts on each spatial position alone, or where the axes are unknown."""
    source = _source(node)
    shape = _shape(source) if source is not None else None
    if shape is None:
        return None
    axes = source.meta["hw_axes"]
    r = len(shape)
    dims: list[int] | None = None
    label = type(module).__name__ if module is not None else getattr(node.target, "__name__", str(node.target))
    if node.op == "call_module":
        if isinstance(module, LAST_AXIS_MODULES):
            dims = [r - 1]
        elif isinstance(module, DIM_MODULES):
            dim = getattr(module, "dim", None)
            dims = _dims(_softmax_dim(dim, r), r)
        elif isinstance(module, nn.LayerNorm):
            dims = list(range(r - len(module.normalized_shape), r))
    elif node.op == "call_function":
        fn = node.target
        if fn is F.linear:
            dims = [r - 1]
        elif fn is F.layer_norm:
            dims = list(range(r - len(call_arg(node, 1, "normalized_shape", ())), r))
        elif fn in DIM_FUNCTIONS:
            index, default = DIM_FUNCTIONS[fn]
            dim = call_arg(node, index, "dim", default)
            dims = _dims(_softmax_dim(dim, r), r)
        elif fn in DIMS_FUNCTIONS:
            index = DIMS_FUNCTIONS[fn]
            value = call_arg(node, index, "dims", None) if index is not None else (-2, -1)
            dims = list(range(r)) if value is None else _dims(value, r)
    elif node.op == "call_method":
        name = str(node.target).rstrip("_")
        if name in DIM_METHODS:
            index, default = DIM_METHODS[name]
            dim = call_arg(node, index, "dim", default)
            dims = _dims(_softmax_dim(dim, r), r)
        elif name == "flip":
            value = node.args[1] if len(node.args) == 2 else list(node.args[1:]) or call_arg(node, 1, "dims", ())
            dims = _dims(value, r)
        elif name == "roll":
            value = call_arg(node, 2, "dims", None)
            dims = list(range(r)) if value is None else _dims(value, r)
    over = _over(dims, axes, shape) if dims is not None else None
    return f"{label} over {over}" if over else None


def mixed_frame(node: torch.fx.Node) -> Axes | None:
    """The spatial axes of ``node``'s first input, where they are not NCHW's (2, 3): a window or a
    slice there acts on the input's axes in that order. None where they are NCHW's or unknown."""
    source = _source(node)
    axes = source.meta["hw_axes"] if source is not None else None
    return None if axes is None or axes == NCHW else axes


__all__ = ["Axes", "NCHW", "hw_axes", "spatial_mixing", "mixed_frame"]
