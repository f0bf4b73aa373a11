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


def require_module(model: Any, where: str) -> None:
    """Refuse anything but an ``nn.Module`` where a model is expected, naming what came instead."""
    if not isinstance(model, torch.nn.Module):
        hint = f" ({model!r}: build it first, e.g. torchvision.models.{model}())" if isinstance(model, str) else ""
        raise ValueError(f"{where} needs an nn.Module; got {type(model).__name__}{hint}")


def available_memory() -> int | None:
    """Bytes of memory this machine can still give (``MemAvailable`` of /proc/meminfo), None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_probe_fits(channels: int, hw: tuple[int, int], dtype: torch.dtype) -> None:
    """Refuse, before allocating it, an input whose tensor alone takes more than half the memory
    this machine has free (torch would raise its allocation error, or the machine would swap)."""
    need = channels * hw[0] * hw[1] * torch.empty((), dtype=dtype).element_size()
    have = available_memory()
    if have is not None and need > have / 2:
        raise ValueError(
            f"a {hw[0]}x{hw[1]} input of {channels} channels needs {need / 2**30:.1f} GiB for the image alone "
            f"(and many times that for the activations); this machine has {have / 2**30:.1f} GiB free"
        )


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


def placement(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where and in what ``model`` computes: its first parameter's device and floating dtype (the
    CPU and float32 for a model without floating parameters). Inputs are moved and cast to these."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    return device, dtype


@contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """``model`` in eval mode for the block (BatchNorm uses its running statistics, dropout is
    off), then every submodule back in the mode it had, also when the block raises: a model being
    fine-tuned with frozen BatchNorms (train mode, its BatchNorms in eval) stays so, where
    ``model.train(was_training)`` would unfreeze them."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


__all__ = [
    "to_pair",
    "input_pair",
    "full_float32",
    "evaluating",
    "placement",
    "available_memory",
    "check_probe_fits",
    "require_module",
]
