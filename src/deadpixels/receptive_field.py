"""Theoretical receptive field (TRF) of any traceable CNN, by walking its torch.fx graph.

Each node carries the side length of the input window that can influence one of its output
positions (per axis), its jump (the input-pixel distance between adjacent output positions) and
its effective padding; :mod:`deadpixels.rf_rules` holds the rule of each operation. Operations
that mix all positions (global pooling, attention, GroupNorm) make the receptive field global, and
the result says so instead of giving a number. A squeeze-and-excitation style gate makes it global
too, but only through the gate: then the result says so and also gives the TRF of the spatial path
(:mod:`deadpixels.gates`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .graph import TracedModel, is_spatial, output_node, trace
from .operations import NOT_A_CNN
from .rf_algebra import AxisRF, NodeRF
from .rf_rules import node_rf
from .utils import to_pair


@dataclass(frozen=True)
class TheoreticalRF:
    """Theoretical receptive field of one feature map.

    ``size`` is the side length in input pixels (an int, or ``(h, w)`` where the axes differ),
    ``stride`` the jump between adjacent feature positions, ``padding`` the effective padding
    (Araujo et al. 2019): feature position ``(i, j)`` is centred on input pixel
    ``(i * stride - padding + (size - 1) / 2)`` per axis (see :meth:`center`). After upsampling the
    stride is a fraction and windows repeat with a period instead (``windows``, one
    :class:`~deadpixels.rf_algebra.AxisRF` per axis; :meth:`window` gives any position's); ``size`` is
    then the widest. ``target`` names the
    measured node's module. ``is_global`` is True when every input pixel reaches every position;
    then ``size`` and ``padding`` are None. Where that happens only through multiplicative gates
    (squeeze-and-excitation), ``gates`` counts them and ``spatial`` is the TRF of the spatial path,
    the gates taken as per-channel constants.
    """

    size: int | tuple[int, int] | None
    stride: int | tuple[int, int]
    target: str
    is_global: bool = False
    reason: str | None = None
    feature_shape: tuple[int, ...] | None = None
    padding: int | tuple[int, int] | None = None
    spatial: TheoreticalRF | None = None
    gates: int = 0
    windows: tuple[AxisRF, AxisRF] | None = None

    def window(self, i: int, j: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """First and last input row, and first and last column, that feature position ``(i, j)`` sees."""
        if self.is_global or self.size is None or self.padding is None:
            raise ValueError(f"the receptive field of {self.target} is global; it has no window")
        if self.windows is not None:
            return self.windows[0].bounds(i), self.windows[1].bounds(j)
        size, stride, pad = to_pair(self.size), to_pair(self.stride), to_pair(self.padding)
        rows = (i * stride[0] - pad[0], i * stride[0] - pad[0] + size[0] - 1)
        return rows, (j * stride[1] - pad[1], j * stride[1] - pad[1] + size[1] - 1)

    def center(self, i: int, j: int) -> tuple[float, float]:
        """Input-pixel centre (row, col) of the receptive field of feature position ``(i, j)``."""
        rows, cols = self.window(i, j)
        return ((rows[0] + rows[1]) / 2, (cols[0] + cols[1]) / 2)

    def __str__(self) -> str:
        if self.is_global and self.spatial is not None:
            s = self.spatial
            return (
                f"TRF of {self.target}: global through {self.gates} gate(s) ({self.reason}); spatial path: "
                f"{s.size} px, stride {s.stride}, padding {s.padding}"
            )
        if self.is_global:
            return f"TRF of {self.target}: global ({self.reason})"
        return f"TRF of {self.target}: {self.size} px, stride {self.stride}, padding {self.padding}"


def propagate(traced: TracedModel) -> dict[str, NodeRF | None]:
    """Receptive field of every node of a traced model (by node name; None for non-tensors).
    Also marks nodes that pool over all positions with ``meta['reduces']``."""
    modules = dict(traced.module.named_modules())
    env: dict[str, NodeRF | None] = {}
    for node in traced.nodes:
        env[node.name] = node.meta["rf"] = node_rf(node, env, modules)
    return env


def final_pooling(traced: TracedModel) -> torch.fx.Node | None:
    """The last operation that pools over all positions on the way to the output (the global
    pooling; a gate's mean, which never reaches the output as such, does not count); None where
    the output is itself a spatial map, or nothing pools."""
    out = output_node(traced.module.graph)
    if is_spatial(out.meta.get("shape")):
        return None
    reaching = (out.meta.get("rf") or NodeRF.identity()).global_reason
    reducers = [n for n in traced.nodes if n.meta.get("reduces")]
    final = [n for n in reducers if n.meta["reduces"] == reaching] or reducers
    return final[-1] if final else None


def _final_feature_node(traced: TracedModel) -> torch.fx.Node:
    """The input of :func:`final_pooling`: the last spatial map (the output itself where it is one)."""
    pooling = final_pooling(traced)
    if pooling is not None:
        return pooling.all_input_nodes[0]
    out = output_node(traced.module.graph)
    return out if is_spatial(out.meta.get("shape")) else traced.last_spatial_node()


def token_mixing(traced: TracedModel) -> str | None:
    """Why the model is not a CNN, where after its final pooling the positions live on as a sequence
    of tokens that later layers keep mixing (a transformer, an MLP-mixer); None for a CNN, whose
    layers after the pooling see one vector per image."""
    pooling = final_pooling(traced)
    if pooling is None:
        return None
    nodes = traced.nodes
    for n in nodes[nodes.index(pooling) + 1 :]:
        shape = n.meta.get("shape")
        if n.op == "call_module" and isinstance(shape, torch.Size) and len(shape) == 3 and min(shape[1:]) > 1:
            start = next(m for m in nodes if m.meta.get("reduces") == pooling.meta["reduces"])
            where = start.meta.get("scope") or start.name
            later = n.meta.get("scope") or n.name
            return (
                f"the map becomes a sequence of tokens at '{where}', which later layers keep mixing "
                f"(from '{later}'): a transformer or MLP-mixer, {NOT_A_CNN}"
            )
    return None


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
    tokens = token_mixing(traced) if target is None else None
    if tokens is not None or rf.global_reason:
        return TheoreticalRF(None, stride, name, True, tokens or rf.global_reason, shape)
    size = rf.size[0] if rf.size[0] == rf.size[1] else rf.size
    padding = rf.padding[0] if rf.padding[0] == rf.padding[1] else rf.padding
    spatial = TheoreticalRF(size, stride, name, False, None, shape, padding, windows=rf.axes)
    if rf.gate_reason:
        upto = traced.nodes[: traced.nodes.index(node) + 1]
        gates = sum(1 for n in upto if n.meta.get("gate") or n.meta.get("norm_gate"))
        return TheoreticalRF(None, stride, name, True, rf.gate_reason, shape, spatial=spatial, gates=gates)
    return spatial


__all__ = ["TheoreticalRF", "NodeRF", "theoretical_rf", "propagate", "target_node", "final_pooling", "token_mixing"]
