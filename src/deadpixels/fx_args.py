"""Reading a traced call's arguments, one way for every rule: an argument is found by position or
by keyword, and a functional convolution's kernel size comes from its weight's traced shape (the
call itself does not state it)."""

from __future__ import annotations

from typing import Any

import torch


def call_arg(node: torch.fx.Node, index: int, name: str, default: Any) -> Any:
    """The ``index``-th positional argument of a traced call, else its keyword ``name``, else ``default``."""
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def weight_kernel(node: torch.fx.Node, where: str) -> tuple[int, int]:
    """The (height, width) of the kernel a functional convolution (``F.conv2d``,
    ``F.conv_transpose2d``) applies, from its weight's traced shape; a clear error where the trace
    recorded no shape, since a guess would make the receptive field silently wrong."""
    weight = call_arg(node, 1, "weight", None)
    shape = weight.meta.get("shape") if isinstance(weight, torch.fx.Node) else None
    if shape is None:
        name = getattr(node.target, "__name__", str(node.target))
        raise ValueError(f"theoretical_rf cannot tell the kernel size of the {name} call at '{where}'")
    return int(shape[-2]), int(shape[-1])


__all__ = ["call_arg", "weight_kernel"]
