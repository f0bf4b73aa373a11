"""Kernel padding (KP): make every odd kernel applied with an even stride even-sized.

A k x k convolution with stride 2 becomes (k+1) x (k+1), its weights zero-padded at the bottom and
right, with the same stride and padding. On inputs where (H + 2p - k) is odd (every even feature
map for the usual k = 2p + 1) it computes exactly the same function; elsewhere the output shape
would change, so the padded layers refuse such inputs with a clear error.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .graph import input_channels, replace_submodule
from .same_padding import SamePadConv2d
from .utils import evaluating, input_pair, placement, require_module, to_pair

#: How the padded kernels start: ``"zeros"`` (pretrained weights zero-padded: the same function)
#: or ``"random"`` (freshly initialised, the paper's from-scratch variant).
INITS = ("zeros", "random", "spread")


def _is_odd_even(kernel: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    return any(k % 2 == 1 and s % 2 == 0 for k, s in zip(kernel, stride))


def output_length(n: int, kernel: int, stride: int, padding: int, ceil_mode: bool = False) -> int:
    """Output length of a convolution or pool along one axis, by torch's formula (``ceil_mode``: the
    last window may hang over the end, but must start inside the input or its left padding)."""
    span = n + 2 * padding - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def _check_exact(
    name: str,
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    ceil_mode: bool = False,
) -> None:
    """Refuse an input on which the padded kernel (one larger) would give another output length."""
    for a, axis in enumerate(("height", "width")):
        before = output_length(size[a], kernel[a], stride[a], padding[a], ceil_mode)
        after = output_length(size[a], kernel[a] + 1, stride[a], padding[a], ceil_mode)
        if kernel[a] % 2 == 1 and stride[a] % 2 == 0 and before != after:
            raise ValueError(
                f"kernel padding cannot be exact at '{name}': its input {axis} is {size[a]}, and with kernel "
                f"{kernel[a]}, padding {padding[a]}, stride {stride[a]}"
                f"{' and ceil_mode' if ceil_mode else ''} the padded kernel would give {after} output "
                f"rows/columns instead of {before}. Use input sizes that keep every stride-2 feature map even "
                f"(e.g. 32 x an odd number: 96, 160, 224)"
            )


class PaddedConv2d(nn.Conv2d):
    """A Conv2d whose kernel was padded from ``original_kernel_size``; checks exactness on every call."""

    original_kernel_size: tuple[int, int]
    layer_name: str = ""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_exact(self.layer_name, tuple(x.shape[-2:]), self.original_kernel_size, self.stride, self.padding)
        return super().forward(x)


class PaddedMaxPool2d(nn.MaxPool2d):
    """The paper's even max-pool (3x3 stride 2 -> 4x4 stride 2); checks that the output shape is kept."""

    original_kernel_size: tuple[int, int]
    layer_name: str = ""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s, p = self.original_kernel_size, to_pair(self.stride), to_pair(self.padding)
        _check_exact(self.layer_name, tuple(x.shape[-2:]), k, s, p, self.ceil_mode)
        return super().forward(x)


@dataclass(frozen=True)
class OddStrideLayer:
    """A layer whose odd kernel is applied with an even stride."""

    name: str
    kind: str  # "conv" or "maxpool"
    kernel: tuple[int, int]
    stride: tuple[int, int]


def find_odd_stride_layers(model: nn.Module) -> list[OddStrideLayer]:
    """Every convolution and max-pool of ``model`` with an odd kernel and an even stride."""
    found = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d)):
            k, s = to_pair(m.kernel_size), to_pair(m.stride or m.kernel_size)
            if _is_odd_even(k, s):
                found.append(OddStrideLayer(name, "conv" if isinstance(m, nn.Conv2d) else "maxpool", k, s))
    return found


