"""The copies of a CNN whose input gradients isolate its spatial path: :func:`linearise`, weight-free
(uniform positive kernels, no activations or normalisation, average instead of max pooling), whose
input gradient is the structural ERF; and :func:`spatial_path`, the model itself with every
squeeze-and-excitation style gate held as a per-channel constant (:mod:`deadpixels.gates`)."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .gates import freeze_gates, gate_nodes, is_map, is_multiply
from .graph import TracedModel, replace_submodule, trace
from .operations import NONLINEAR_FUNCTIONS, NONLINEAR_MODULES
from .receptive_field import propagate
from .same_padding import SamePadConv2d


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _uniform_(module: nn.Module) -> None:
    """Uniform positive kernel summing to one per output unit; zero bias."""
    with torch.no_grad():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            module.weight.fill_(1.0 / module.weight[0].numel())  # (C_in / groups) * kh * kw
        elif isinstance(module, nn.Linear):
            module.weight.fill_(1.0 / module.in_features)
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)) and module.bias is not None:
            module.bias.zero_()


def _avg_pool_call(node: torch.fx.Node) -> None:
    """Rewrite a ``F.max_pool2d`` node into the ``F.avg_pool2d`` of the same window."""
    a = list(node.args) + [None] * 6
    kw = dict(node.kwargs)
    kernel = a[1] if a[1] is not None else kw.get("kernel_size")
    stride = a[2] if a[2] is not None else kw.get("stride") or kernel
    padding = a[3] if a[3] is not None else kw.get("padding", 0)
    ceil = a[5] if a[5] is not None else kw.get("ceil_mode", False)
    node.target = F.avg_pool2d
    node.args = (node.args[0], kernel, stride, padding)
    node.kwargs = {"ceil_mode": bool(ceil)}


def _plain_conv(name: str, m: nn.Conv2d) -> nn.Conv2d | None:
    """A plain convolution of ``m``'s geometry with a uniform kernel, where ``m`` transforms its
    weights in ``forward`` so that a uniform kernel vanishes (weight standardisation, as NF-ResNets'
    ScaledStdConv2d: ``(w - mean) / std`` is zero for a constant ``w``); None where ``m`` uses its
    kernel as it is: a uniform kernel summing to one gives exactly 1 inside a flat input, whatever the
    layer does at the border. A transforming layer whose geometry a plain convolution cannot copy is
    refused."""
    if type(m).forward is nn.Conv2d.forward:
        return None
    probe = torch.ones(1, m.in_channels, *(8 * k * d for k, d in zip(m.kernel_size, m.dilation)))
    with torch.no_grad():
        try:
            out = m(probe)
        except ValueError:  # a layer that refuses the probe's size (kernel padding's): it keeps its kernel
            return None
        if (out[0, :, out.shape[2] // 2, out.shape[3] // 2] - 1).abs().max() < 1e-3:
            return None
        if getattr(m, "same_pad", False):  # timm's *Same layers pad as TensorFlow's SAME, from the input size
            plain = SamePadConv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.dilation, m.groups)
        else:
            plain = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups)
        _uniform_(plain)
        if plain(probe).shape != out.shape:
            raise ValueError(
                f"{type(m).__name__} at {name!r} transforms its weights so that a uniform kernel gives zero, and "
                "pads in a way a plain convolution cannot copy; the structural ERF cannot be computed for it"
            )
    return plain


def _mean_of_two(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a + b) / 2


def _product_of_maps(node: torch.fx.Node) -> bool:
    """A multiplication of two feature maps (StarNet's star operation, MambaOut's gated convolution),
    not a gate (a gate's factor is 1 x 1 in space)."""
    if not is_multiply(node):
        return False
    factors = [a for a in node.args[:2] if isinstance(a, torch.fx.Node)]
    return len(factors) == 2 and all(is_map(a.meta.get("shape")) for a in factors)


def _weight_free_(root: nn.Module) -> None:
    """In place, on the module tree: nonlinear and normalisation modules become identities, max-pools
    average pools, every kernel uniform, every other parameter one. The parts of a replaced module
    (timm's BatchNormAct2d holds its activation) go with it."""
    replaced: list[str] = []
    for name, m in list(root.named_modules()):
        if not name or any(name.startswith(r + ".") for r in replaced):
            continue
        if isinstance(m, (*NONLINEAR_MODULES, nn.MaxPool2d, nn.AdaptiveMaxPool2d)):
            replaced.append(name)
        if isinstance(m, NONLINEAR_MODULES):
            replace_submodule(root, name, nn.Identity())
        elif isinstance(m, nn.MaxPool2d):
            if m.dilation not in (1, (1, 1)):
                raise ValueError(f"dilated max-pool at {name!r} has no average-pool counterpart")
            replace_submodule(root, name, nn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode))
        elif isinstance(m, nn.AdaptiveMaxPool2d):
            replace_submodule(root, name, nn.AdaptiveAvgPool2d(m.output_size))
        else:
            _uniform_(m)
            plain = _plain_conv(name, m) if isinstance(m, nn.Conv2d) else None
            if plain is not None:  # a uniform kernel would vanish in its forward: take it plainly
                replace_submodule(root, name, plain)
    kernels = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    handled = {id(p) for m in root.modules() if isinstance(m, kernels) for p in m.parameters()}
    with torch.no_grad():
        for p in root.parameters():
            if id(p) not in handled:
                p.fill_(1.0)  # loose scales (e.g. ConvNeXt's layer_scale) become neutral


