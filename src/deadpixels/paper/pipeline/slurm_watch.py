"""Notice a SLURM job that died without writing its result, even where accounting is off.

submitit learns a job's end from its result file or from ``sacct``. A job killed before it writes
(``scancel``, the OOM killer, a lost node) leaves no file, and where ``sacct`` is off (as on many
small clusters, and in ``scripts/slurm-cluster.sh``) submitit reports UNKNOWN forever: a driver
that waits on it never ends. ``squeue`` answers without accounting: a job it no longer lists, that
has left no result for :data:`GONE_AFTER_S` seconds, is dead. The grace covers a result file that a
shared filesystem shows late (NFS attribute caches hold for up to a minute). So a dead job is
reported within ``GONE_AFTER_S + POLL_S`` seconds of leaving the queue (65 s by default)."""

from __future__ import annotations

import getpass
import os
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"${name} must be a number of seconds; got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"${name} must be a positive number of seconds; got {raw!r}")
    return value


#: Seconds a job may be missing from ``squeue`` without a result before it counts as dead
#: (``$DEADPIXELS_SLURM_GONE_S`` overrides it).
GONE_AFTER_S = 60.0
#: Seconds between two ``squeue`` calls (``$DEADPIXELS_SLURM_POLL_S``).
POLL_S = 5.0
#: Job states after which no result will come (``squeue -t all`` shows them for ``MinJobAge``).
ENDED = frozenset(
    {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
     "DEADLINE", "SPECIAL_EXIT", "REVOKED"}
)


def timings() -> tuple[float, float]:
    """(grace, poll) in seconds: :data:`GONE_AFTER_S` and :data:`POLL_S`, or what
    ``$DEADPIXELS_SLURM_GONE_S`` and ``$DEADPIXELS_SLURM_POLL_S`` set (a ValueError where they are not
    positive numbers, so a run can check them before it submits anything)."""
    return _seconds("DEADPIXELS_SLURM_GONE_S", GONE_AFTER_S), _seconds("DEADPIXELS_SLURM_POLL_S", POLL_S)


def queue_states(user: str | None = None) -> dict[str, str] | None:
    """``{job id: state}`` of this user's jobs as ``squeue`` lists them (ended ones too, while SLURM
    keeps them), one entry per array task (``123_4``); None where ``squeue`` does not answer (nothing
    can be decided then)."""
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-t", "all", "-u", user or getpass.getuser(), "-o", "%i %T"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return dict(line.split(None, 1) for line in out.stdout.splitlines() if len(line.split(None, 1)) == 2)


@dataclass
class Dead:
    """A job that left the queue without a result: the last state ``squeue`` showed, and for how long
    it has been gone."""

    job: Any
    last_state: str
    gone_s: float

    def describe(self) -> str:
        log = getattr(getattr(self.job, "paths", None), "stderr", "?")
        return (
            f"SLURM job {self.job.job_id} ended without a result (SLURM state: {self.last_state}, as squeue last "
            f"showed it; still no result file {self.gone_s:.0f} s later, and sacct is off or has not told); log: {log}"
        )


class QueueWatch:
    """Tracks submitted jobs through ``squeue`` and names those that died without a result."""

    def __init__(self, jobs: Iterable[Any]) -> None:
        now = time.monotonic()
        self.gone_after_s, self.poll_s = timings()
        self.seen: dict[str, tuple[float, str]] = {str(j.job_id): (now, "SUBMITTED") for j in jobs}
        self.last_poll = 0.0

    def dead(self, pending: Iterable[Any]) -> list[Dead]:
        """The jobs of ``pending`` that are not done and have been missing from the queue for longer
        than the grace (checked at most every ``poll_s`` seconds)."""
        now = time.monotonic()
        if now - self.last_poll < self.poll_s:
            return []
        self.last_poll = now
        states = queue_states()
        if states is None:
            return []
        out = []
        for job in pending:
            key = str(job.job_id)
            last = self.seen.setdefault(key, (now, "SUBMITTED"))
            state = states.get(key)
            if state is not None and state.split()[0] not in ENDED:
                self.seen[key] = (now, state)  # queued or running: alive
                continue
            if state is not None and last[1] != state:
                self.seen[key] = last = (now, state)  # ended: its state is the one to report
            since, state = last
            if now - since > self.gone_after_s and not job.done():
                out.append(Dead(job, state, now - since))
        return out


__all__ = ["GONE_AFTER_S", "POLL_S", "ENDED", "timings", "queue_states", "Dead", "QueueWatch"]
