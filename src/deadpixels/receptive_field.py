"""Theoretical receptive field (TRF) of any traceable CNN, by walking its torch.fx graph.

Each node carries the side length of the input window that can influence one of its output
positions (per axis) and its jump (the input-pixel distance between adjacent output positions):
a k x k layer with dilation d and stride s maps ``(size, jump)`` to ``(size + (k-1)*d*jump,
jump*s)``; where paths meet (residual add, concatenation) the largest extent wins. Operations
that mix all positions (global pooling, squeeze-and-excitation, attention, GroupNorm) make the
receptive field global, and the result says so instead of giving a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .graph import TracedModel, output_node, trace
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
)
from .same_padding import SamePadConv2d
from .utils import to_pair


@dataclass(frozen=True)
class NodeRF:
    """Receptive field of one graph node, per axis (height, width): window ``size``, ``jump``
    between adjacent positions and effective ``padding`` (all in input pixels). Output position
    ``i`` sees input pixels ``i * jump - padding`` to ``i * jump - padding + size - 1``."""

    size: tuple[int, int]
    jump: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    global_reason: str | None = None


@dataclass(frozen=True)
class TheoreticalRF:
    """Theoretical receptive field of one feature map.

    ``size`` is the side length in input pixels (an int, or ``(h, w)`` where the axes differ),
    ``stride`` the jump between adjacent feature positions, ``padding`` the effective padding
    (Araujo et al. 2019): feature position ``(i, j)`` is centred on input pixel
    ``(i * stride - padding + (size - 1) / 2)`` per axis (see :meth:`center`). ``target`` names the
    measured node's module. ``is_global`` is True when every input pixel reaches every position;
    then ``size`` and ``padding`` are None.
    """

    size: int | tuple[int, int] | None
    stride: int | tuple[int, int]
    target: str
    is_global: bool = False
    reason: str | None = None
    feature_shape: tuple[int, ...] | None = None
    padding: int | tuple[int, int] | None = None

    def center(self, i: int, j: int) -> tuple[float, float]:
        """Input-pixel centre (row, col) of the receptive field of feature position ``(i, j)``."""
        if self.is_global or self.size is None or self.padding is None:
            raise ValueError(f"the receptive field of {self.target} is global; it has no centre")
        size, stride, pad = to_pair(self.size), to_pair(self.stride), to_pair(self.padding)
        return (i * stride[0] - pad[0] + (size[0] - 1) / 2, j * stride[1] - pad[1] + (size[1] - 1) / 2)

    def __str__(self) -> str:
        if self.is_global:
            return f"TRF of {self.target}: global ({self.reason})"
        return f"TRF of {self.target}: {self.size} px, stride {self.stride}, padding {self.padding}"


def _layer_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    if padding == "valid":
        return (0, 0)
    if padding == "same":  # torch pads (k - 1) * d in total, the smaller half first
        return tuple((k - 1) * d // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return to_pair(padding)


def _window(rf: NodeRF, kernel: Any, stride: Any, dilation: Any = 1, padding: Any = 0) -> NodeRF:
    k, s, d = to_pair(kernel), to_pair(stride), to_pair(dilation)
    p = _layer_padding(padding, k, d)
    size = tuple(rf.size[a] + (k[a] - 1) * d[a] * rf.jump[a] for a in range(2))
    jump = tuple(rf.jump[a] * s[a] for a in range(2))
    pad = tuple(rf.padding[a] + p[a] * rf.jump[a] for a in range(2))
    return NodeRF(size, jump, pad, rf.global_reason)  # type: ignore[arg-type]


def _shift(rf: NodeRF, top: int, left: int) -> NodeRF:
    """An explicit pad of ``top`` rows and ``left`` columns moves the window, keeping its size."""
    pad = (rf.padding[0] + top * rf.jump[0], rf.padding[1] + left * rf.jump[1])
    return NodeRF(rf.size, rf.jump, pad, rf.global_reason)


def _combine(rfs: list[NodeRF]) -> NodeRF | None:
    if not rfs:
        return None
    size = (max(r.size[0] for r in rfs), max(r.size[1] for r in rfs))
    jump = (max(r.jump[0] for r in rfs), max(r.jump[1] for r in rfs))
    pad = (max(r.padding[0] for r in rfs), max(r.padding[1] for r in rfs))
    reason = next((r.global_reason for r in rfs if r.global_reason), None)
    return NodeRF(size, jump, pad, reason)


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


def _node_rf(node: torch.fx.Node, env: dict[str, NodeRF | None], modules: dict[str, nn.Module]) -> NodeRF | None:
    inputs = [env[a.name] for a in node.all_input_nodes if env.get(a.name) is not None]
    base = _combine(inputs)
    where = node.meta.get("scope") or node.name
    if node.op == "placeholder":
        return NodeRF((1, 1), (1, 1))
    if node.op != "output" and node.meta.get("shape") is None:
        return None  # not a tensor (sizes, integer arithmetic)
    if base is None or node.op in ("get_attr", "output"):
        return base
    in_shape = node.all_input_nodes[0].meta.get("shape") if node.all_input_nodes else None
    if node.op == "call_module":
        m = modules[str(node.target)]
        if isinstance(m, SamePadConv2d) and in_shape is not None:  # TensorFlow "SAME": depends on the input size
            top, _, left, _ = m.same_padding((in_shape[-2], in_shape[-1]))
            return _window(base, m.kernel_size, m.stride, m.dilation, (top, left))
        if isinstance(m, WINDOW_MODULES):
            return _window(base, m.kernel_size, m.stride or m.kernel_size, getattr(m, "dilation", 1), m.padding)
        if isinstance(m, PAD_MODULES):
            left, _, top, _ = m.padding
            return _shift(base, top, left)
        if isinstance(m, GLOBAL_MODULES):
            out_shape = node.meta.get("shape")
            if (
                isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d))
                and out_shape is not None
                and in_shape is not None
                and out_shape[-2] * out_shape[-1] > 1
                and all(i % o == 0 for i, o in zip(in_shape[-2:], out_shape[-2:]))
            ):
                k = tuple(i // o for i, o in zip(in_shape[-2:], out_shape[-2:]))
                return _window(base, k, k)  # adaptive pooling by a whole factor is ordinary pooling
            return _global(base, f"{type(m).__name__} at '{where}'", node)
        if isinstance(m, nn.LayerNorm) and len(m.normalized_shape) == 1:
            return base
        if isinstance(m, POINTWISE_MODULES):
            if (
                isinstance(m, nn.Flatten)
                and in_shape is not None
                and len(in_shape) == 4
                and in_shape[2] * in_shape[3] > 1
            ):
                return _global(base, f"Flatten of a spatial map at '{where}'", node)
            return base
        raise ValueError(
            f"theoretical_rf does not know how {type(m).__name__} at '{node.target}' mixes "
            "spatial positions; known: convolutions, pools and pointwise layers"
        )
    if node.op == "call_function":
        fn = node.target
        if fn in (F.max_pool2d, F.avg_pool2d):
            kernel = _arg(node, 1, "kernel_size", None)
            stride = _arg(node, 2, "stride", None) or kernel
            padding = _arg(node, 3, "padding", 0)
            dilation = _arg(node, 4, "dilation", 1) if fn is F.max_pool2d else 1
            return _window(base, kernel, stride, dilation, padding)
        if fn is F.conv2d:  # a functional convolution (e.g. BlurPool's fixed filter): kernel from the weight's shape
            weight = _arg(node, 1, "weight", None)
            shape = weight.meta.get("shape") if isinstance(weight, torch.fx.Node) else None
            if shape is None:
                raise ValueError(f"theoretical_rf cannot tell the kernel size of the conv2d call at '{where}'")
            kernel = (int(shape[-2]), int(shape[-1]))
            stride, padding = _arg(node, 3, "stride", 1), _arg(node, 4, "padding", 0)
            return _window(base, kernel, stride, _arg(node, 5, "dilation", 1), padding)
        if fn is F.pad:
            pad = list(_arg(node, 1, "pad", ())) + [0, 0, 0, 0]
            return _shift(base, int(pad[2]), int(pad[0]))
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
            "mixes spatial positions; known: pools, global pooling, elementwise arithmetic"
        )
    if node.op == "call_method":
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
        raise ValueError(
            f"theoretical_rf does not know how method .{node.target}() at '{where}' mixes spatial positions"
        )
    return base


def propagate(traced: TracedModel) -> dict[str, NodeRF | None]:
    """Receptive field of every node of a traced model (by node name; None for non-tensors).
    Also marks nodes that pool over all positions with ``meta['reduces']``."""
    modules = dict(traced.module.named_modules())
    env: dict[str, NodeRF | None] = {}
    for node in traced.nodes:
        env[node.name] = _node_rf(node, env, modules)
    return env


def _final_feature_node(traced: TracedModel) -> torch.fx.Node:
    """The input of the last operation that pools over all positions (the global pooling)."""
    reducers = [n for n in traced.nodes if n.meta.get("reduces")]
    if not reducers:
        return traced.last_spatial_node()
    return reducers[-1].all_input_nodes[0]


def target_node(traced: TracedModel, target: str | None) -> torch.fx.Node:
    """The graph node of ``target``: a module name, ``None`` (the last spatial feature map before
    global pooling) or ``"output"``. Needs :func:`propagate` to have run on ``traced`` for ``None``."""
    if target is None:
        return _final_feature_node(traced)
    if target == "output":
        return output_node(traced.module.graph)
    return traced.output_node_of(target)


def theoretical_rf(
    model: nn.Module, input_size: int | tuple[int, int] = 224, target: str | None = None
) -> TheoreticalRF:
    """Theoretical receptive field of one feature map of ``model``.

    Args:
        model: a torch.fx-traceable CNN.
        input_size: side length (or ``(h, w)``) of the probe input; it fixes feature shapes.
        target: a module name; ``None`` = the last spatial feature map before global pooling;
            ``"output"`` = the model output.

    Returns:
        A :class:`TheoreticalRF` with size, stride and effective padding, or ``is_global=True``
        and the reason where every input pixel reaches every position.
    """
    traced = trace(model, input_size)
    env = propagate(traced)
    node = target_node(traced, target)
    rf = env[node.name]
    assert rf is not None
    name = target if target is not None else (node.meta.get("scope") or node.name)
    shape = tuple(node.meta["shape"]) if node.meta.get("shape") is not None else None
    stride = rf.jump[0] if rf.jump[0] == rf.jump[1] else rf.jump
    if rf.global_reason:
        return TheoreticalRF(None, stride, name, True, rf.global_reason, shape)
    size = rf.size[0] if rf.size[0] == rf.size[1] else rf.size
    padding = rf.padding[0] if rf.padding[0] == rf.padding[1] else rf.padding
    return TheoreticalRF(size, stride, name, False, None, shape, padding)


__all__ = ["TheoreticalRF", "NodeRF", "theoretical_rf", "propagate", "target_node"]
