"""All torch.fx work of the package: tracing a model into a graph whose nodes know their module,
cutting the graph after a target, replacing submodules and folding BatchNorm (linearising, which
builds on these, is :mod:`deadpixels.linearised`).

Every other module asks this one for graphs, so the rules of how a CNN is traced (which modules stay
whole, how a node is attributed to a module) live in one place.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .functionalise import check_faithful, functionalise
from .operations import registered_mixing
from .probe import check_inputs, record_shapes
from .utils import check_probe_fits, evaluating, input_pair, placement, require_module


class ScopedTracer(torch.fx.Tracer):
    """A tracer that records, for every node, the qualified name of the module that created it
    (``node.meta['scope']``). Convolutions and pools stay whole (also subclasses such as kernel
    padding's layers), so a receptive-field rule sees them as one window."""

    def __init__(self) -> None:
        super().__init__()
        self.scope_names: list[str] = []

    def call_module(self, m: nn.Module, forward: Any, args: tuple, kwargs: dict) -> Any:
        self.scope_names.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.scope_names.pop()

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return (
            isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d))
            or registered_mixing(m) is not None
            or super().is_leaf_module(m, qualname)
        )

    def create_node(self, *args: Any, **kwargs: Any) -> torch.fx.Node:
        node = super().create_node(*args, **kwargs)
        node.meta["scope"] = self.scope_names[-1] if self.scope_names else ""
        return node


def is_spatial(shape: Any) -> bool:
    """True for a 4-D ``torch.Size`` larger than 1x1 (a feature map, not a pooled vector)."""
    return isinstance(shape, torch.Size) and len(shape) == 4 and (shape[2] > 1 or shape[3] > 1)


@dataclass
class TracedModel:
    """A model traced with :class:`ScopedTracer`; after :func:`trace`, every tensor node carries
    ``meta['shape']``, its output shape for the probe input."""

    module: torch.fx.GraphModule
    input_size: tuple[int, int]

    @property
    def nodes(self) -> list[torch.fx.Node]:
        return list(self.module.graph.nodes)

    def output_node_of(self, name: str) -> torch.fx.Node:
        """The last node computed inside module ``name`` (its output); a clear error if unknown."""
        node = last_node_in(self.module.graph, name)
        if node is None:
            raise unknown_target(self.module, name)
        return node

    def last_spatial_node(self) -> torch.fx.Node:
        """The last node whose output is a spatial map: the final feature map."""
        spatial = [n for n in self.nodes if is_spatial(n.meta.get("shape"))]
        if not spatial:
            raise ValueError("the model has no 4-D spatial feature map")
        return spatial[-1]


def last_node_in(graph: torch.fx.Graph, name: str) -> torch.fx.Node | None:
    """The last node recorded inside module ``name`` (its output), or None."""
    found = [
        n for n in graph.nodes if n.meta.get("scope", "") == name or n.meta.get("scope", "").startswith(name + ".")
    ]
    return found[-1] if found else None


def output_node(graph: torch.fx.Graph) -> torch.fx.Node:
    """The value the graph returns (the model's output)."""
    out = next(n for n in graph.nodes if n.op == "output").args[0]
    if not isinstance(out, torch.fx.Node):
        raise ValueError("the model returns a structure, not one tensor; pick a layer as target")
    return out


def available_targets(model: nn.Module, depth: int = 1) -> list[str]:
    """Module names usable as targets, down to ``depth`` dots (top-level stages by default)."""
    return [n for n, _ in model.named_modules() if n and n.count(".") < depth]


def unknown_target(model: nn.Module, name: str) -> ValueError:
    """The error for a target layer ``model`` does not have: the closest names, and the top-level ones."""
    names = [n for n, _ in model.named_modules() if n]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return ValueError(
        f"unknown target layer {name!r}; {hint}available: {available_targets(model)} "
        "(or any dotted submodule name, or 'output')"
    )


def cut_at(gm: torch.fx.GraphModule, node: torch.fx.Node) -> None:
    """Make ``gm`` return ``node`` and drop everything computed after it (in place)."""
    next(n for n in gm.graph.nodes if n.op == "output").args = (node,)
    gm.graph.eliminate_dead_code()
    gm.recompile()


def replace_submodule(root: nn.Module, name: str, new: nn.Module) -> nn.Module:
    """Put ``new`` at the dotted path ``name`` of ``root``; returns the module it replaced."""
    parent, _, leaf = name.rpartition(".")
    owner = root.get_submodule(parent) if parent else root
    old = getattr(owner, leaf)
    setattr(owner, leaf, new)
    return old


class UntraceableModel(ValueError):
    """torch.fx cannot trace the model (data-dependent control flow, a shape check)."""


def graph_of(model: nn.Module) -> torch.fx.GraphModule:
    """The inference-mode graph of ``model``, in-place writes made explicit; or a ValueError saying why not.
    Its modules are ``model``'s own, each left in the mode it had: run the graph inside
    :func:`~deadpixels.utils.evaluating` (calling ``.eval()`` on it would change the caller's model)."""
    require_module(model, "tracing")
    try:
        with evaluating(model):  # trace the inference graph (no auxiliary heads)
            graph = ScopedTracer().trace(model)
    except Exception as exc:  # noqa: BLE001 - torch.fx raises many types on data-dependent control flow
        raise UntraceableModel(
            f"{type(model).__name__} cannot be traced by torch.fx: {exc}. If a custom layer causes this, "
            "deadpixels.register_layer(cls, 'pointwise' | 'global' | Window(...)) traces it as one leaf"
        ) from exc
    gm = torch.fx.GraphModule(model, graph)
    gm.training = False  # the graph's own flag only: its modules are shared with the caller's model
    return functionalise(gm)  # readers after an in-place write read the write


