"""The results store and the grid runner among neighbours (issue 28, F4-F6): concurrent writers and
readers (threads, processes, a process in another PID namespace) never see a mixed save and never
lose one; liveness is decided by locks, not PIDs; two identical runs compute each cell once; and a
resume never mixes cells computed with different CPU threads."""

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from deadpixels.paper.pipeline import results as R
from deadpixels.paper.pipeline import store
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.executors import make_executor
from deadpixels.paper.pipeline.experiment import Cell, Experiment, Grid, Tolerance
from deadpixels.paper.pipeline.verify import verify

QUIET = RunContext(progress=False)


def _result(i: int) -> store.Result:
    """Save number ``i``: its table, array, values and provenance all say ``i``."""
    return store.Result(
        "toy", "smoke",
        tables={"t": pd.DataFrame({"x": np.full(200, float(i))})},
        arrays={"a": np.full((64, 64), i, dtype=np.float32)},
        values={"v": i},
        provenance={"version": i},
    )


def _consistent(res: store.Result) -> bool:
    i = res.provenance["version"]
    return res.values["v"] == i and bool((res.tables["t"]["x"] == i).all()) and bool((res.arrays["a"] == i).all())


WRITER = """
import sys, numpy as np, pandas as pd
from pathlib import Path
from deadpixels.paper.pipeline import store
folder, first, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(first, first + n):
    res = store.Result("toy", "smoke", tables={"t": pd.DataFrame({"x": np.full(200, float(i))})},
                       arrays={"a": np.full((64, 64), i, dtype=np.float32)}, values={"v": i},
                       provenance={"version": i})
    store.save(res, folder)
"""

READER = """
import json, sys, time
from pathlib import Path
from deadpixels.paper.pipeline import store
folder, seconds = Path(sys.argv[1]), float(sys.argv[2])
loads = mixed = errors = 0
end = time.time() + seconds
while time.time() < end:
    try:
        r = store.load_folder(folder)
    except store.CacheError as exc:
        errors += 1
        continue
    loads += 1
    i = r.provenance["version"]
    ok = r.values["v"] == i and (r.tables["t"]["x"] == i).all() and (r.arrays["a"] == i).all()
    mixed += not ok
print(json.dumps({"loads": loads, "mixed": int(mixed), "errors": errors}))
"""


def _unshare_prefix() -> list[str]:
    """``unshare --pid --fork`` where this machine allows a new PID namespace (root or user namespaces)."""
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True, check=False)
    return ["unshare", "--pid", "--fork"] if probe.returncode == 0 else []


def test_concurrent_writers_and_readers_never_mix_or_lose_a_save(tmp_path):
    folder = tmp_path / "toy" / "smoke"
    store.save(_result(0), folder)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(1 + 1000 * k), "40"]) for k in range(2)
    ]
    ns = _unshare_prefix()
    readers = [
        subprocess.Popen([*prefix, sys.executable, "-c", READER, str(folder), "6"], stdout=subprocess.PIPE, text=True)
        for prefix in ([], ns)
    ]
    seen = {"loads": 0, "mixed": 0, "errors": 0}
    stop = time.time() + 6

    def read_in_thread() -> None:
        while time.time() < stop:
            r = store.load_folder(folder)
            seen["loads"] += 1
            seen["mixed"] += not _consistent(r)

    threads = [threading.Thread(target=read_in_thread) for _ in range(2)]
    for t in threads:
        t.start()
    thread_writer = threading.Thread(target=lambda: [store.save(_result(5000 + i), folder) for i in range(20)])
    thread_writer.start()
    for t in [*threads, thread_writer]:
        t.join()
    assert all(w.wait(timeout=120) == 0 for w in writers)
    for r in readers:
        out, _ = r.communicate(timeout=120)
        got = json.loads(out.strip().splitlines()[-1])
        for k in seen:
            seen[k] += got[k]
    assert seen["loads"] > 100, seen  # the readers really read while the writers wrote
    assert seen["mixed"] == 0 and seen["errors"] == 0, seen
    final = store.load_folder(folder)
    assert _consistent(final) and final.provenance["version"] in {40, 1040, 5019}  # one writer's last save, whole
    assert sorted(p.name for p in folder.parent.iterdir()) == [".smoke.lock", "smoke"]  # nothing left behind


SLOW_WRITER = """
import os, sys, time, numpy as np, pandas as pd
from pathlib import Path
from deadpixels.paper.pipeline import store
os.getpid = lambda: 999_999  # its PID as a reader on another node or in another PID namespace sees it: not alive
def hook(step):
    if step == "provenance":
        Path(sys.argv[2]).write_text("written")
        time.sleep(3)
store.FAULT_HOOK = hook
store.save(store.Result("toy", "smoke", values={"v": 2}, provenance={"version": 2}), Path(sys.argv[1]))
"""


