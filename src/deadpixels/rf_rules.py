"""The receptive-field algebra, one rule per kind of operation: how a graph node's window size,
jump and effective padding follow from its inputs'. A k x k layer with dilation d and stride s maps
``(size, jump)`` to ``(size + (k-1)*d*jump, jump*s)``; subsampling by indexing is a 1 x 1 window
with the slice's step; where paths meet (residual add, concatenation) the largest extent wins.
Operations that mix all positions make the receptive field global. Layers registered with
:func:`deadpixels.operations.register_layer` follow their registered rule.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .fx_args import call_arg, weight_kernel
from .gates import gate_operands, norm_gate, through_gate
from .layout import hw_axes, mixed_frame, spatial_mixing
from .operations import (
    ATTENTION_FUNCTIONS,
    ATTENTION_MODULES,
    GLOBAL_FUNCTIONS,
    GLOBAL_MODULES,
    NORM_GATE_FUNCTIONS,
    NORM_GATE_MODULES,
    NOT_A_CNN,
    OUT_OF_PLACE,
    PAD_MODULES,
    POINTWISE_FUNCTIONS,
    POINTWISE_METHODS,
    POINTWISE_MODULES,
    REDUCTION_METHODS,
    REDUCTIONS,
    RESHAPE_METHODS,
    WINDOW_MODULES,
    registered_mixing,
)
from .regrouping import space_to_depth_block
from .rf_algebra import NodeRF, combine, mark_global, shift, swapped, window
from .same_padding import SamePadConv2d
from .upsampling import UPSAMPLING_FUNCTIONS, UPSAMPLING_MODULES
from .upsampling import function_rule as upsampling_function_rule
from .upsampling import module_rule as upsampling_module_rule
from .utils import to_pair

ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _spatial_dims_reduced(node: torch.fx.Node, in_shape: Any, index: int = 1) -> bool:
    """Whether a reduction (``dim`` its ``index``-th argument) reduces the height or width of a
    4-D map (no ``dim``: it reduces everything)."""
    dims = call_arg(node, index, "dim", None)
    if isinstance(dims, torch.fx.Node):  # x.max(y): elementwise, not a reduction
        return False
    if dims is None or in_shape is None or len(in_shape) != 4:
        return dims is None
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return any(int(d) % 4 in (2, 3) for d in dims)


def _sizes_possible(mixing: Any, n_in: int, n_out: int, axis: int) -> bool:
    """Whether a layer following ``mixing`` can map ``n_in`` positions to ``n_out`` along one axis:
    a pointwise layer keeps the size; a window of the registered kernel, stride, dilation and
    left padding ``p`` gives ``(n_in + p + r - d*(k-1) - 1) // s + 1`` for some right padding
    ``0 <= r <= p + s`` (symmetric, SAME-style and ceil-mode layers all fall in that range)."""
    if mixing == "pointwise":
        return n_in == n_out
    k, s, d = (to_pair(v)[axis] for v in (mixing.kernel, mixing.stride, mixing.dilation))
    p = to_pair(mixing.padding)[axis]
    return any((n_in + p + r - d * (k - 1) - 1) // s + 1 == n_out for r in range(p + s + 1))


def _check_rule(mixing: Any, node: torch.fx.Node, in_shape: Any, where: str) -> None:
    """Refuse a registered rule that the traced shapes contradict (a "pointwise" layer that
    halves the map, a window with the wrong stride): it would give a silently wrong TRF."""
    out_shape = node.meta.get("shape")
    if mixing == "global" or not (isinstance(in_shape, torch.Size) and isinstance(out_shape, torch.Size)):
        return
    if len(in_shape) != 4 or len(out_shape) != 4:
        return
    if not all(_sizes_possible(mixing, int(in_shape[2 + a]), int(out_shape[2 + a]), a) for a in (0, 1)):
        raise ValueError(
            f"the rule registered for {node.meta.get('type_name', 'the layer')} at '{where}' ({mixing!r}) cannot "
            f"map its {tuple(in_shape[2:])} input to the {tuple(out_shape[2:])} output it produces; register the "
            "layer with the kernel, stride and padding it really has"
        )


def _apply(rf: NodeRF, mixing: Any, node: torch.fx.Node, where: str, in_shape: Any = None) -> NodeRF:
    """Apply a registered rule (see :func:`~deadpixels.operations.register_layer`), once the
    traced shapes have confirmed it."""
    _check_rule(mixing, node, in_shape, where)
    if mixing == "pointwise":
        return rf
    if mixing == "global":
        return mark_global(rf, f"{node.meta.get('type_name', 'a registered global layer')} at '{where}'", node)
    return window(rf, mixing.kernel, mixing.stride, mixing.dilation, mixing.padding)


def _adaptive(rf: NodeRF, node: torch.fx.Node, in_shape: Any, name: str, where: str) -> NodeRF:
    """Adaptive pooling is ordinary pooling where each output side divides its input side, global
    where the output is 1 x 1; otherwise its bins differ in width and it is refused."""
    out_shape = node.meta.get("shape")
    if in_shape is None or out_shape is None:
        return mark_global(rf, f"{name} at '{where}'", node)
    (ih, iw), (oh, ow) = in_shape[-2:], out_shape[-2:]
    if oh == ow == 1:
        return mark_global(rf, f"{name} at '{where}'", node)
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
        bounds = (entry.start, entry.stop, entry.step) if isinstance(entry, slice) else ()
        if not isinstance(entry, slice) or any(isinstance(v, torch.fx.Node) for v in bounds):
            raise ValueError(
                f"indexing a spatial axis with {entry!r} at '{where}' is not a fixed slice; only start:stop:step "
                "slices of the height and width have a receptive-field rule"
            )
        start[axis], _, step[axis] = entry.indices(int(in_shape[2 + axis]))
    if start == [0, 0] and step == [1, 1]:
        return rf
    return window(rf, 1, tuple(step), 1, (-start[0], -start[1]))


def _module_rule(node: torch.fx.Node, m: nn.Module, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    mixing = registered_mixing(m)
    if mixing is not None:
        node.meta["type_name"] = type(m).__name__
        return _apply(base, mixing, node, where, in_shape)
    if isinstance(m, SamePadConv2d) and in_shape is not None:  # TensorFlow "SAME": depends on the input size
        top, _, left, _ = m.same_padding((in_shape[-2], in_shape[-1]))
        return window(base, m.kernel_size, m.stride, m.dilation, (top, left))
    if isinstance(m, WINDOW_MODULES):
        return window(base, m.kernel_size, m.stride or m.kernel_size, getattr(m, "dilation", 1), m.padding)
    if isinstance(m, UPSAMPLING_MODULES):
        return upsampling_module_rule(m, node, base, in_shape, where)
    if isinstance(m, PAD_MODULES):
        left, _, top, _ = m.padding
        return shift(base, top, left)
    if isinstance(m, ADAPTIVE):
        return _adaptive(base, node, in_shape, type(m).__name__, where)
    if isinstance(m, nn.PixelUnshuffle):  # space-to-depth: a block x block window at stride block
        return window(base, m.downscale_factor, m.downscale_factor)
    if isinstance(m, NORM_GATE_MODULES):
        return norm_gate(base, type(m).__name__, node, where)
    if isinstance(m, ATTENTION_MODULES):
        return mark_global(base, f"self-attention ({type(m).__name__}) at '{where}': {NOT_A_CNN}", node)
    if isinstance(m, GLOBAL_MODULES):
        return mark_global(base, f"{type(m).__name__} at '{where}'", node)
    if isinstance(m, nn.LayerNorm) and len(m.normalized_shape) == 1:
        return base
    if isinstance(m, nn.Flatten) and in_shape is not None and len(in_shape) == 4 and in_shape[2] * in_shape[3] > 1:
        return mark_global(base, f"Flatten of a spatial map at '{where}'", node)
    if isinstance(m, POINTWISE_MODULES):
        return base
    raise ValueError(
        f"theoretical_rf does not know how {type(m).__name__} at '{node.target}' mixes spatial positions; "
        "known: convolutions, pools, upsampling and pointwise layers. Tell it with "
        "deadpixels.register_layer(cls, 'pointwise' | 'global' | Window(kernel, stride, padding))"
    )


def _function_rule(node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    fn = OUT_OF_PLACE.get(node.target, node.target)
    if fn in (F.max_pool2d, F.avg_pool2d):
        kernel = call_arg(node, 1, "kernel_size", None)
        stride = call_arg(node, 2, "stride", None) or kernel
        padding = call_arg(node, 3, "padding", 0)
        dilation = call_arg(node, 4, "dilation", 1) if fn is F.max_pool2d else 1
        return window(base, kernel, stride, dilation, padding)
    if fn is F.conv2d:  # a functional convolution (e.g. BlurPool's fixed filter): kernel from the weight's shape
        kernel = weight_kernel(node, where)
        stride, padding = call_arg(node, 3, "stride", 1), call_arg(node, 4, "padding", 0)
        return window(base, kernel, stride, call_arg(node, 5, "dilation", 1), padding)
    if fn is F.pad:
        pad = list(call_arg(node, 1, "pad", ())) + [0, 0, 0, 0]
        return shift(base, int(pad[2]), int(pad[0]))
    if fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        return _adaptive(base, node, in_shape, fn.__name__, where)
    if fn is operator.getitem:
        return _getitem(base, node, in_shape, where)
    if fn in UPSAMPLING_FUNCTIONS:
        return upsampling_function_rule(node, base, in_shape, where)
    if fn is F.pixel_unshuffle:
        factor = int(call_arg(node, 1, "downscale_factor", 1))
        return window(base, factor, factor)
    if fn in ATTENTION_FUNCTIONS:
        return mark_global(base, f"self-attention ({getattr(fn, '__name__', fn)}) at '{where}': {NOT_A_CNN}", node)
    if fn in NORM_GATE_FUNCTIONS:
        return norm_gate(base, fn.__name__, node, where)
    if fn in GLOBAL_FUNCTIONS:
        if fn in REDUCTIONS and not _spatial_dims_reduced(node, in_shape, REDUCTIONS[fn]):
            return base
        return mark_global(base, f"{getattr(fn, '__name__', fn)} (mixes all positions) at '{where}'", node)
    if fn is torch.flatten:
        start = int(call_arg(node, 1, "start_dim", 0))
        if in_shape is not None and len(in_shape) == 4 and start <= 2 and in_shape[2] * in_shape[3] > 1:
            return mark_global(base, f"flatten of a spatial map at '{where}'", node)
        return base
    if fn in POINTWISE_FUNCTIONS or getattr(fn, "__name__", "") == "stochastic_depth":
        return base
    raise ValueError(
        f"theoretical_rf does not know how function {getattr(fn, '__name__', fn)} at '{where}' "
        "mixes spatial positions; known: pools, global pooling, interpolation, elementwise arithmetic, slicing"
    )


def _method_rule(node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    name = str(node.target)
    name = name[:-1] if name.endswith("_") and not name.startswith("_") else name  # y.clamp_() as y.clamp()
    index = REDUCTION_METHODS.get(name)
    if index is not None and _spatial_dims_reduced(node, in_shape, index):
        return mark_global(base, f".{node.target}() over spatial dims at '{where}'", node)
    out_shape = node.meta.get("shape")
    if (
        node.target in RESHAPE_METHODS
        and in_shape is not None
        and len(in_shape) == 4
        and in_shape[2] * in_shape[3] > 1
        and out_shape is not None
        and len(out_shape) < 4
    ):
        return mark_global(base, f".{node.target}() merging spatial positions at '{where}'", node)
    block = space_to_depth_block(node, where) if node.target in RESHAPE_METHODS else None
    if block is not None:  # each output position gathers a block x block tile of input positions
        return window(base, block, block)
    if name in POINTWISE_METHODS or node.target in RESHAPE_METHODS or index is not None:
        return base
    raise ValueError(f"theoretical_rf does not know how method .{node.target}() at '{where}' mixes spatial positions")


def node_rf(node: torch.fx.Node, env: dict[str, NodeRF | None], modules: dict[str, nn.Module]) -> NodeRF | None:
    """The receptive field of ``node`` from those of its inputs (``env``, by node name); None for
    values that are not tensors (sizes, integer arithmetic)."""
    where = node.meta.get("scope") or node.name
    node.meta["hw_axes"] = hw_axes(node)
    if node.op == "placeholder":
        return NodeRF.identity()
    if node.op != "output" and node.meta.get("shape") is None:
        return None
    base = combine([env[a.name] for a in node.all_input_nodes if env.get(a.name) is not None], where)
    if base is None or node.op in ("get_attr", "output"):
        return base
    gate = gate_operands(node, env)
    if gate is not None:  # a squeeze-and-excitation style gate: the spatial path passes through
        node.meta["gate"] = gate[1].name
        return through_gate(env[gate[0].name], env[gate[1].name], where)  # type: ignore[arg-type]
    in_shape = node.all_input_nodes[0].meta.get("shape") if node.all_input_nodes else None
    mixing = spatial_mixing(node, modules.get(str(node.target)) if node.op == "call_module" else None)
    if mixing is not None and not base.global_reason:
        return mark_global(base, f"{mixing} at '{where}' (it mixes every position along that axis)", node)
    frame = mixed_frame(node)
    try:
        out = _rule(node, modules, swapped(base) if frame == (3, 2) else base, in_shape, where)
    except ValueError:
        if base.global_reason:  # after an operation that mixes all positions, any operation stays global
            return base  # (e.g. ECA's 1-D convolution across the channels of a pooled vector)
        raise
    if frame == (3, 2):  # the map is transposed: its first spatial axis is the input's width
        return swapped(out)
    if frame is not None and out != base and not out.global_reason:
        raise ValueError(
            f"the operation at '{where}' slides over axes 2 and 3 of a map whose height and width are at "
            f"axes {frame}: its window cannot be placed on the input; permute the map back to NCHW first"
        )
    return out


def _rule(node: torch.fx.Node, modules: dict[str, nn.Module], base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    if node.op == "call_module":
        return _module_rule(node, modules[str(node.target)], base, in_shape, where)
    rule = {"call_function": _function_rule, "call_method": _method_rule}.get(node.op)
    return rule(node, base, in_shape, where) if rule else base


__all__ = ["NodeRF", "node_rf", "window", "shift", "combine"]
