"""The receptive-field algebra that every rule of :mod:`deadpixels.rf_rules` is written in.

Along each axis, output position ``i`` sees an interval of input pixels. For a chain of
convolutions and pools that interval moves by a constant jump: ``[i * jump - padding, i * jump -
padding + size - 1]``, and a k x k layer with dilation d and stride s maps ``(size, jump)`` to
``(size + (k-1)*d*jump, jump*s)``. Upsampling breaks the constant jump: after nearest upsampling
by 2, positions 2m and 2m+1 see the same pixels. What stays exact is periodicity: positions come
in periods of ``p``, and ``i = q * p + r`` sees ``[q * step + lo[r], q * step + hi[r]]``
(:class:`AxisRF`). Every layer here maps such a pattern to another, by the one rule
:func:`resample`: an output position sees the union of the windows of the input positions it
reads. A constant jump is the period-1 case, where ``lo[0] = -padding``.

Two ways to be global are kept apart, because they mean different things for the dead-pixel test:
``global_reason`` says the spatial path itself pools over every position (global pooling, attention,
flattening a map), so no window describes it; ``gate_reason`` says every pixel reaches the node only
through a multiplicative gate computed from a spatial mean (squeeze-and-excitation), while the
spatial path still has its windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from math import lcm
from typing import Any

import torch

from .utils import to_pair


@dataclass(frozen=True)
class AxisRF:
    """The windows along one axis: position ``i = q * period + r`` sees input pixels
    ``q * step + lo[r]`` to ``q * step + hi[r]`` (``period = len(lo)``)."""

    step: int
    lo: tuple[int, ...]
    hi: tuple[int, ...]

    @property
    def period(self) -> int:
        return len(self.lo)

    @property
    def jump(self) -> int | Fraction:
        """Input pixels per output position: an int, or a Fraction after upsampling."""
        j = Fraction(self.step, self.period)
        return j.numerator if j.denominator == 1 else j

    @property
    def size(self) -> int:
        """The widest window of any position."""
        return max(last - first + 1 for first, last in zip(self.lo, self.hi))

    def bounds(self, i: int) -> tuple[int, int]:
        """First and last input pixel that position ``i`` sees (inclusive)."""
        q, r = divmod(i, self.period)
        return q * self.step + self.lo[r], q * self.step + self.hi[r]


def _canonical(axis: AxisRF) -> AxisRF:
    """The same windows with the shortest period (nearest upsampling by 2 then a stride-2 layer is
    period 1 again)."""
    p = axis.period
    for short in range(1, p):
        if p % short or (axis.step * short) % p:
            continue
        step = axis.step * short // p
        if all(axis.bounds(i + short) == tuple(b + step for b in axis.bounds(i)) for i in range(p)):
            return AxisRF(step, axis.lo[:short], axis.hi[:short])
    return axis


def resample(axis: AxisRF, sources: Callable[[int], list[int]], factor: Fraction, where: str = "") -> AxisRF:
    """The windows after a layer whose output position ``o`` reads input positions ``sources(o)``,
    with ``factor`` input positions per output position (the layer's stride; ``1/u`` for
    upsampling by ``u``). Exact wherever ``sources(o + k) = sources(o) + m`` for the period that
    ``factor`` implies; every layer here is such a layer."""
    period = Fraction(axis.period) / factor  # output positions per period of the input
    period = period.numerator  # o -> o + period shifts the sources by whole input periods
    shift = Fraction(period) * factor / axis.period  # input periods per output period
    lo, hi = [], []
    for o in range(period):
        read = sources(o)
        if not read:
            raise ValueError(
                f"at '{where}' some output positions read no input position (a transposed convolution whose kernel "
                "taps, at its stride and dilation, miss them): they have no receptive field"
            )
        lo.append(min(axis.bounds(i)[0] for i in read))
        hi.append(max(axis.bounds(i)[1] for i in read))
    return _canonical(AxisRF(axis.step * int(shift), tuple(lo), tuple(hi)))


@dataclass(frozen=True)
class NodeRF:
    """Receptive field of one graph node: the windows per axis (height, width), and why it is
    global where it is (see the module docstring for ``global_reason`` and ``gate_reason``)."""

    axes: tuple[AxisRF, AxisRF]
    global_reason: str | None = None
    gate_reason: str | None = None

    @classmethod
    def identity(cls) -> NodeRF:
        """The input itself: position i sees pixel i."""
        return cls((AxisRF(1, (0,), (0,)), AxisRF(1, (0,), (0,))))

    @property
    def size(self) -> tuple[int, int]:
        return (self.axes[0].size, self.axes[1].size)

    @property
    def jump(self) -> tuple[int | Fraction, int | Fraction]:
        return (self.axes[0].jump, self.axes[1].jump)

    @property
    def padding(self) -> tuple[int, int]:
        """Effective padding: how far position 0's window starts before the image."""
        return (-self.axes[0].lo[0], -self.axes[1].lo[0])

    def per_axis(self, fn: Callable[[AxisRF, int], AxisRF]) -> NodeRF:
        """``fn(axis, index)`` applied to both axes."""
        return replace(self, axes=(fn(self.axes[0], 0), fn(self.axes[1], 1)))


