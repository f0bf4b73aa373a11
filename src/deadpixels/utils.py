"""Small helpers shared by the core modules."""

from __future__ import annotations

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


__all__ = ["to_pair"]
