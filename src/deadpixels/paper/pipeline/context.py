"""What every experiment is run with: a validated ``torch.device``, whether to show progress, and
how many CPU threads a worker may use. One typed object instead of a device string threaded
through every signature."""

from __future__ import annotations

from dataclasses import dataclass

import torch


def resolve_device(name: str | torch.device) -> torch.device:
    """A device this machine has: ``cpu``, ``cuda`` or ``cuda:N`` (with CUDA), ``mps`` (with MPS);
    anything else is a ValueError naming what is allowed, raised before any work."""
    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {name!r}; allowed: cpu, cuda, cuda:N, mps") from None
    if dev.type == "cpu":
        return torch.device("cpu")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(name)!r} asked for, but this machine has no CUDA GPU; use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(name)!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
        return dev
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device {str(name)!r} asked for, but MPS is not available here; use --device cpu")
        return dev
    raise ValueError(f"device {str(name)!r} cannot run the experiments; allowed: cpu, cuda, cuda:N, mps")


@dataclass(frozen=True)
class RunContext:
    """How to run: ``device`` (validated), ``progress`` bars, and ``threads``, the torch CPU threads
    of this process (None leaves torch's default; workers that share a machine get a share)."""

    device: torch.device = torch.device("cpu")
    progress: bool = True
    threads: int | None = None

    @classmethod
    def create(
        cls, device: str | torch.device = "cpu", progress: bool = True, threads: int | None = None
    ) -> RunContext:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be a positive int; got {threads}")
        return cls(resolve_device(device), progress, threads)

    def apply(self) -> None:
        """Set this process's torch threads (in a worker, before it computes)."""
        if self.threads is not None:
            torch.set_num_threads(self.threads)

    @property
    def device_name(self) -> str:
        return str(self.device)


__all__ = ["RunContext", "resolve_device"]