def swapped(rf: NodeRF) -> NodeRF:
    """The same windows with height and width exchanged (the frame of a transposed map)."""
    return replace(rf, axes=(rf.axes[1], rf.axes[0]))


def _layer_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    if padding == "valid":
        return (0, 0)
    if padding == "same":  # torch pads (k - 1) * d in total, the smaller half first
        return tuple((k - 1) * d // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return to_pair(padding)


def window(rf: NodeRF, kernel: Any, stride: Any, dilation: Any = 1, padding: Any = 0) -> NodeRF:
    """A sliding window of ``kernel`` with ``stride``, ``dilation`` and left/top ``padding``:
    output position ``o`` reads input positions ``o * s - p + t * d``, ``t < k``."""
    k, s, d = to_pair(kernel), to_pair(stride), to_pair(dilation)
    p = _layer_padding(padding, k, d)

    def one(axis: AxisRF, a: int) -> AxisRF:
        return resample(axis, lambda o: [o * s[a] - p[a] + t * d[a] for t in range(k[a])], Fraction(s[a]))

    return rf.per_axis(one)


def shift(rf: NodeRF, top: int, left: int) -> NodeRF:
    """An explicit pad of ``top`` rows and ``left`` columns moves the window, keeping its size."""
    return window(rf, 1, 1, 1, (top, left))


def upsample(rf: NodeRF, factor: Any, mode: str, where: str = "") -> NodeRF:
    """Upsampling by an integer ``factor`` per axis. ``"nearest"`` (and ``"nearest-exact"``, the
    same at an integer factor; also depth-to-space, PixelShuffle): output ``o`` reads input
    ``o // u``. ``"bilinear"`` with ``align_corners=False``: ``o`` reads the two inputs around
    ``(o + 1/2) / u - 1/2``, or one where that falls on an input (odd ``u``)."""
    u = to_pair(factor)

    def nearest(axis: AxisRF, a: int) -> AxisRF:
        return resample(axis, lambda o: [o // u[a]], Fraction(1, u[a]), where)

    def bilinear(axis: AxisRF, a: int) -> AxisRF:
        def sources(o: int) -> list[int]:
            first, rest = divmod(2 * o + 1 - u[a], 2 * u[a])
            return [first, first + 1] if rest else [first]

        return resample(axis, sources, Fraction(1, u[a]), where)

    if mode in ("nearest", "nearest-exact"):
        return rf.per_axis(nearest)
    if mode == "bilinear":
        return rf.per_axis(bilinear)
    raise ValueError(f"upsampling mode {mode!r} at '{where}' has no receptive-field rule; known: nearest, bilinear")


def transposed(rf: NodeRF, kernel: Any, stride: Any, dilation: Any = 1, padding: Any = 0, where: str = "") -> NodeRF:
    """A transposed convolution: input position ``i`` writes to outputs ``i * s - p + t * d``, so
    output ``o`` reads every ``i`` with ``o + p - t * d = i * s``."""
    k, s, d, p = to_pair(kernel), to_pair(stride), to_pair(dilation), to_pair(padding)

    def one(axis: AxisRF, a: int) -> AxisRF:
        def sources(o: int) -> list[int]:
            return [(o + p[a] - t * d[a]) // s[a] for t in range(k[a]) if (o + p[a] - t * d[a]) % s[a] == 0]

        return resample(axis, sources, Fraction(1, s[a]), where)

    return rf.per_axis(one)


def _union(axes: list[AxisRF]) -> AxisRF:
    period = lcm(*(a.period for a in axes))
    step = int(axes[0].jump * period)
    lo = tuple(min(a.bounds(i)[0] for a in axes) for i in range(period))
    hi = tuple(max(a.bounds(i)[1] for a in axes) for i in range(period))
    return _canonical(AxisRF(step, lo, hi))


def combine(rfs: list[NodeRF], where: str = "") -> NodeRF | None:
    """Where paths meet, position ``i`` sees the union of the paths' windows: with equal jumps, again
    such a pattern. Paths with different jumps meet in windows that drift apart from position to
    position, so no pattern describes them: refused."""
    if not rfs:
        return None
    reason = next((r.global_reason for r in rfs if r.global_reason), None)
    gate = next((r.gate_reason for r in rfs if r.gate_reason), None)
    if reason is None and len({r.jump for r in rfs}) > 1:
        raise ValueError(
            f"paths with different strides {sorted({r.jump for r in rfs})} meet at '{where}': their windows "
            "differ from position to position, so no single receptive-field size describes the result"
        )
    if len(rfs) == 1 or reason is not None:
        return NodeRF(rfs[0].axes, reason, gate)
    axes = (_union([r.axes[0] for r in rfs]), _union([r.axes[1] for r in rfs]))
    return NodeRF(axes, reason, gate)


def mark_global(rf: NodeRF, why: str, node: torch.fx.Node) -> NodeRF:
    """``rf`` after an operation that mixes all spatial positions; the node records the reason
    (``meta['reduces']``), which tells the final global pooling from a gate's mean."""
    rf = replace(rf, global_reason=rf.global_reason or why)
    node.meta["reduces"] = rf.global_reason
    return rf


__all__ = [
    "AxisRF", "NodeRF", "resample", "window", "shift", "upsample", "transposed", "combine", "mark_global", "swapped",
]
