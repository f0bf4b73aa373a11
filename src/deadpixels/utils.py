"""Small helpers shared by the core modules."""

from __future__ import annotations

import numbers
from typing import Any


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


__all__ = ["to_pair", "input_pair"]
