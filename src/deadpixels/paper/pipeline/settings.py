"""The settings a cell's float32 numbers depend on besides its config and code (CPU threads, device
type), as its provenance records them, and the rule that a resume never mixes two of them: the
aggregate of cells computed with 1 and with 2 threads matches neither pure run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from .context import RunContext
from .store import Result


@dataclass(frozen=True)
class CellSettings:
    """What a cell's float32 numbers depend on besides config and code: the torch CPU threads it
    computed with and the device type. ``threads`` None: not known before the cell runs (a SLURM job
    without ``--threads`` takes what its allocation gives)."""

    threads: int | None
    device: str

    @classmethod
    def recorded(cls, provenance: dict[str, Any]) -> CellSettings:
        """The settings a cached cell records (its worker's environment when it computed)."""
        env = provenance.get("environment", {})
        return cls(env.get("cpu_threads"), str(env.get("device", "?")).split(" (")[0].split(":")[0])

    def describe(self) -> str:
        return f"{self.threads if self.threads is not None else 'unknown'} CPU threads on {self.device}"

    def options(self) -> str:
        return f"--threads {self.threads} --device {self.device}"


def _kinds(settings: Iterable[CellSettings]) -> list[CellSettings]:
    return sorted(set(settings), key=lambda s: (s.device, s.threads or 0))


def _tally(settings: list[CellSettings]) -> str:
    """How many cells have each setting, in words ("3 with 1 CPU threads on cpu; 1 with ...")."""
    return "; ".join(f"{settings.count(k)} with {k.describe()}" for k in _kinds(settings))


def uniform_settings(experiment: str, recorded: dict[str, CellSettings]) -> CellSettings | None:
    """The one setting all ``recorded`` cells share (None if there are none); a ValueError naming
    them where they differ, since their aggregate would match no pure run."""
    kinds = _kinds(recorded.values())
    if len(kinds) > 1:
        tally = _tally(list(recorded.values()))
        raise ValueError(
            f"{experiment}: the cached cells were computed with different settings ({tally}); "
            "their aggregate would match neither pure run. Recompute every cell with --fresh and one setting"
        )
    return kinds[0] if kinds else None


def cell_threads(executor: Any) -> int | None:
    """The CPU threads ``executor`` computes a cell with when ``--threads`` is not given (None: not
    known before the cell runs). An executor declares it as its ``cell_threads`` attribute."""
    declared = getattr(executor, "cell_threads", None)
    return declared() if callable(declared) else None


def resume_settings(
    experiment: str, total: int, cached: Iterable[Result], ctx: RunContext, executor: Any
) -> RunContext:
    """The context the missing cells compute with, checked against the cached cells before any work:
    the same settings resume; other settings are refused with the cached ones named, since the
    aggregate would match neither pure run. An executor that cannot tell its threads in advance
    (SLURM without ``--threads``) takes the cached cells' threads."""
    recorded = [CellSettings.recorded(r.provenance) for r in cached]
    kinds = set(recorded)
    planned = CellSettings(ctx.threads or cell_threads(executor), ctx.device.type)
    if planned.threads is None and len(kinds) == 1 and next(iter(kinds)).device == planned.device:
        planned = next(iter(kinds))
    differ = [s for s in recorded if s != planned]
    if differ:
        hint = next(iter(kinds)).options() if len(kinds) == 1 else "one setting"
        raise ValueError(
            f"{experiment}: {len(differ)} of {total} cached cells were computed with other settings than this run's "
            f"({_tally(differ)}; this run: {planned.describe()}). A resume does not mix them: resume with {hint}, or "
            "recompute every cell with --fresh"
        )
    return replace(ctx, threads=planned.threads) if planned.threads is not None else ctx


__all__ = ["CellSettings", "uniform_settings", "cell_threads", "resume_settings"]
