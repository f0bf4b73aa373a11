"""TensorFlow's "SAME" padding as a convolution layer, so that networks ported from TensorFlow
(EfficientNet-Lite) can be traced, measured and kernel-padded exactly.

TensorFlow pads a stride-``s`` layer so that it has ``ceil(H / s)`` outputs, putting the smaller
half of the padding first (top/left). At stride 2 on an even map a 3x3 kernel gets (0, 1): the
padding is asymmetric, and the odd kernel still skips every other pixel's share of the windows.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .utils import to_pair


def tf_same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one axis under TensorFlow's "SAME" rule."""
    total = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class SamePadConv2d(nn.Conv2d):
    """A convolution with TensorFlow's "SAME" padding, computed from the input size on every call.

    ``padding_kernel`` is the kernel size the padding is computed for (the layer's own kernel,
    unless kernel padding enlarged it), and ``extra`` adds zero rows and columns at the bottom and
    right only. Kernel padding uses both to keep every window where it was: the same function.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        padding_kernel: tuple[int, int] | None = None,
        extra: tuple[int, int] = (0, 0),
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias, device=device, dtype=dtype
        )
        self.padding_kernel = to_pair(padding_kernel if padding_kernel is not None else kernel_size)
        self.extra = to_pair(extra)

    def same_padding(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) padding for an input of ``size`` (height, width)."""
        top, bottom = tf_same_padding(size[0], self.padding_kernel[0], self.stride[0], self.dilation[0])
        left, right = tf_same_padding(size[1], self.padding_kernel[1], self.stride[1], self.dilation[1])
        return top, bottom + self.extra[0], left, right + self.extra[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom, left, right = self.same_padding((x.shape[-2], x.shape[-1]))
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> SamePadConv2d:
        """The "SAME"-padded equivalent of ``conv`` (whose own padding must be zero), weights shared."""
        if conv.padding not in ((0, 0), 0, "valid"):
            raise ValueError(f"from_conv needs a convolution without padding of its own; got padding={conv.padding}")
        new = cls(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            conv.dilation,
            conv.groups,
            conv.bias is not None,
            device=conv.weight.device,
            dtype=conv.weight.dtype,
        )
        new.weight, new.bias = conv.weight, conv.bias
        return new

    def extra_repr(self) -> str:
        return super().extra_repr() + f", padding=SAME(kernel {self.padding_kernel}, extra {self.extra})"


__all__ = ["SamePadConv2d", "tf_same_padding"]
