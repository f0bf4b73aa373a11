"""Tracing a model into a graph whose nodes know the module they were called from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
from torch import nn


class _ScopedTracer(torch.fx.Tracer):
    """A tracer that records, for every node, the qualified name of the module that created it."""

    def __init__(self) -> None:
        super().__init__()
        self._scope: list[str] = []

    def call_module(self, m: nn.Module, forward: Any, args: tuple, kwargs: dict) -> Any:
        name = self.path_of_module(m)
        self._scope.append(name)
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self._scope.pop()

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        # convolutions and pools stay whole, also subclasses such as kernel padding's PaddedConv2d
        return isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)) or super().is_leaf_module(m, qualname)

    def create_node(self, *args: Any, **kwargs: Any) -> torch.fx.Node:
        node = super().create_node(*args, **kwargs)
        node.meta["scope"] = self._scope[-1] if self._scope else ""
        return node


@dataclass
class TracedModel:
    """A model traced with torch.fx; ``graph.nodes`` carry ``meta['scope']`` and, after
    :func:`trace`, ``meta['shape']`` (output shape of tensor nodes for the probe input)."""

    module: torch.fx.GraphModule
    input_size: tuple[int, int]

    @property
    def nodes(self) -> list[torch.fx.Node]:
        return list(self.module.graph.nodes)

    def output_node_of(self, name: str) -> torch.fx.Node:
        """The last node computed inside module ``name`` (its output), or raise a clear error."""
        node = last_node_in(self.module.graph, name)
        if node is None:
            raise ValueError(f"unknown target layer {name!r}; available: {available_targets(self.module)}")
        return node

    def last_spatial_node(self) -> torch.fx.Node:
        """The last node whose output is a 4-D map larger than 1x1: the final feature map."""
        spatial = [n for n in self.nodes if _is_spatial(n.meta.get("shape"))]
        if not spatial:
            raise ValueError("the model has no 4-D spatial feature map")
        return spatial[-1]


def last_node_in(graph: torch.fx.Graph, name: str) -> torch.fx.Node | None:
    """The last node a :class:`_ScopedTracer` recorded inside module ``name`` (its output), or None."""
    found = [n for n in graph.nodes if n.meta.get("scope", "") == name or n.meta.get("scope", "").startswith(name + ".")]
    return found[-1] if found else None


def cut_at(gm: torch.fx.GraphModule, node: torch.fx.Node) -> None:
    """Make ``gm`` return ``node`` and drop everything computed after it."""
    next(n for n in gm.graph.nodes if n.op == "output").args = (node,)
    gm.graph.eliminate_dead_code()
    gm.recompile()


def _is_spatial(shape: Any) -> bool:
    return isinstance(shape, torch.Size) and len(shape) == 4 and (shape[2] > 1 or shape[3] > 1)


def available_targets(model: nn.Module, depth: int = 1) -> list[str]:
    """Module names usable as targets, down to ``depth`` dots (top-level stages by default)."""
    return [n for n, _ in model.named_modules() if n and n.count(".") < depth]


def _as_hw(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def trace(model: nn.Module, input_size: int | tuple[int, int] = 224, in_channels: int = 3) -> TracedModel:
    """Trace ``model`` with torch.fx and record every node's output shape for one probe input."""
    hw = _as_hw(input_size)
    was_training = model.training
    model.eval()  # trace the inference graph (no auxiliary heads)
    try:
        graph = _ScopedTracer().trace(model)
    except Exception as exc:  # torch.fx cannot trace data-dependent control flow
        raise ValueError(f"{type(model).__name__} cannot be traced by torch.fx: {exc}") from exc
    finally:
        model.train(was_training)
    gm = torch.fx.GraphModule(model, graph)
    gm.eval()
    param = next(model.parameters(), None)
    probe = torch.zeros(1, in_channels, *hw, device=param.device if param is not None else "cpu")
    shapes: dict[str, Any] = {}

    class _Recorder(torch.fx.Interpreter):
        def run_node(self, n: torch.fx.Node) -> Any:
            out = super().run_node(n)
            if isinstance(out, torch.Tensor):
                shapes[n.name] = out.shape
            elif isinstance(out, (tuple, list)) and any(isinstance(o, torch.Tensor) for o in out):
                shapes[n.name] = tuple(o.shape if isinstance(o, torch.Tensor) else None for o in out)
            return out

    try:
        with torch.no_grad():
            _Recorder(gm).run(probe)
    except RuntimeError as exc:
        raise ValueError(f"a {hw[0]}x{hw[1]} input is too small or malformed for {type(model).__name__}: {exc}") from exc
    for n in gm.graph.nodes:
        n.meta["shape"] = shapes.get(n.name)
    return TracedModel(gm, hw)

