"""Reshapes that regroup a feature map's positions: space-to-depth written as ``view`` + ``permute``
+ ``reshape`` (TResNet's stem), ``nn.PixelUnshuffle`` and ``F.pixel_unshuffle``. Each output
position gathers the ``b x b`` block of input positions it stands for, so the receptive-field rule
is a ``b x b`` window with stride ``b``. A reshape that changes a map's height or width in any
other way (interleaving rows, depth-to-space) has no such window and is refused, never passed as
pointwise: that had given TResNet a TRF four times too small in stride."""

from __future__ import annotations

from typing import Any

import torch
import torch.fx

#: Methods and functions that only rearrange the axes of a tensor.
REARRANGING = {"view", "reshape", "permute", "contiguous", "transpose", "flatten"}


def _shape(node: Any) -> Any:
    return node.meta.get("shape") if isinstance(node, torch.fx.Node) else None


def _origin(node: torch.fx.Node) -> tuple[torch.fx.Node, list[torch.fx.Node]]:
    """The last 4-D map before a chain of axis rearrangements ending at ``node``, and the chain."""
    chain = []
    cur = node.args[0] if node.args and isinstance(node.args[0], torch.fx.Node) else node
    while cur.op in ("call_method", "call_function") and len(_shape(cur) or ()) != 4:
        name = cur.target if cur.op == "call_method" else getattr(cur.target, "__name__", "")
        if name not in REARRANGING or not isinstance(cur.args[0], torch.fx.Node):
            break
        chain.append(cur)
        cur = cur.args[0]
    return cur, chain[::-1]


def space_to_depth_block(node: torch.fx.Node, where: str) -> int | None:
    """The block side ``b`` where ``node`` ends a space-to-depth regrouping of a map (None where it
    keeps the map's height and width); a ValueError for a regrouping with no window rule."""
    out = _shape(node)
    origin, chain = _origin(node)
    src = _shape(origin)
    if not (isinstance(out, torch.Size) and len(out) == 4 and isinstance(src, torch.Size) and len(src) == 4):
        return None
    if tuple(out[2:]) == tuple(src[2:]):
        return None
    n, c, h, w = src
    b = h // out[2] if out[2] else 0
    split = torch.Size((n, c, h // b, b, w // b, b)) if b > 1 else None
    perms = [p for p in chain if p.target == "permute"]
    ok = (
        b > 1
        and (h, w) == (out[2] * b, out[3] * b)
        and out[1] == c * b * b
        and len(chain) >= 2
        and _shape(chain[0]) == split
        and len(perms) == 1
        and tuple(int(a) for a in perms[0].args[1:])[-2:] == (2, 4)
    )
    if not ok:
        raise ValueError(
            f"the reshape at '{where}' turns a {h}x{w} map into {out[2]}x{out[3]} in a way that is not a "
            "block space-to-depth (as windowed attention's partition into tiles does); theoretical_rf has no window "
            "rule for it (depth-to-space has one, written as nn.PixelShuffle)"
        )
    return b


__all__ = ["space_to_depth_block", "REARRANGING"]
