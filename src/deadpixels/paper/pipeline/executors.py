"""Where the cells of a grid run: this process (``serial``), ``jobs`` worker processes on this
machine (sharing its CPU cores, or its GPU), or submitit: a SLURM job array, or submitit's local
executors (for tests and single machines). Each returns the outcomes of a wave of cells as they
finish; the cells write their own cache entries, so a cluster run that is cut short loses only
the cells still running.

On a CPU, float32 results depend on the number of threads a cell computes with (the order of
parallel reductions). A cell computes with ``ctx.threads`` wherever it runs (recorded in its
provenance), so the same ``--threads`` gives the same numbers with any executor; left unset,
``jobs`` workers take an equal share of the cores."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any

from .runner import CellOutcome, CellTask, Executor, compute_cell, serial
from .slurm_watch import QueueWatch, timings

#: The executors ``--executor`` accepts.
EXECUTORS = ("local", "slurm", "submitit-local", "submitit-debug")


def worker_threads(jobs: int) -> int:
    """CPU threads per worker when ``jobs`` workers share this machine's cores."""
    return max(1, (os.cpu_count() or 1) // jobs)


#: How often a worker checks that the process that started it is still alive (seconds).
PARENT_POLL_S = 1.0


def die_with_parent(parent: int) -> None:
    """Worker initializer: the worker ends when the process that started it ends, however it ends
    (SIGKILL, the OOM killer, ``timeout``): on Linux through ``PR_SET_PDEATHSIG``, everywhere through
    a thread that polls the parent's pid. It also leaves Ctrl-C to the parent, which then stops the
    workers itself, so that an interrupted run prints one line, not a traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def process_pool(jobs: int) -> Executor:
    """``jobs`` worker processes (spawned, so CUDA and torch threads start clean in each), which die
    with this process (:func:`die_with_parent`) and are stopped at once when it is interrupted."""

    def run(tasks: Sequence[CellTask]) -> Iterator[CellOutcome]:
        share = worker_threads(jobs)
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            futures = [
                pool.submit(compute_cell, replace(t, ctx=replace(t.ctx, threads=t.ctx.threads or share)))
                for t in tasks
            ]
            for future in as_completed(futures):
                yield future.result()
        except Exception:  # a cell that raised: the others still finish and cache their results
            pool.shutdown(wait=True)
            raise
        except BaseException:  # Ctrl-C, SystemExit, a closed generator: stop the workers now, not after their cells
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    run.cell_threads = lambda: worker_threads(jobs)  # type: ignore[attr-defined]
    return run


def submitit_executor(kind: str, folder: Path, parameters: Mapping[str, Any]) -> Executor:
    """A submitit executor: ``slurm`` submits each wave as one job array (``parameters`` are
    submitit's, e.g. ``slurm_partition``, ``slurm_gpus_per_node``, ``timeout_min``); ``submitit-local``
    and ``submitit-debug`` run the same jobs on this machine. A job that dies without its result is
    reported as a failed cell within a bounded time, also where ``sacct`` is off
    (:class:`.slurm_watch.QueueWatch`), while the others finish; an interrupted run cancels its jobs."""
    try:
        import submitit
    except ImportError:
        raise ValueError("--executor slurm needs submitit: pip install submitit==1.5.4") from None
    if kind == "slurm":
        if not _has_sbatch():
            raise ValueError("--executor slurm needs SLURM's sbatch on PATH (see scripts/slurm-cluster.sh)")
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
        timings()  # $DEADPIXELS_SLURM_* checked before any job is submitted
    elif kind == "submitit-local":
        ex = submitit.LocalExecutor(folder=folder)
    else:
        ex = submitit.DebugExecutor(folder=folder)
    try:
        ex.update_parameters(**dict(parameters))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"submitit refused the parameters {dict(parameters)}: {exc}") from None

    def run(tasks: Sequence[CellTask]) -> Iterator[CellOutcome]:
        jobs = ex.map_array(compute_cell, list(tasks))
        pending = dict(zip(jobs, tasks))
        watch = QueueWatch(jobs) if kind == "slurm" else None
        try:
            while pending:
                for job in [j for j in pending if j.done()]:
                    task = pending.pop(job)
                    try:
                        yield job.result()
                    except Exception as exc:  # noqa: BLE001 - the job itself died (node failure, timeout)
                        log = getattr(job.paths, "stderr", "?")
                        yield CellOutcome(task.cell.key, False, 0.0, f"job {job.job_id} failed: {exc} (log: {log})")
                for dead in watch.dead(list(pending)) if watch else []:  # died unseen by submitit (no sacct)
                    yield CellOutcome(pending.pop(dead.job).cell.key, False, 0.0, dead.describe())
                if pending:
                    time.sleep(0.5)
        except BaseException:  # Ctrl-C, an error, a closed generator: the run's jobs go with it
            for job in pending:
                job.cancel(check=False)
            raise

    return run


def _has_sbatch() -> bool:
    from shutil import which

    return which("sbatch") is not None


def make_executor(kind: str = "local", jobs: int = 1, folder: Path | None = None, **parameters: Any) -> Executor:
    """The executor ``kind`` (one of :data:`EXECUTORS`); ``jobs`` worker processes for ``local``;
    submitit's logs go to ``folder``."""
    if kind not in EXECUTORS:
        raise ValueError(f"unknown executor {kind!r}; allowed: {', '.join(EXECUTORS)}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a positive whole number; got {jobs!r}")
    if kind == "local":
        if parameters:
            raise ValueError(
                f"the submitit parameters {', '.join(parameters)} (the --slurm-* options) apply only with "
                "--executor slurm, submitit-local or submitit-debug"
            )
        return serial if jobs == 1 else process_pool(jobs)
    return submitit_executor(kind, folder or Path("submitit-logs"), parameters)


__all__ = ["EXECUTORS", "make_executor", "process_pool", "submitit_executor", "worker_threads"]
