"""Receptive-field rules of the layers that make a map larger: ``nn.Upsample`` and
``F.interpolate`` (nearest, bilinear), ``nn.PixelShuffle`` (depth-to-space) and transposed
convolutions. Their windows repeat with a period rather than a constant jump (positions 2m and
2m+1 of a nearest upsampling by 2 see the same pixels); :mod:`deadpixels.rf_algebra` keeps that
exact. The upsampling factor is read from the traced shapes and must be an integer: at any other
factor, or with ``align_corners=True`` (which maps positions by ``(n_in - 1) / (n_out - 1)``, a ratio
that depends on the image size), the windows have no pattern that holds on every image, and the
layer is refused with that reason."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .fx_args import call_arg, weight_kernel
from .rf_algebra import NodeRF, transposed, upsample

#: Leaf modules with a rule here.
UPSAMPLING_MODULES: tuple[type[nn.Module], ...] = (nn.Upsample, nn.PixelShuffle, nn.ConvTranspose2d)
#: Functions with a rule here.
UPSAMPLING_FUNCTIONS = {F.interpolate, F.pixel_shuffle, F.conv_transpose2d}


def _factor(node: torch.fx.Node, in_shape: Any, where: str) -> tuple[int, int]:
    """The integer factor by which ``node`` enlarges height and width, from the traced shapes."""
    out_shape = node.meta.get("shape")
    if not (isinstance(in_shape, torch.Size) and isinstance(out_shape, torch.Size) and len(in_shape) == 4):
        raise ValueError(f"the upsampling at '{where}' has no traced 4-D shapes to read its factor from")
    (ih, iw), (oh, ow) = in_shape[2:], out_shape[2:]
    if oh % ih or ow % iw or oh < ih or ow < iw:
        raise ValueError(
            f"the resampling at '{where}' maps {ih}x{iw} to {oh}x{ow}, not by an integer factor; its windows "
            "change from position to position with no period, so it has no receptive-field rule (upsample "
            "by an integer factor, or choose an input size whose maps it divides)"
        )
    return (oh // ih, ow // iw)


def _interpolation(node: torch.fx.Node, in_shape: Any, mode: str, align_corners: Any, antialias: Any,
                   where: str) -> tuple[tuple[int, int], str]:  # fmt: skip
    factor = _factor(node, in_shape, where)
    if mode not in ("nearest", "nearest-exact", "bilinear"):
        raise ValueError(
            f"interpolation mode {mode!r} at '{where}' has no receptive-field rule; known: nearest, bilinear"
        )
    if mode == "bilinear" and align_corners:
        raise ValueError(
            f"bilinear upsampling with align_corners=True at '{where}' maps positions by (n_in - 1) / (n_out - 1), "
            "which depends on the image size: no window pattern holds on every image, so it has no rule"
        )
    if antialias:
        raise ValueError(f"antialiased interpolation at '{where}' has no receptive-field rule")
    return factor, mode


def module_rule(m: nn.Module, node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    """The rule of one of :data:`UPSAMPLING_MODULES`."""
    if isinstance(m, nn.PixelShuffle):  # out (i, j) of each channel group reads in (i // r, j // r)
        return upsample(base, m.upscale_factor, "nearest", where)
    if isinstance(m, nn.ConvTranspose2d):
        if isinstance(m.padding, str):
            raise ValueError(f"transposed convolution at '{where}' with padding={m.padding!r} has no rule")
        return transposed(base, m.kernel_size, m.stride, m.dilation, m.padding, where)
    assert isinstance(m, nn.Upsample)
    factor, mode = _interpolation(node, in_shape, m.mode, m.align_corners, False, where)
    return upsample(base, factor, mode, where)


def function_rule(node: torch.fx.Node, base: NodeRF, in_shape: Any, where: str) -> NodeRF:
    """The rule of one of :data:`UPSAMPLING_FUNCTIONS`."""
    fn = node.target
    if fn is F.pixel_shuffle:
        return upsample(base, int(call_arg(node, 1, "upscale_factor", 1)), "nearest", where)
    if fn is F.conv_transpose2d:
        kernel = weight_kernel(node, where)
        stride, padding = call_arg(node, 3, "stride", 1), call_arg(node, 4, "padding", 0)
        return transposed(base, kernel, stride, call_arg(node, 7, "dilation", 1), padding, where)
    mode = call_arg(node, 3, "mode", "nearest")
    factor, mode = _interpolation(
        node, in_shape, mode, call_arg(node, 4, "align_corners", None), call_arg(node, 6, "antialias", False), where
    )
    return upsample(base, factor, mode, where)


__all__ = ["UPSAMPLING_MODULES", "UPSAMPLING_FUNCTIONS", "module_rule", "function_rule"]
