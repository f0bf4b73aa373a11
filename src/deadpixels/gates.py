"""Multiplicative gates (squeeze-and-excitation and its kin), recognised by the shape of the graph,
not by class names: a value computed from a reduction over all spatial positions, with one entry
per channel (N x C x 1 x 1, N x 1 x 1 x 1, or N x R x C x 1 x 1 for the paths of a selective-kernel
or split-attention block), multiplied into a spatial feature map.

Such a gate makes the receptive field global, and that is true: every pixel moves the mean the
gate is computed from. But the dead-pixel test is about the spatial path. Along it the gate is a
per-channel constant, and treating it so (the linearisation this module applies, by detaching the
gate's value) is exact up to a spatially uniform term:

for ``y_q = x_q * g(m)`` with ``m = mean_p x_p``, ``dy_q/dx_p = g(m) [p = q] + x_q g'(m) / (HW)``,
and the second term is the same for every position ``p``. The gate's branch therefore adds a flat
map to the gradient at the gate's input. Back-propagated through the layers before the gate, a
flat map becomes those layers' response to a flat input, which has a checkerboard only where they
apply odd kernels with even strides: the same layers that give the spatial path its checkerboard.
A gate can thus neither create a checkerboard nor, in the structural (all-positive) ERF, where the
total is a positive sum of the two terms and its lattice ratio lies between theirs, remove one.
``tests/test_gates.py`` checks the flat term exactly and measures how far the spatial path's lattice
ratio and the full autograd gradient's differ on random-weight nets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
import torch.fx

from .operations import MULTIPLY_FUNCTIONS, MULTIPLY_METHODS
from .rf_algebra import NodeRF

#: Methods that broadcast a per-channel value over the map without computing anything.
EXPANSIONS = {"expand", "expand_as"}


def is_multiply(node: torch.fx.Node) -> bool:
    """Whether ``node`` multiplies two tensors elementwise (``*``, ``torch.mul``, ``.mul``, ``.mul_``)."""
    if node.op == "call_function":
        return node.target in MULTIPLY_FUNCTIONS
    return node.op == "call_method" and node.target in MULTIPLY_METHODS


def is_map(shape: Any) -> bool:
    """A feature map: 4-D (N, C, H, W), or 5-D with a radix or path axis (N, R, C, H, W) as in
    selective-kernel and split-attention blocks, larger than 1 x 1 in space."""
    return isinstance(shape, torch.Size) and len(shape) in (4, 5) and (shape[-2] > 1 or shape[-1] > 1)


def _per_channel(gate: Any, spatial: Any) -> bool:
    """A gate's shape: one value per sample and channel (or path, or one per sample), broadcast
    over space: the map's rank, 1 x 1 in space, each other axis the map's or 1."""
    return (
        isinstance(gate, torch.Size)
        and len(gate) == len(spatial)
        and gate[-2] == gate[-1] == 1
        and all(g in (1, s) for g, s in zip(gate[:-2], spatial[:-2]))
    )


def _unexpanded_shape(node: torch.fx.Node) -> Any:
    """The shape of a factor before ``expand``/``expand_as`` broadcast it to the map's size (older
    SE code writes ``x * y.expand_as(x)``)."""
    while node.op == "call_method" and node.target in EXPANSIONS and isinstance(node.args[0], torch.fx.Node):
        node = node.args[0]
    return node.meta.get("shape")


def gate_operands(node: torch.fx.Node, env: dict[str, NodeRF | None]) -> tuple[torch.fx.Node, torch.fx.Node] | None:
    """``(feature map, gate)`` if ``node`` multiplies a spatial map by a gate computed from a
    reduction over all positions, else None. ``env`` holds the receptive fields of the inputs."""
    if not is_multiply(node):
        return None
    args = [a for a in node.args[:2] if isinstance(a, torch.fx.Node) and env.get(a.name) is not None]
    if len(args) != 2 or not is_map(node.meta.get("shape")):
        return None
    for x, g in (args, args[::-1]):
        rx, rg = env[x.name], env[g.name]
        assert rx is not None and rg is not None
        if (
            rx.global_reason is None
            and rg.global_reason is not None
            and is_map(x.meta.get("shape"))
            and x.meta["shape"] == node.meta["shape"]
            and _per_channel(_unexpanded_shape(g), x.meta["shape"])
        ):
            return x, g
    return None


def through_gate(x: NodeRF, g: NodeRF, where: str) -> NodeRF:
    """The receptive field after gating map ``x`` with gate ``g``: the map's window (the spatial
    path), global through the gate (``gate_reason``)."""
    return NodeRF(x.axes, None, x.gate_reason or f"{g.global_reason}, gating the map at '{where}'")


def norm_gate(rf: NodeRF, name: str, node: torch.fx.Node, where: str) -> NodeRF:
    """After a normalisation by statistics over all positions (GroupNorm, InstanceNorm): the map's
    window, global through the statistics, which rescale it like a gate."""
    node.meta["norm_gate"] = True
    return replace(rf, gate_reason=rf.gate_reason or f"{name} at '{where}' normalises by statistics over all positions")


def gate_nodes(gm: torch.fx.GraphModule) -> dict[str, str]:
    """Gate multiplications of a graph that :func:`deadpixels.receptive_field.propagate` has seen:
    node name -> the name of its gate input."""
    return {n.name: n.meta["gate"] for n in gm.graph.nodes if n.meta.get("gate")}


def freeze_gates(gm: torch.fx.GraphModule, gates: dict[str, str]) -> int:
    """Detach the gate input of every gate multiplication named in ``gates`` (in place): the gate
    becomes a per-channel constant along the spatial path, so the input gradient is the spatial
    path's. Returns how many gates were frozen."""
    frozen = 0
    for node in list(gm.graph.nodes):
        gate_name = gates.get(node.name)
        gate = next((a for a in node.args if isinstance(a, torch.fx.Node) and a.name == gate_name), None)
        if gate is None:
            continue
        with gm.graph.inserting_before(node):
            constant = gm.graph.call_method("detach", (gate,))
        node.replace_input_with(gate, constant)
        frozen += 1
    gm.graph.lint()
    gm.recompile()
    return frozen


__all__ = ["is_map", "is_multiply", "gate_operands", "through_gate", "norm_gate", "gate_nodes", "freeze_gates"]