def linearise_modules(model: nn.Module) -> nn.Module:
    """The weight-free copy of :func:`linearise` built on the module tree alone, for a model torch.fx
    cannot trace: what its ``forward`` does with functions stays. On the all-ones probe with
    positive kernels a functional ReLU passes everything, but gates are not held constant and
    products of maps are not linearised here, which the caller must say."""
    root = copy.deepcopy(model).float().cpu().eval()
    _weight_free_(root)
    return root


def linearise(model: nn.Module, input_size: int | tuple[int, int] = 224) -> TracedModel:
    """A weight-free copy of ``model``: every kernel uniform (positive, summing to one), no
    activations or normalisation, max-pooling replaced by average pooling. Only the architecture
    is left, so its input gradient is the *structural* ERF. Gates (squeeze-and-excitation) are held
    as per-channel constants, so that gradient is the spatial path's. A product of two feature maps
    becomes the mean of its factors: the product's gradient is each factor's gradient weighted by
    the other factor, which on the flat probe is flat inside the image, so the mean keeps the
    support and the shape, without the values that square at every product and overflow within a
    few blocks (StarNet and MambaOut gave an all-infinite map). A convolution that standardises its
    weights in ``forward`` (NF-ResNets) would turn the uniform kernel into zeros, and becomes a plain
    convolution of the same geometry.

    Args:
        model: a traceable CNN (left unchanged).
        input_size: the probe size used to record node shapes.

    Returns:
        The traced, linearised copy; node names match those of ``trace(model)``.
    """
    traced = spatial_path(copy.deepcopy(model).float().cpu().eval(), input_size)
    gm = traced.module
    _weight_free_(gm)
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target in NONLINEAR_FUNCTIONS:
            node.target = _identity  # keep the node (it may be the target), drop the nonlinearity
            node.args, node.kwargs = (node.args[0],), {}
        elif node.op == "call_function" and node.target is F.max_pool2d:
            _avg_pool_call(node)
        elif _product_of_maps(node):
            node.op, node.target, node.kwargs = "call_function", _mean_of_two, {}
    gm.graph.lint()
    gm.recompile()
    return traced


def spatial_path(
    model: nn.Module, input_size: int | tuple[int, int] = 224, in_channels: int | None = None
) -> TracedModel:
    """``model`` traced, with the value of every gate detached: its input gradient is the spatial
    path's, the gates taken as per-channel constants (the linearisation :mod:`deadpixels.gates`
    states and justifies). The graph shares ``model``'s parameters; a model without gates comes
    back unchanged. ``in_channels``: the probe's channels (default: the model's, see
    :func:`~deadpixels.graph.input_channels`)."""
    traced = trace(model, input_size, in_channels)
    propagate(traced)
    freeze_gates(traced.module, gate_nodes(traced.module))
    return traced


__all__ = ["linearise", "linearise_modules", "spatial_path"]
