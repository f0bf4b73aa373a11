"""Small helpers shared by the core modules."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


def to_pair(value: Any) -> tuple[int, int]:
    """``(h, w)`` from an int or a sequence (an ``int`` applies to both axes).

    Args:
        value: an int, or a sequence whose first and last entries are the height and width.

    Returns:
        The pair as Python ints.
    """
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def input_pair(value: Any) -> tuple[int, int]:
    """A validated input size ``(h, w)``: an int or an ``(h, w)`` pair of positive whole numbers.

    Raises:
        ValueError: naming the value and what is allowed, before any work is done.
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f"input size must be a positive int or an (height, width) pair of them; got {value!r}")
    return int(pair[0]), int(pair[1])


@contextmanager
def full_float32() -> Iterator[None]:
    """Run float32 convolutions and matrix products in full float32 precision on CUDA.

    PyTorch lets cuDNN convolutions use TF32 by default (10-bit mantissa products on Ampere and
    later GPUs). That is harmless for training but not for measurements built from gradients or
    from small output differences: on an H200 it moved a float32 ERF map by 5% of its peak against
    the float64 definition. Inside this block both TF32 switches (``torch.backends.cudnn.allow_tf32``
    and ``torch.backends.cuda.matmul.allow_tf32``) are off; they are restored afterwards. On the CPU
    it changes nothing.
    """
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


__all__ = ["to_pair", "input_pair", "full_float32"]