def test_a_live_writer_whose_pid_means_nothing_here_is_never_cleaned_up(tmp_path):
    folder = tmp_path / "toy" / "smoke"
    store.save(store.Result("toy", "smoke", values={"v": 1}, provenance={"version": 1}), folder)
    flag = tmp_path / "writing"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(folder), str(flag)])
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert flag.exists()
    assert list(folder.parent.glob(".smoke.tmp-*"))  # its save is half-written
    res = store.load_folder(folder)  # waits for the live writer instead of deleting its files
    assert writer.wait(timeout=60) == 0  # its save succeeded: nobody removed its files
    assert res.values == {"v": 2} and store.load_folder(folder).values == {"v": 2}


def test_a_dead_writers_leftover_is_recovered_even_when_its_pid_is_reused(tmp_path):
    folder = tmp_path / "toy" / "smoke"
    store.save(store.Result("toy", "smoke", values={"v": 1}, provenance={"version": 1}), folder)
    live = os.getppid()  # a PID that is alive: a dead writer's PID, reused
    folder.rename(folder.with_name(f".smoke.old-{live}"))  # killed between the two renames of a save
    (folder.parent / f".smoke.tmp-{live}").mkdir()
    assert store.load_folder(folder).values == {"v": 1}  # comes back at once, not hidden
    assert sorted(p.name for p in folder.parent.iterdir()) == [".smoke.lock", "smoke"]


@dataclass(frozen=True)
class SlowConfig:
    n: int = 4


def slow_cells(config):
    return [Cell(f"c={i}", {"i": i}) for i in range(config.n)]


def slow_compute(config, cell, deps, ctx):
    marks = Path(os.environ["TOY_MARKS"])
    (marks / f"{cell.key}-{os.getpid()}-{threading.get_ident()}-{time.time_ns()}").write_text("")
    time.sleep(0.5)
    return {"row": pd.DataFrame({"i": [cell.params["i"]], "threads": [torch.get_num_threads()]})}


def slow_aggregate(config, outputs):
    return {"rows": pd.concat([o["row"] for o in outputs.values()], ignore_index=True)}


def _serial(config, ctx):
    raise AssertionError("the runner computes the grid")


SLOW = Experiment("slowgrid", "00_toy", "a slow toy grid", {"smoke": SlowConfig()}, _serial, Tolerance("exact"),
                  Grid(slow_cells, slow_compute, slow_aggregate))


def _run_slow(results: str, marks: str) -> None:
    os.environ["DEADPIXELS_RESULTS"], os.environ["TOY_MARKS"] = results, marks
    R.run_and_save(SLOW, "smoke", RunContext(progress=False, threads=1))


def test_two_identical_runs_at_once_compute_each_cell_once(tmp_path, monkeypatch):
    results, marks = tmp_path / "results", tmp_path / "marks"
    marks.mkdir()
    spawn = multiprocessing.get_context("spawn")
    runs = [spawn.Process(target=_run_slow, args=(str(results), str(marks))) for _ in range(2)]
    for p in runs:
        p.start()
    for p in runs:
        p.join(timeout=300)
    assert [p.exitcode for p in runs] == [0, 0]
    computed = sorted(m.name.split("-")[0] for m in marks.iterdir())
    assert computed == ["c=0", "c=1", "c=2", "c=3"]  # the second run waited for and reused the first's cells
    monkeypatch.setenv("DEADPIXELS_RESULTS", str(results))
    assert sorted(R.load(SLOW, "smoke").tables["rows"]["i"]) == [0, 1, 2, 3]


def test_a_resume_with_other_threads_is_refused_naming_the_cached_ones(results_tmp, monkeypatch, tmp_path):
    monkeypatch.setenv("TOY_MARKS", str(tmp_path))
    one = RunContext(progress=False, threads=1)
    R.run_and_save(SLOW, "smoke", one)
    shutil.rmtree(next((results_tmp / "slowgrid" / ".cells").iterdir()) / "c=2")  # as if killed before c=2
    with pytest.raises(ValueError, match=r"3 of 4 cached cells.*1 CPU threads on cpu.*resume with --threads 1"):
        R.run_and_save(SLOW, "smoke", RunContext(progress=False, threads=2))
    R.run_and_save(SLOW, "smoke", one)  # the same settings resume


def test_provenance_states_the_cells_threads_and_verify_reruns_with_them(results_tmp, monkeypatch, tmp_path):
    monkeypatch.setenv("TOY_MARKS", str(tmp_path))
    torch.set_num_threads(2)
    res = R.run_and_save(SLOW, "smoke", QUIET, executor=make_executor("local", jobs=2))
    share = max(1, (os.cpu_count() or 1) // 2)
    assert set(res.tables["rows"]["threads"]) == {share}
    assert res.provenance["environment"]["cpu_threads"] == share  # the cells', not the driver's 2
    rows = verify(SLOW, "smoke", QUIET)  # no --threads: the recorded ones, so the rerun matches
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]
    if share != 2:
        bad = verify(SLOW, "smoke", RunContext(progress=False, threads=2))
        assert not all(r.ok for r in bad)  # the toy records its threads: another count is seen