def _padded_conv(name: str, conv: nn.Conv2d, init: str) -> nn.Conv2d:
    """The kernel-padded copy of ``conv``: a :class:`PaddedConv2d` for numeric padding, or, for
    TensorFlow "SAME" padding, a :class:`SamePadConv2d` that keeps the original padding in front
    and adds one zero row/column behind (so every window stays where it was)."""
    k, s = conv.kernel_size, conv.stride
    grow = tuple(int(kk % 2 == 1 and ss % 2 == 0) for kk, ss in zip(k, s))
    new_k = (k[0] + grow[0], k[1] + grow[1])
    if conv.dilation != (1, 1):
        raise ValueError(f"kernel padding of a dilated convolution ('{name}') is not defined")
    common = {
        "groups": conv.groups,
        "bias": conv.bias is not None,
        "device": conv.weight.device,
        "dtype": conv.weight.dtype,
    }
    if isinstance(conv, SamePadConv2d):
        extra = (conv.extra[0] + grow[0], conv.extra[1] + grow[1])
        new: nn.Conv2d = SamePadConv2d(
            conv.in_channels, conv.out_channels, new_k, s, padding_kernel=conv.padding_kernel, extra=extra, **common
        )
    elif isinstance(conv.padding, str):
        raise ValueError(f"kernel padding needs numeric padding; '{name}' has padding={conv.padding!r}")
    else:
        new = PaddedConv2d(
            conv.in_channels, conv.out_channels, new_k, s, conv.padding, 1, padding_mode=conv.padding_mode, **common
        )
        new.original_kernel_size = k
        new.layer_name = name
    with torch.no_grad():
        if init in ("zeros", "spread"):
            new.weight.copy_(_spread(conv.weight, grow) if init == "spread" else _zero_padded(conv.weight, grow))
            if conv.bias is not None:
                new.bias.copy_(conv.bias)
        else:  # freshly initialised even kernel, as torchvision initialises ResNets
            nn.init.kaiming_normal_(new.weight, mode="fan_out", nonlinearity="relu")
            if new.bias is not None:
                nn.init.zeros_(new.bias)
    return new


def _zero_padded(weight: torch.Tensor, grow: tuple[int, int]) -> torch.Tensor:
    """The kernel with ``grow`` zero rows and columns added at the bottom and right."""
    return F.pad(weight, (0, grow[1], 0, grow[0]))


def _spread(weight: torch.Tensor, grow: tuple[int, int]) -> torch.Tensor:
    """The kernel averaged over its placements in the grown grid (four for k x k -> (k+1) x (k+1)):
    the original kernel convolved with a 2-tap box filter per grown axis. Every input pixel then gets
    the same total weight from a stride-2 layer (even and odd taps each sum to half the kernel), so
    the coverage imbalance is gone from the first step; it is a box blur fused into the convolution,
    anti-aliasing with the smallest filter (BlurPool's default is a 4-tap binomial before the stride)."""
    placements = [(a, b) for a in range(grow[0] + 1) for b in range(grow[1] + 1)]
    padded = [F.pad(weight, (b, grow[1] - b, a, grow[0] - a)) for a, b in placements]
    return torch.stack(padded).mean(dim=0)


def _padded_pool(name: str, pool: nn.MaxPool2d) -> PaddedMaxPool2d:
    if to_pair(pool.dilation) != (1, 1):
        raise ValueError(f"kernel padding of a dilated max-pool ('{name}') is not defined")
    k, s = to_pair(pool.kernel_size), to_pair(pool.stride or pool.kernel_size)
    new_k = tuple(kk + 1 if kk % 2 == 1 and ss % 2 == 0 else kk for kk, ss in zip(k, s))
    new = PaddedMaxPool2d(new_k, s, pool.padding, pool.dilation, ceil_mode=pool.ceil_mode)
    new.original_kernel_size = k
    new.layer_name = name
    return new


def kernel_pad(
    model: nn.Module, pools: bool = True, init: str = "zeros", input_size: int | tuple[int, int] | None = None
) -> nn.Module:
    """A copy of ``model`` in which every odd kernel with an even stride is made even (k -> k+1).

    ``init="zeros"``: pretrained weights are zero-padded at the bottom and right, so with
    ``pools=False`` the model computes exactly the same function. ``init="random"``: the padded
    convolutions are freshly initialised (the paper's from-scratch variant). ``init="spread"``: each
    pretrained kernel is averaged over its placements in the grown grid, so that KP is in effect from
    the first step (uniform window coverage) at the price of a small blur (:func:`_spread`). ``pools=True`` also
    turns odd max-pools with even stride into even ones (3x3 -> 4x4), which changes the function.
    With ``input_size`` the copy is checked once on a dummy input of that size.
    """
    require_module(model, "kernel_pad")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {init!r}")
    new = copy.deepcopy(model)
    for layer in find_odd_stride_layers(new):
        old = new.get_submodule(layer.name)
        if layer.kind == "conv":
            replace_submodule(new, layer.name, _padded_conv(layer.name, old, init))
        elif pools:
            replace_submodule(new, layer.name, _padded_pool(layer.name, old))
    if input_size is not None:
        hw = input_pair(input_size)
        channels = input_channels(new)
        device, dtype = placement(new)  # the probe takes the model's device and dtype
        with torch.no_grad(), evaluating(new):  # every module keeps its mode (frozen BatchNorms stay frozen)
            new(torch.zeros(1, channels, *hw, device=device, dtype=dtype))
    return new