def declared_channels(model: nn.Module) -> int | None:
    """The channels a model says it takes: timm's ``pretrained_cfg`` (or ``default_cfg``)
    ``input_size``, None where it says nothing."""
    for attr in ("pretrained_cfg", "default_cfg"):
        cfg = getattr(model, attr, None)
        size = cfg.get("input_size") if isinstance(cfg, dict) else None
        if isinstance(size, (tuple, list)) and len(size) == 3:
            return int(size[0])
    return None


#: Operations between the input and the first convolution that keep the channel count, so that
#: convolution's ``in_channels`` is the input's (a space-to-depth stem, as TResNet's, multiplies it).
_CHANNEL_KEEPING = (
    nn.BatchNorm2d, nn.Identity, nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d,
)  # fmt: skip


def _fed_by_input(node: torch.fx.Node, modules: dict[str, nn.Module]) -> bool:
    """Whether ``node`` receives the model input itself or through channel-keeping layers only."""
    while True:
        if len(node.all_input_nodes) != 1:
            return False
        arg = node.all_input_nodes[0]
        if arg.op == "placeholder":
            return True
        keeps = arg.op == "call_module" and isinstance(modules[str(arg.target)], _CHANNEL_KEEPING)
        if not (keeps or (arg.op == "call_function" and arg.target is F.pad)):
            return False
        node = arg


def input_channels(model: nn.Module, gm: torch.fx.GraphModule | None = None) -> int:
    """The channels a model takes, from its input: what it declares (:func:`declared_channels`),
    else the ``in_channels`` of the first convolution where the input reaches it unchanged in
    channels, else 3 (RGB). Never the first convolution behind a stem that regroups channels
    (space-to-depth, a focus layer): its ``in_channels`` is not the input's."""
    declared = declared_channels(model)
    if declared is not None:
        return declared
    if gm is None:
        try:
            gm = graph_of(model)
        except ValueError:
            gm = None
    if gm is not None:
        modules = dict(gm.named_modules())
        for node in gm.graph.nodes:
            if node.op == "call_module" and isinstance(modules[str(node.target)], nn.Conv2d):
                return modules[str(node.target)].in_channels if _fed_by_input(node, modules) else 3
            if node.op == "call_function" and node.target is F.conv2d and node.args:
                break  # a functional convolution first: its weight's shape is not known here
        return 3
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return conv.in_channels if conv is not None else 3


def trace(model: nn.Module, input_size: int | tuple[int, int] = 224, in_channels: int | None = None) -> TracedModel:
    """Trace ``model``: a :class:`TracedModel` whose nodes carry ``meta['scope']`` and ``meta['shape']``
    for one seeded random probe, whose output the model itself must reproduce (:func:`check_faithful`).

    Args:
        model: any torch.fx-traceable module.
        input_size: the probe's side length, or ``(height, width)``.
        in_channels: channels of the probe (default: :func:`input_channels` of the model).
    """
    hw = input_pair(input_size)
    gm = graph_of(model)
    check_inputs(gm, type(model).__name__)
    in_channels = input_channels(model, gm) if in_channels is None else in_channels
    device, dtype = placement(model)
    check_probe_fits(in_channels, hw, dtype)
    probe = torch.randn(1, in_channels, *hw, generator=torch.Generator().manual_seed(0), dtype=dtype).to(device)
    with evaluating(gm):
        out, shapes = record_shapes(gm, probe, type(model).__name__)
    check_faithful(model, out, probe)
    for n in gm.graph.nodes:
        n.meta["shape"] = shapes.get(n.name)
    return TracedModel(gm, hw)


def fold_batchnorm(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Fold every eval-mode BatchNorm2d that directly follows a convolution into it (in place):
    the same function up to rounding, one operation less per pair."""
    modules = dict(gm.named_modules())
    for node in list(gm.graph.nodes):
        if node.op != "call_module" or not isinstance(modules[node.target], nn.BatchNorm2d):
            continue
        prev = node.args[0]
        if (
            isinstance(prev, torch.fx.Node)
            and prev.op == "call_module"
            and len(prev.users) == 1
            and isinstance(modules[prev.target], nn.Conv2d)
            and modules[node.target].track_running_stats
        ):
            replace_submodule(gm, str(prev.target), fuse_conv_bn_eval(modules[prev.target], modules[node.target]))
            node.replace_all_uses_with(prev)
            gm.graph.erase_node(node)
    gm.graph.lint()
    gm.recompile()
    return gm


def truncate(model: nn.Module, target: str, fold: bool = True) -> torch.fx.GraphModule | None:
    """An eval-mode copy of ``model`` that returns the output of module ``target`` (or of the model
    for ``"output"``), with BatchNorm folded if ``fold``. None if the model cannot be traced; the
    caller's model is never touched."""
    model = copy.deepcopy(model).eval()
    try:
        gm = graph_of(model)
        node = output_node(gm.graph) if target == "output" else last_node_in(gm.graph, target)
    except ValueError:
        return None
    if node is None:
        return None
    cut_at(gm, node)
    return fold_batchnorm(gm) if fold else gm


__all__ = [
    "ScopedTracer",
    "TracedModel",
    "trace",
    "input_channels",
    "declared_channels",
    "graph_of",
    "UntraceableModel",
    "last_node_in",
    "output_node",
    "available_targets",
    "unknown_target",
    "cut_at",
    "replace_submodule",
    "fold_batchnorm",
    "truncate",
    "is_spatial",
]
