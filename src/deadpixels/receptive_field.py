"""Theoretical receptive field (TRF) of any traceable CNN, by walking its torch.fx graph.

Each node carries the side length of the input window that can influence one of its output
positions (per axis) and its jump (the input-pixel distance between adjacent output positions):
a k x k layer with dilation d and stride s maps ``(size, jump)`` to ``(size + (k-1)*d*jump,
jump*s)``; where paths meet (residual add, concatenation) the largest extent wins. Operations
that mix all positions (global pooling, squeeze-and-excitation, attention, GroupNorm) make the
receptive field global, and the result says so instead of giving a number.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .graph import TracedModel, trace

#: Leaf modules that act on every spatial position independently.
POINTWISE_MODULES: tuple[type[nn.Module], ...] = (
    nn.BatchNorm2d, nn.BatchNorm1d, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid,
    nn.GELU, nn.Tanh, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.Mish, nn.Dropout, nn.Dropout2d, nn.AlphaDropout,
    nn.Identity, nn.Flatten, nn.Linear, nn.Softmax,
)
#: Leaf modules whose output at one position depends on every input position.
GLOBAL_MODULES: tuple[type[nn.Module], ...] = (
    nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.GroupNorm, nn.InstanceNorm2d, nn.MultiheadAttention,
)
_WINDOW_MODULES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
_GLOBAL_FUNCTIONS = {F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.scaled_dot_product_attention,
                     F.group_norm, F.instance_norm, torch.mean, torch.amax, torch.sum,
                     torch.matmul, torch.bmm, torch.einsum, operator.matmul, torch.roll}
_RESHAPES = {"view", "reshape", "flatten"}
#: Functions and tensor methods that do not mix spatial positions.
_POINTWISE_FUNCTIONS = {
    operator.add, operator.iadd, operator.sub, operator.mul, operator.imul, operator.truediv, operator.neg,
    operator.getitem, getattr, torch.add, torch.mul, torch.sub, torch.div, torch.cat, torch.stack, torch.relu,
    torch.sigmoid, torch.tanh, torch.transpose, torch.permute, torch.chunk, torch.split, torch.clamp,
    F.relu, F.relu6, F.hardswish, F.hardsigmoid, F.silu, F.gelu, F.dropout, F.batch_norm, F.layer_norm, F.linear,
    F.leaky_relu, F.elu, F.pad,
}
_POINTWISE_METHODS = {"permute", "transpose", "contiguous", "size", "dim", "chunk", "split", "relu", "sigmoid",
                      "mul", "add", "sub", "div", "expand_as", "unsqueeze", "squeeze", "clone", "float", "to"}


@dataclass(frozen=True)
class _RF:
    size: tuple[int, int]
    jump: tuple[int, int]
    global_reason: str | None = None


@dataclass(frozen=True)
class TheoreticalRF:
    """Theoretical receptive field of one feature map.

    ``size`` is the side length in input pixels (an int, or ``(h, w)`` where the axes differ),
    ``stride`` the jump between adjacent feature positions, ``target`` the measured node's module.
    ``is_global`` is True when every input pixel reaches every position; then ``size`` is None.
    """

    size: int | tuple[int, int] | None
    stride: int | tuple[int, int]
    target: str
    is_global: bool = False
    reason: str | None = None
    feature_shape: tuple[int, ...] | None = None

    def __str__(self) -> str:
        if self.is_global:
            return f"TRF of {self.target}: global ({self.reason})"
        return f"TRF of {self.target}: {self.size} px, stride {self.stride}"


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[-1]))
    return (int(v), int(v))


def _window(rf: _RF, kernel: Any, stride: Any, dilation: Any = 1) -> _RF:
    k, s, d = _pair(kernel), _pair(stride), _pair(dilation)
    size = tuple(rf.size[a] + (k[a] - 1) * d[a] * rf.jump[a] for a in range(2))
    jump = tuple(rf.jump[a] * s[a] for a in range(2))
    return _RF(size, jump, rf.global_reason)  # type: ignore[arg-type]


def _combine(rfs: list[_RF]) -> _RF | None:
    if not rfs:
        return None
    size = (max(r.size[0] for r in rfs), max(r.size[1] for r in rfs))
    jump = (max(r.jump[0] for r in rfs), max(r.jump[1] for r in rfs))
    reason = next((r.global_reason for r in rfs if r.global_reason), None)
    return _RF(size, jump, reason)


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


def _global(rf: _RF, why: str, node: torch.fx.Node) -> _RF:
    node.meta["reduces"] = True  # this operation mixes all spatial positions
    return _RF(rf.size, rf.jump, rf.global_reason or why)


def _node_rf(node: torch.fx.Node, env: dict[str, _RF | None], modules: dict[str, nn.Module]) -> _RF | None:
    inputs = [env[a.name] for a in node.all_input_nodes if env.get(a.name) is not None]
    base = _combine(inputs)
    where = node.meta.get("scope") or node.name
    if node.op == "placeholder":
        return _RF((1, 1), (1, 1))
    if node.op != "output" and node.meta.get("shape") is None:
        return None  # not a tensor (sizes, integer arithmetic)
    if base is None or node.op in ("get_attr", "output"):
        return base
    in_shape = node.all_input_nodes[0].meta.get("shape") if node.all_input_nodes else None
    if node.op == "call_module":
        m = modules[str(node.target)]
        if isinstance(m, _WINDOW_MODULES):
            return _window(base, m.kernel_size, m.stride, getattr(m, "dilation", 1))
        if isinstance(m, GLOBAL_MODULES):
            out_shape = node.meta.get("shape")
            if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and out_shape is not None and in_shape is not None \
                    and out_shape[-2] * out_shape[-1] > 1 and all(i % o == 0 for i, o in zip(in_shape[-2:], out_shape[-2:])):
                k = tuple(i // o for i, o in zip(in_shape[-2:], out_shape[-2:]))
                return _window(base, k, k)  # adaptive pooling by a whole factor is ordinary pooling
            return _global(base, f"{type(m).__name__} at '{where}'", node)
        if isinstance(m, nn.LayerNorm) and len(m.normalized_shape) == 1:
            return base
        if isinstance(m, POINTWISE_MODULES):
            if isinstance(m, nn.Flatten) and in_shape is not None and len(in_shape) == 4 and in_shape[2] * in_shape[3] > 1:
                return _global(base, f"Flatten of a spatial map at '{where}'", node)
            return base
        raise ValueError(f"theoretical_rf does not know how {type(m).__name__} at '{node.target}' mixes "
                         "spatial positions; known: convolutions, pools and pointwise layers")
    if node.op == "call_function":
        fn = node.target
        if fn in (F.max_pool2d, F.avg_pool2d):
            kernel = _arg(node, 1, "kernel_size", None)
            stride = _arg(node, 2, "stride", None) or kernel
            dilation = _arg(node, 4, "dilation", 1) if fn is F.max_pool2d else 1
            return _window(base, kernel, stride, dilation)
        if fn in _GLOBAL_FUNCTIONS:
            if fn in (torch.mean, torch.amax, torch.sum) and not _spatial_dims_reduced(node, in_shape):
                return base
            return _global(base, f"{getattr(fn, '__name__', fn)} (mixes all positions) at '{where}'", node)
        if fn is torch.flatten:
            start = int(_arg(node, 1, "start_dim", 0))
            if in_shape is not None and len(in_shape) == 4 and start <= 2 and in_shape[2] * in_shape[3] > 1:
                return _global(base, f"flatten of a spatial map at '{where}'", node)
            return base
        if fn in _POINTWISE_FUNCTIONS or getattr(fn, "__name__", "") == "stochastic_depth":
            return base
        raise ValueError(f"theoretical_rf does not know how function {getattr(fn, '__name__', fn)} at '{where}' "
                         "mixes spatial positions; known: pools, global pooling, elementwise arithmetic")
    if node.op == "call_method":
        if node.target in ("mean", "sum", "amax", "max") and _spatial_dims_reduced(node, in_shape):
            return _global(base, f".{node.target}() over spatial dims at '{where}'", node)
        out_shape = node.meta.get("shape")
        if (node.target in _RESHAPES and in_shape is not None and len(in_shape) == 4 and in_shape[2] * in_shape[3] > 1
                and out_shape is not None and len(out_shape) < 4):
            return _global(base, f".{node.target}() merging spatial positions at '{where}'", node)
        if node.target in _POINTWISE_METHODS or node.target in _RESHAPES:
            return base
        raise ValueError(f"theoretical_rf does not know how method .{node.target}() at '{where}' mixes spatial positions")
    return base


def propagate(traced: TracedModel) -> dict[str, _RF | None]:
    """Receptive field of every node of a traced model."""
    modules = dict(traced.module.named_modules())
    env: dict[str, _RF | None] = {}
    for node in traced.nodes:
        env[node.name] = _node_rf(node, env, modules)
    return env


def _final_feature_node(traced: TracedModel) -> torch.fx.Node:
    """The input of the last operation that pools over all positions (the global pooling)."""
    reducers = [n for n in traced.nodes if n.meta.get("reduces")]
    if not reducers:
        return traced.last_spatial_node()
    return reducers[-1].all_input_nodes[0]


def _target_node(traced: TracedModel, target: str | None) -> torch.fx.Node:
    if target is None:
        return _final_feature_node(traced)
    if target == "output":
        return next(n for n in traced.nodes if n.op == "output").all_input_nodes[0]
    return traced.output_node_of(target)


def theoretical_rf(model: nn.Module, input_size: int | tuple[int, int] = 224, target: str | None = None) -> TheoreticalRF:
    """Theoretical receptive field of ``target`` (a module name; ``None`` = the last spatial
    feature map before global pooling; ``"output"`` = the model output)."""
    traced = trace(model, input_size)
    env = propagate(traced)
    node = _target_node(traced, target)
    rf = env[node.name]
    assert rf is not None
    name = target if target is not None else (node.meta.get("scope") or node.name)
    shape = tuple(node.meta["shape"]) if node.meta.get("shape") is not None else None
    stride = rf.jump[0] if rf.jump[0] == rf.jump[1] else rf.jump
    if rf.global_reason:
        return TheoreticalRF(None, stride, name, True, rf.global_reason, shape)
    size = rf.size[0] if rf.size[0] == rf.size[1] else rf.size
    return TheoreticalRF(size, stride, name, False, None, shape)


#: The Table 1 values of the paper (TRF of the stage-4 output, 224 x 224 input).
PAPER_TRF: dict[str, int] = {
    "resnet18": 435, "resnet34": 899, "resnet50": 427, "resnet101": 971, "resnet152": 1451,
    "wide_resnet50_2": 427, "wide_resnet101_2": 971, "resnext50_32x4d": 427, "resnext101_32x8d": 971,
}

__all__ = ["TheoreticalRF", "theoretical_rf", "propagate", "PAPER_TRF"]
