"""How each torch operation treats spatial positions: the one place that classifies layers and
functions for the receptive-field rules and for linearisation, and the extension point for layers
it does not know (:func:`register_layer`)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# fmt: off
#: Leaf modules that act on every spatial position independently.
POINTWISE_MODULES: tuple[type[nn.Module], ...] = (
    nn.BatchNorm2d, nn.BatchNorm1d, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.GELU,
    nn.Tanh, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.Mish, nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
    nn.Flatten, nn.Linear, nn.Softmax,
)
#: Leaf modules whose output at one position depends on every input position.
GLOBAL_MODULES: tuple[type[nn.Module], ...] = (
    nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.MultiheadAttention,
)
#: Leaf modules that slide a window: the receptive field grows by (k - 1) * dilation * jump.
WINDOW_MODULES: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
#: Explicit padding layers: they shift the window (the effective padding) without widening it.
PAD_MODULES: tuple[type[nn.Module], ...] = (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d)
#: Functions that mix all positions (global pooling, attention, normalisation over space).
GLOBAL_FUNCTIONS = {
    F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.scaled_dot_product_attention,
    torch.mean, torch.amax, torch.sum, torch.matmul, torch.bmm, torch.einsum, operator.matmul, torch.roll,
    torch.norm, torch.linalg.vector_norm,
}
#: Reduction functions that are global only when they reduce a spatial dimension, with the
#: position of their ``dim`` argument; over channels, a radix or a group axis they are pointwise.
REDUCTIONS = {torch.mean: 1, torch.amax: 1, torch.sum: 1, torch.norm: 2, torch.linalg.vector_norm: 2}
#: The same for tensor methods.
REDUCTION_METHODS = {"mean": 1, "sum": 1, "amax": 1, "max": 1, "norm": 2, "std": 1, "var": 1}
#: Tensor methods that reshape (global when they merge spatial positions into one axis).
RESHAPE_METHODS = {"view", "reshape", "flatten"}
#: Functions that do not mix spatial positions.
POINTWISE_FUNCTIONS = {
    operator.add, operator.iadd, operator.sub, operator.mul, operator.imul, operator.truediv, operator.neg,
    operator.getitem, getattr, torch.add, torch.mul, torch.sub, torch.div, torch.cat, torch.stack, torch.relu,
    torch.sigmoid, torch.tanh, torch.transpose, torch.permute, torch.chunk, torch.split, torch.clamp, F.relu, F.relu6,
    F.hardswish, F.hardsigmoid, F.silu, F.gelu, F.dropout, F.batch_norm, F.layer_norm, F.linear, F.leaky_relu, F.elu,
    torch.addcmul, torch.addcdiv, F.hardtanh, torch.abs, torch.exp, torch.neg, torch.where,
}
#: Self-attention: every position attends to every other, so a model with it is not a CNN.
ATTENTION_MODULES: tuple[type[nn.Module], ...] = (nn.MultiheadAttention,)
ATTENTION_FUNCTIONS = {F.scaled_dot_product_attention}
#: The words that end the reason of a model that is not a CNN (the census and ``check`` say so).
NOT_A_CNN = "not a CNN"
#: Normalisations by statistics over all positions (GroupNorm, InstanceNorm): like a gate, they
#: rescale the map by values computed from every position, so the field is global through them
#: while the spatial path passes; the structural ERF removes them with the other normalisations.
NORM_GATE_MODULES: tuple[type[nn.Module], ...] = (nn.GroupNorm, nn.InstanceNorm2d)
NORM_GATE_FUNCTIONS = {F.group_norm, F.instance_norm}
#: Multiplications: where one factor is a gate (see :mod:`deadpixels.gates`), the spatial path
#: passes through and the gate is a per-channel constant along it.
MULTIPLY_FUNCTIONS = {operator.mul, operator.imul, torch.mul}
MULTIPLY_METHODS = {"mul", "mul_"}
#: Tensor methods that do not mix spatial positions (an in-place ``name_`` follows ``name``'s rule).
POINTWISE_METHODS = {
    "permute", "transpose", "contiguous", "size", "dim", "chunk", "split", "relu", "sigmoid", "mul", "add", "sub",
    "div", "expand_as", "unsqueeze", "squeeze", "clone", "float", "to", "clamp", "clamp_min", "clamp_max", "abs",
    "exp", "log", "neg", "pow", "sqrt", "rsqrt", "tanh", "sign", "floor", "ceil", "round", "reciprocal", "square",
    "masked_fill", "where", "lerp", "addcmul", "addcdiv", "double", "half", "type_as", "detach", "hardtanh",
}
#: In-place functions and Python's augmented assignments, and the out-of-place operation whose
#: receptive-field rule they follow (:mod:`deadpixels.functionalise` makes their writes explicit).
OUT_OF_PLACE = {
    operator.iadd: operator.add, operator.isub: operator.sub, operator.imul: operator.mul,
    operator.itruediv: operator.truediv, torch.relu_: torch.relu, F.relu_: F.relu, F.elu_: F.elu,
    F.leaky_relu_: F.leaky_relu, F.hardtanh_: F.hardtanh, torch.sigmoid_: torch.sigmoid, torch.tanh_: torch.tanh,
    torch.clamp_: torch.clamp,
}
#: Modules that linearisation removes (activations, dropout, normalisation).
NONLINEAR_MODULES: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.GELU, nn.LeakyReLU, nn.ELU, nn.Mish, nn.Dropout, nn.Dropout2d,
    nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm,
)
#: Functions that linearisation replaces by the identity.
NONLINEAR_FUNCTIONS = {
    F.relu, torch.relu, F.relu6, F.silu, F.hardswish, F.gelu, F.dropout, F.leaky_relu, F.layer_norm, F.batch_norm,
    F.group_norm,
}
# fmt: on

#: How a registered layer mixes positions: a :class:`Window` (kernel, stride, padding, dilation per
#: axis), ``"pointwise"`` or ``"global"``.
Mixing = Any


@dataclass(frozen=True)
class Window:
    """A sliding window: kernel, stride, padding (left/top, in input pixels) and dilation, each an
    int or an ``(h, w)`` pair."""

    kernel: Any
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1

    def __post_init__(self) -> None:
        """Refuse what no sliding window has (zero, negative, fractional or 3-D sizes) when the rule
        is registered, not as a wrong receptive field later."""
        for name, low in (("kernel", 1), ("stride", 1), ("dilation", 1), ("padding", 0)):
            value = getattr(self, name)
            parts = value if isinstance(value, (tuple, list)) else (value,)
            ok = len(parts) in ((1, 2) if isinstance(value, (tuple, list)) else (1,)) and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= low for v in parts
            )
            if not ok:
                raise ValueError(
                    f"Window {name} must be an int >= {low} or an (h, w) pair of such ints; got {value!r}"
                )


#: Registered layer types -> a function of the module that says how it mixes positions.
_REGISTRY: dict[type, Callable[[Any], Mixing]] = {}


def register_layer(cls: type, mixing: Mixing | Callable[[Any], Mixing]) -> None:
    """Tell the tracer and the receptive-field rules how a custom layer mixes spatial positions.

    The layer is then traced as one leaf (its insides are not followed) and its receptive-field
    rule is ``mixing``: ``"pointwise"`` (every position on its own), ``"global"`` (every output
    position sees every input position), a :class:`Window`, or a function of the module instance
    returning one of these (for layers whose kernel is an attribute). As torchvision's leaf modules
    and timm's ``register_notrace_module``, it applies to subclasses too. The rule is checked
    against the shapes the layer really produces when a model is traced: a "pointwise" layer
    that changes the map's size, or a window whose stride does not give the traced output size,
    is refused there instead of giving a wrong receptive field.

    Example::

        register_layer(BlurPool, lambda m: Window(m.filt_size, m.stride, padding=(m.pad_sizes[2], m.pad_sizes[0])))
    """
    if not isinstance(cls, type):
        raise ValueError(f"register_layer needs a class; got {cls!r}")
    if not (callable(mixing) or mixing in ("pointwise", "global") or isinstance(mixing, Window)):
        raise ValueError(f"mixing must be 'pointwise', 'global', a Window or a function; got {mixing!r}")
    _REGISTRY[cls] = mixing if callable(mixing) else (lambda _m, v=mixing: v)


def unregister_layer(cls: type) -> None:
    """Forget a :func:`register_layer` registration (no error if there is none)."""
    _REGISTRY.pop(cls, None)


def registered_mixing(module: Any) -> Mixing | None:
    """How a registered layer mixes positions (the most specific registered class wins), or None."""
    for cls in type(module).__mro__:
        if cls in _REGISTRY:
            mixing = _REGISTRY[cls](module)
            if not (mixing in ("pointwise", "global") or isinstance(mixing, Window)):
                raise ValueError(f"the rule registered for {cls.__name__} returned {mixing!r}")
            return mixing
    return None


__all__ = [
    "Window",
    "register_layer",
    "unregister_layer",
    "registered_mixing",
    "POINTWISE_MODULES",
    "GLOBAL_MODULES",
    "WINDOW_MODULES",
    "PAD_MODULES",
    "GLOBAL_FUNCTIONS",
    "REDUCTIONS",
    "REDUCTION_METHODS",
    "ATTENTION_MODULES",
    "ATTENTION_FUNCTIONS",
    "NOT_A_CNN",
    "NORM_GATE_MODULES",
    "NORM_GATE_FUNCTIONS",
    "MULTIPLY_FUNCTIONS",
    "MULTIPLY_METHODS",
    "RESHAPE_METHODS",
    "POINTWISE_FUNCTIONS",
    "POINTWISE_METHODS",
    "OUT_OF_PLACE",
    "NONLINEAR_MODULES",
    "NONLINEAR_FUNCTIONS",
]