def padded_entry_share(model: nn.Module, layers: list[OddStrideLayer]) -> dict[str, float]:
    """How far training moved the zero-initialised entries of a kernel-padded model: for each padded
    convolution of ``layers`` (the odd-stride layers of the model *before* padding, which give the
    original kernel sizes), the norm of the added bottom row and right column divided by the norm
    of the whole kernel. It is 0 right after :func:`kernel_pad` with ``init="zeros"``.

    Raises:
        ValueError: where a layer of ``layers`` is missing or was not padded.
    """
    out = {}
    for layer in layers:
        if layer.kind != "conv":
            continue
        try:
            weight = model.get_submodule(layer.name).weight.detach()
        except AttributeError:
            raise ValueError(f"'{layer.name}' is not a convolution of this model") from None
        (k0, k1), shape = layer.kernel, tuple(weight.shape[-2:])
        if shape == (k0, k1) or shape[0] < k0 or shape[1] < k1:
            raise ValueError(f"'{layer.name}' has a {shape[0]}x{shape[1]} kernel: it was not padded from {k0}x{k1}")
        added = torch.ones(shape, dtype=torch.bool, device=weight.device)
        added[:k0, :k1] = False
        total = float(weight.norm())
        out[layer.name] = float(weight[..., added].norm()) / total if total > 0 else 0.0
    return out


def coverage_balance(model: nn.Module, layers: list[OddStrideLayer]) -> dict[str, float]:
    """How far each padded convolution of a kernel-padded model has evened its window coverage,
    measured on its weights. A stride-2 window puts a kernel's even and its odd taps on alternate
    pixels; per axis and per kernel slice (output and input channel), the signed weight on even taps
    and on odd taps, each taken in absolute value and summed over slices, give the layer's coverage
    imbalance, the |log| of their ratio. The fraction removed is ``1 - |imbalance of the whole kernel| /
    |imbalance of its original k x k taps|``, averaged over the grown axes and clipped to [0, 1]: 0 for
    zero-initialised KP before training, 1 for the ``spread`` initialisation (its even and odd taps
    carry the same weight in every slice). ``layers``: the odd-stride layers of the model before padding."""
    out = {}
    for layer in layers:
        if layer.kind != "conv":
            continue
        w = model.get_submodule(layer.name).weight.detach().double()
        fractions = []
        for axis, size in ((2, layer.kernel[0]), (3, layer.kernel[1])):
            if w.shape[axis] == size:
                continue  # this axis was not grown
            taps = w.sum(dim=5 - axis).movedim(2, -1)  # (out, in, taps along the axis)
            fractions.append(1 - _imbalance(taps) / max(_imbalance(taps[..., :size]), 1e-12))
        out[layer.name] = float(np.clip(np.mean(fractions), 0.0, 1.0)) if fractions else 1.0
    return out


def _imbalance(taps: torch.Tensor) -> float:
    """|log| of the weight on even over odd taps, each |signed sum| per slice summed over slices."""
    even, odd = float(taps[..., 0::2].sum(-1).abs().sum()), float(taps[..., 1::2].sum(-1).abs().sum())
    return abs(float(np.log(max(even, 1e-30) / max(odd, 1e-30))))


def window_coverage(length: int, kernel: int, stride: int, padding: int = 0) -> np.ndarray:
    """How many windows of a 1-D ``kernel``/``stride``/``padding`` layer cover each of ``length``
    input positions (the paper's Fig. 2). The 2-D count is the outer product of two 1-D counts."""
    if min(length, kernel, stride) < 1 or padding < 0:
        raise ValueError("length, kernel and stride must be positive and padding non-negative")
    counts = np.zeros(length + 2 * padding, dtype=int)
    n_out = (length + 2 * padding - kernel) // stride + 1
    for i in range(n_out):
        counts[i * stride : i * stride + kernel] += 1
    return counts[padding : padding + length]


__all__ = [
    "padded_entry_share",
    "kernel_pad",
    "find_odd_stride_layers",
    "OddStrideLayer",
    "PaddedConv2d",
    "PaddedMaxPool2d",
    "window_coverage",
    "output_length",
    "INITS",
    "coverage_balance",
]
