"""The receptive-field algebra, one rule per kind of operation: how a graph node's window size,
jump and effective padding follow from its inputs'. A k x k layer with dilation d and stride s maps
``(size, jump)`` to ``(size + (k-1)*d*jump, jump*s)``; subsampling by indexing is a 1 x 1 window
with the slice's step; where paths meet (residual add, concatenation) the largest extent wins.
Operations that mix all positions make the receptive field global. Layers registered with
:func:`deadpixels.operations.register_layer` follow their registered rule.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .operations import (
    GLOBAL_FUNCTIONS,
    GLOBAL_MODULES,
    PAD_MODULES,
    POINTWISE_FUNCTIONS,
    POINTWISE_METHODS,
    POINTWISE_MODULES,
    REDUCTIONS,
    RESHAPE_METHODS,
    WINDOW_MODULES,
    registered_mixing,
)
from .same_padding import SamePadConv2d
from .utils import to_pair

ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@dataclass(frozen=True)
class NodeRF:
    """Receptive field of one graph node, per axis (height, width): window ``size``, ``jump``
    between adjacent positions and effective ``padding`` (all in input pixels). Output position
    ``i`` sees input pixels ``i * jump - padding`` to ``i * jump - padding + size - 1``."""

    size: tuple[int, int]
    jump: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    global_reason: str | None = None


def _layer_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    if padding == "valid":
        return (0, 0)
    if padding == "same":  # torch pads (k - 1) * d in total, the smaller half first
        return tuple((k - 1) * d // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return to_pair(padding)


def window(rf: NodeRF, kernel: Any, stride: Any, dilation: Any = 1, padding: Any = 0) -> NodeRF:
    k, s, d = to_pair(kernel), to_pair(stride), to_pair(dilation)
    p = _layer_padding(padding, k, d)
    size = tuple(rf.size[a] + (k[a] - 1) * d[a] * rf.jump[a] for a in range(2))
    jump = tuple(rf.jump[a] * s[a] for a in range(2))
    pad = tuple(rf.padding[a] + p[a] * rf.jump[a] for a in range(2))
    return NodeRF(size, jump, pad, rf.global_reason)  # type: ignore[arg-type]


def shift(rf: NodeRF, top: int, left: int) -> NodeRF:
    """An explicit pad of ``top`` rows and ``left`` columns moves the window, keeping its size."""
    pad = (rf.padding[0] + top * rf.jump[0], rf.padding[1] + left * rf.jump[1])
    return NodeRF(rf.size, rf.jump, pad, rf.global_reason)


def combine(rfs: list[NodeRF], where: str = "") -> NodeRF | None:
    """Where paths meet, position ``i`` sees the union of the paths' windows ``[i*jump - padding,
    i*jump - padding + size - 1]``: with equal jumps, again such a window (the leftmost start, the
    rightmost end). Paths with different jumps meet in windows of no single size: refused."""
    if not rfs:
        return None
    reason = next((r.global_reason for r in rfs if r.global_reason), None)
    if reason is None and len({r.jump for r in rfs}) > 1:
        raise ValueError(
            f"paths with different strides {sorted({r.jump for r in rfs})} meet at '{where}': their windows "
            "differ from position to position, so no single receptive-field size describes the result"
        )
    pad = tuple(max(r.padding[a] for r in rfs) for a in range(2))
    size = tuple(max(r.size[a] - r.padding[a] for r in rfs) + pad[a] for a in range(2))
    return NodeRF(size, rfs[0].jump, pad, reason)  # type: ignore[arg-type]


def _arg(node: torch.fx.Node, index: int, name: str, default: Any) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _spatial_dims_reduced(node: torch.fx.Node, in_shape: Any) -> bool:
    dims = _arg(node, 1, "dim", None)
    if dims is None or in_shape is None or len(in_shape) != 4:
        return dims is None
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return any(int(d) % 4 in (2, 3) for d in dims)


def _global(rf: NodeRF, why: str, node: torch.fx.Node) -> NodeRF:
    node.meta["reduces"] = True  # this operation mixes all spatial positions
    return NodeRF(rf.size, rf.jump, rf.padding, rf.global_reason or why)


def _apply(rf: NodeRF, mixing: Any, node: torch.fx.Node, where: str) -> NodeRF:
    """Apply a registered rule (see :func:`~deadpixels.operations.register_layer`)."""
    if mixing == "pointwise":
        return rf
    if mixing == "global":
        return _global(rf, f"{node.meta.get('type_name', 'a registered global layer')} at '{where}'", node)
    return window(rf, mixing.kernel, mixing.stride, mixing.dilation, mixing.padding)


def _adaptive(rf: NodeRF, node: torch.fx.Node, in_shape: Any, name: str, where: str) -> NodeRF:
    """Adaptive pooling is ordinary pooling where each output side divides its input side, global
    where the output is 1 x 1; otherwise its bins differ in width and it is refused."""
    out_shape = node.meta.get("shape")
    if in_shape is None or out_shape is None:
        return _global(rf, f"{name} at '{where}'", node)
    (ih, iw), (oh, ow) = in_shape[-2:], out_shape[-2:]
    if oh == ow == 1:
        return _global(rf, f"{name} at '{where}'", node)
    if ih % oh or iw % ow:
        raise ValueError(
            f"{name} at '{where}' maps {ih}x{iw} to {oh}x{ow}: its bins differ in width, so no single "
            f"receptive-field size and stride describe it. Use an input size whose feature map there is a "
            f"multiple of {oh}x{ow}, or a target before it"
        )
    k = (ih // oh, iw // ow)
    return window(rf, k, k)


def _getitem(rf: NodeRF, node: torch.fx.Node, in_shape: Any, where: str) -> NodeRF:
    """Indexing: selecting a tensor from a tuple or slicing channels is pointwise; a slice
    ``start::step`` of a spatial axis is a 1 x 1 window with stride ``step`` whose first position
    is input position ``start`` (a "focus" or space-to-depth layer subsamples this way)."""
    if not (isinstance(in_shape, torch.Size) and len(in_shape) == 4):
        return rf
    index = node.args[1] if isinstance(node.args[1], tuple) else (node.args[1],)
    if any(i is None for i in index):
        raise ValueError(f"indexing with None (a new axis) at '{where}' is not supported")
    if Ellipsis in index:
        k = index.index(Ellipsis)
        index = index[:k] + (slice(None),) * (4 - len(index) + 1) + index[k + 1 :]
    index = index + (slice(None),) * (4 - len(index))
    start, step = [0, 0], [1, 1]
    for axis in (0, 1):
        entry = index[2 + axis]
        if not isinstance(entry, slice) or any(isinstance(v, torch.fx.Node) for v in (entry.start, entry.step)):
            raise ValueError(
                f"indexing a spatial axis with {entry!r} at '{where}' is not a fixed slice; only start:stop:step "
                "slices of the height and width have a receptive-field rule"
            )
        start[axis], _, step[axis] = entry.indices(int(in_shape[2 + axis]))
    if start == [0, 0] and step == [1, 1]:
        return rf
    return window(rf, 1, tuple(step), 1, (-start[0], -start[1]))


def _module_rule(
    node: torch.fx.Node, m: nn.Module, base: NodeRF, in_shape: Any, where: str
) -> NodeRF:
    mixing = registered_mixing(m)
    if mixing is not None:
        node.meta["type_name"] = type(m).__name__
        return _apply(base, mixing, node, where)
    if isinstance(m, SamePadConv2d) and in_shape is not None:  # TensorFlow "SAME": depends on the input size
        top, _, left, _ = m.same_padding((in_shape[-2], in_shape[-1]))
        return window(base, m.kernel_size, m.stride, m.dilation, (top, left))
    if isinstance(m, WINDOW_MODULES):
        return window(base, m.kernel_size, m.stride or m.kernel_size, getattr(m, "dilation", 1), m.padding)
    if isinstance(m, PAD_MODULES):
        left, _, top, _ = m.padding
        return shift(base, top, left)
    if isinstance(m, ADAPTIVE):
        return _adaptive(base, node, in_shape, type(m).__name__, where)
    if isinstance(m, GLOBAL_MODULES):
        return _global(base, f"{type(m).__name__} at '{where}'", node)
    if isinstance(m, nn.LayerNorm) and len(m.normalized_shape) == 1:
        return base
    if isinstance(m, nn.Flatten) and in_shape is not None and len(in_shape) == 4 and in_shape[2] * in_shape[3] > 1:
        return _global(base, f"Flatten of a spatial map at '{where}'", node)
    if isinstance(m, POINTWISE_MODULES):
        return base
    raise ValueError(
        f"theoretical_rf does not know how {type(m).__name__} at '{node.target}' mixes spatial positions; "
        "known: convolutions, pools and pointwise layers. Tell it with "
        "deadpixels.register_layer(cls, 'pointwise' | 'global' | Window(kernel, stride, padding))"
    )


def _function_rule(node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    fn = node.target
    if fn in (F.max_pool2d, F.avg_pool2d):
        kernel = _arg(node, 1, "kernel_size", None)
        stride = _arg(node, 2, "stride", None) or kernel
        padding = _arg(node, 3, "padding", 0)
        dilation = _arg(node, 4, "dilation", 1) if fn is F.max_pool2d else 1
        return window(base, kernel, stride, dilation, padding)
    if fn is F.conv2d:  # a functional convolution (e.g. BlurPool's fixed filter): kernel from the weight's shape
        weight = _arg(node, 1, "weight", None)
        shape = weight.meta.get("shape") if isinstance(weight, torch.fx.Node) else None
        if shape is None:
            raise ValueError(f"theoretical_rf cannot tell the kernel size of the conv2d call at '{where}'")
        kernel = (int(shape[-2]), int(shape[-1]))
        stride, padding = _arg(node, 3, "stride", 1), _arg(node, 4, "padding", 0)
        return window(base, kernel, stride, _arg(node, 5, "dilation", 1), padding)
    if fn is F.pad:
        pad = list(_arg(node, 1, "pad", ())) + [0, 0, 0, 0]
        return shift(base, int(pad[2]), int(pad[0]))
    if fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        return _adaptive(base, node, in_shape, fn.__name__, where)
    if fn is operator.getitem:
        return _getitem(base, node, in_shape, where)
    if fn in GLOBAL_FUNCTIONS:
        if fn in REDUCTIONS and not _spatial_dims_reduced(node, in_shape):
            return base
        return _global(base, f"{getattr(fn, '__name__', fn)} (mixes all positions) at '{where}'", node)
    if fn is torch.flatten:
        start = int(_arg(node, 1, "start_dim", 0))
        if in_shape is not None and len(in_shape) == 4 and start <= 2 and in_shape[2] * in_shape[3] > 1:
            return _global(base, f"flatten of a spatial map at '{where}'", node)
        return base
    if fn in POINTWISE_FUNCTIONS or getattr(fn, "__name__", "") == "stochastic_depth":
        return base
    raise ValueError(
        f"theoretical_rf does not know how function {getattr(fn, '__name__', fn)} at '{where}' "
        "mixes spatial positions; known: pools, global pooling, elementwise arithmetic, slicing"
    )


def _method_rule(node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    if node.target in ("mean", "sum", "amax", "max") and _spatial_dims_reduced(node, in_shape):
        return _global(base, f".{node.target}() over spatial dims at '{where}'", node)
    out_shape = node.meta.get("shape")
    if (
        node.target in RESHAPE_METHODS
        and in_shape is not None
        and len(in_shape) == 4
        and in_shape[2] * in_shape[3] > 1
        and out_shape is not None
        and len(out_shape) < 4
    ):
        return _global(base, f".{node.target}() merging spatial positions at '{where}'", node)
    if node.target in POINTWISE_METHODS or node.target in RESHAPE_METHODS:
        return base
    raise ValueError(f"theoretical_rf does not know how method .{node.target}() at '{where}' mixes spatial positions")


def node_rf(node: torch.fx.Node, env: dict[str, NodeRF | None], modules: dict[str, nn.Module]) -> NodeRF | None:
    """The receptive field of ``node`` from those of its inputs (``env``, by node name); None for
    values that are not tensors (sizes, integer arithmetic)."""
    where = node.meta.get("scope") or node.name
    if node.op == "placeholder":
        return NodeRF((1, 1), (1, 1))
    if node.op != "output" and node.meta.get("shape") is None:
        return None
    base = combine([env[a.name] for a in node.all_input_nodes if env.get(a.name) is not None], where)
    if base is None or node.op in ("get_attr", "output"):
        return base
    in_shape = node.all_input_nodes[0].meta.get("shape") if node.all_input_nodes else None
    if node.op == "call_module":
        return _module_rule(node, modules[str(node.target)], base, in_shape, where)
    if node.op == "call_function":
        return _function_rule(node, base, in_shape, where)
    if node.op == "call_method":
        return _method_rule(node, base, in_shape, where)
    return base


__all__ = ["NodeRF", "node_rf", "window", "shift", "combine"]
