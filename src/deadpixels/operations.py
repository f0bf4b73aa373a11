"""How each torch operation treats spatial positions: the one place that classifies layers and
functions for the receptive-field rules and for linearisation."""

from __future__ import annotations

import operator

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
    nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.GroupNorm, nn.InstanceNorm2d, nn.MultiheadAttention,
)
#: Leaf modules that slide a window: the receptive field grows by (k - 1) * dilation * jump.
WINDOW_MODULES: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
#: Explicit padding layers: they shift the window (the effective padding) without widening it.
PAD_MODULES: tuple[type[nn.Module], ...] = (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d)
#: Functions that mix all positions (global pooling, attention, normalisation over space).
GLOBAL_FUNCTIONS = {
    F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.scaled_dot_product_attention, F.group_norm, F.instance_norm,
    torch.mean, torch.amax, torch.sum, torch.matmul, torch.bmm, torch.einsum, operator.matmul, torch.roll,
}
#: Reduction functions that are global only when they reduce a spatial dimension.
REDUCTIONS = {torch.mean, torch.amax, torch.sum}
#: Tensor methods that reshape (global when they merge spatial positions into one axis).
RESHAPE_METHODS = {"view", "reshape", "flatten"}
#: Functions that do not mix spatial positions.
POINTWISE_FUNCTIONS = {
    operator.add, operator.iadd, operator.sub, operator.mul, operator.imul, operator.truediv, operator.neg,
    operator.getitem, getattr, torch.add, torch.mul, torch.sub, torch.div, torch.cat, torch.stack, torch.relu,
    torch.sigmoid, torch.tanh, torch.transpose, torch.permute, torch.chunk, torch.split, torch.clamp, F.relu, F.relu6,
    F.hardswish, F.hardsigmoid, F.silu, F.gelu, F.dropout, F.batch_norm, F.layer_norm, F.linear, F.leaky_relu, F.elu,
}
#: Tensor methods that do not mix spatial positions.
POINTWISE_METHODS = {
    "permute", "transpose", "contiguous", "size", "dim", "chunk", "split", "relu", "sigmoid", "mul", "add", "sub",
    "div", "expand_as", "unsqueeze", "squeeze", "clone", "float", "to",
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

__all__ = [
    "POINTWISE_MODULES",
    "GLOBAL_MODULES",
    "WINDOW_MODULES",
    "PAD_MODULES",
    "GLOBAL_FUNCTIONS",
    "REDUCTIONS",
    "RESHAPE_METHODS",
    "POINTWISE_FUNCTIONS",
    "POINTWISE_METHODS",
    "NONLINEAR_MODULES",
    "NONLINEAR_FUNCTIONS",
]
