"""Checks of command-line values, each run before any work: one clear message naming what was
wrong and what is allowed."""

from __future__ import annotations

import torch

#: Seeds are passed to numpy and torch generators, which take 0 <= seed < 2**32.
MAX_SEED = 2**32 - 1


def device(name: str) -> str:
    """A device this machine has: ``cpu``, ``cuda`` or ``cuda:N`` (with CUDA), ``mps`` (with MPS)."""
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {name!r}; allowed: cpu, cuda, cuda:N, mps") from None
    if dev.type == "cpu":
        return "cpu"
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but this machine has no CUDA GPU; use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
        return str(dev)
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device {name!r} asked for, but MPS is not available here; use --device cpu")
        return "mps"
    raise ValueError(f"device {name!r} cannot run the experiments; allowed: cpu, cuda, cuda:N, mps")


def seeds(values: list[int] | None) -> tuple[int, ...] | None:
    """Distinct seeds in ``[0, 2**32)``, in the order given."""
    if values is None:
        return None
    bad = [v for v in values if not 0 <= v <= MAX_SEED]
    if bad:
        raise ValueError(f"seeds must be whole numbers from 0 to {MAX_SEED}; got {', '.join(map(str, bad))}")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"each seed may be given once; repeated: {', '.join(map(str, repeated))}")
    return tuple(values)


def positive_size(text: str) -> int:
    """An argparse type: a positive whole number of pixels."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        import argparse

        raise argparse.ArgumentTypeError(f"must be a positive whole number of pixels; got {text!r}")
    return value


__all__ = ["device", "seeds", "positive_size", "MAX_SEED"]
