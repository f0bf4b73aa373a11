"""The receptive-field algebra that every rule of :mod:`deadpixels.rf_rules` is written in: a node's
window size, jump and effective padding per axis, and the three ways they change. A k x k layer
with dilation d and stride s maps ``(size, jump)`` to ``(size + (k-1)*d*jump, jump*s)``; an explicit
pad moves the window; where paths meet the union of their windows is again a window.

Two ways to be global are kept apart, because they mean different things for the dead-pixel test:
``global_reason`` says the spatial path itself pools over every position (global pooling, attention,
flattening a map), so no window describes it; ``gate_reason`` says every pixel reaches the node only
through a multiplicative gate computed from a spatial mean (squeeze-and-excitation), while the
spatial path still has the window that ``size``, ``jump`` and ``padding`` describe.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from .utils import to_pair


@dataclass(frozen=True)
class NodeRF:
    """Receptive field of one graph node, per axis (height, width): window ``size``, ``jump``
    between adjacent positions and effective ``padding`` (all in input pixels). Output position
    ``i`` sees input pixels ``i * jump - padding`` to ``i * jump - padding + size - 1`` along the
    spatial path; see the module docstring for ``global_reason`` and ``gate_reason``."""

    size: tuple[int, int]
    jump: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    global_reason: str | None = None
    gate_reason: str | None = None


def _layer_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    if padding == "valid":
        return (0, 0)
    if padding == "same":  # torch pads (k - 1) * d in total, the smaller half first
        return tuple((k - 1) * d // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return to_pair(padding)


def window(rf: NodeRF, kernel: Any, stride: Any, dilation: Any = 1, padding: Any = 0) -> NodeRF:
    """A sliding window of ``kernel`` with ``stride``, ``dilation`` and left/top ``padding``."""
    k, s, d = to_pair(kernel), to_pair(stride), to_pair(dilation)
    p = _layer_padding(padding, k, d)
    size = tuple(rf.size[a] + (k[a] - 1) * d[a] * rf.jump[a] for a in range(2))
    jump = tuple(rf.jump[a] * s[a] for a in range(2))
    pad = tuple(rf.padding[a] + p[a] * rf.jump[a] for a in range(2))
    return replace(rf, size=size, jump=jump, padding=pad)


def shift(rf: NodeRF, top: int, left: int) -> NodeRF:
    """An explicit pad of ``top`` rows and ``left`` columns moves the window, keeping its size."""
    return replace(rf, padding=(rf.padding[0] + top * rf.jump[0], rf.padding[1] + left * rf.jump[1]))


def combine(rfs: list[NodeRF], where: str = "") -> NodeRF | None:
    """Where paths meet, position ``i`` sees the union of the paths' windows ``[i*jump - padding,
    i*jump - padding + size - 1]``: with equal jumps, again such a window (the leftmost start, the
    rightmost end). Paths with different jumps meet in windows of no single size: refused."""
    if not rfs:
        return None
    reason = next((r.global_reason for r in rfs if r.global_reason), None)
    gate = next((r.gate_reason for r in rfs if r.gate_reason), None)
    if reason is None and len({r.jump for r in rfs}) > 1:
        raise ValueError(
            f"paths with different strides {sorted({r.jump for r in rfs})} meet at '{where}': their windows "
            "differ from position to position, so no single receptive-field size describes the result"
        )
    pad = tuple(max(r.padding[a] for r in rfs) for a in range(2))
    size = tuple(max(r.size[a] - r.padding[a] for r in rfs) + pad[a] for a in range(2))
    return NodeRF(size, rfs[0].jump, pad, reason, gate)  # type: ignore[arg-type]


def mark_global(rf: NodeRF, why: str, node: torch.fx.Node) -> NodeRF:
    """``rf`` after an operation that mixes all spatial positions; the node records the reason
    (``meta['reduces']``), which tells the final global pooling from a gate's mean."""
    rf = replace(rf, global_reason=rf.global_reason or why)
    node.meta["reduces"] = rf.global_reason
    return rf


__all__ = ["NodeRF", "window", "shift", "combine", "mark_global"]
