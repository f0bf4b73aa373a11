"""The grid runner: cells cached one by one, resumable after a crash, failures reported with the
others finished, the same numbers whichever executor computes them (worker processes, submitit;
the real single-node SLURM cluster is in tests/test_slurm.py)."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper import cli
from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline import results as R
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.executors import make_executor
from deadpixels.paper.pipeline.experiment import Cell, Experiment, Grid, Tolerance, override

QUIET = RunContext(progress=False)
CALLS: list[str] = []
FAIL: set[str] = set()


@dataclass(frozen=True)
class GridConfig:
    seeds: tuple = (0, 1, 2)
    scale: float = 1.0


def cells(config):
    return [Cell("base")] + [Cell(f"seed={s}", {"seed": s}, ("base",)) for s in config.seeds]


def compute(config, cell, deps, ctx):
    CALLS.append(cell.key)
    if cell.key in FAIL:
        raise RuntimeError(f"injected failure in {cell.key}")
    if cell.key == "base":
        return {"offset": 10.0}
    x = np.random.default_rng(cell.params["seed"]).random(3) * config.scale + deps["base"]["offset"]
    return {"rows": pd.DataFrame({"seed": cell.params["seed"], "x": x})}


def aggregate(config, outputs):
    return {"rows": pd.concat([o["rows"] for k, o in outputs.items() if k != "base"], ignore_index=True)}


def serial_run(config, ctx):
    raise AssertionError("the runner computes the grid, not the serial run")


TOY = Experiment("toygrid", "00_toy", "a toy grid", {"smoke": GridConfig()}, serial_run, Tolerance("exact"),
                 Grid(cells, compute, aggregate))


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAIL.clear()


def test_cells_are_cached_and_reused(results_tmp):
    first = R.run_and_save(TOY, "smoke", QUIET)
    assert sorted(CALLS) == ["base", "seed=0", "seed=1", "seed=2"]
    assert len(first.tables["rows"]) == 9 and first.provenance["cells"]["n"] == 4
    CALLS.clear()
    again = R.run_and_save(TOY, "smoke", QUIET)
    assert CALLS == []  # every cell cached
    pd.testing.assert_frame_equal(first.tables["rows"], again.tables["rows"])


def test_a_failed_cell_is_reported_the_others_finish_and_a_rerun_computes_only_it(results_tmp, capsys):
    FAIL.add("seed=1")
    said = r"(?s)1 of 4 cells of toygrid failed \(3 cached\).*injected failure in seed=1"
    with pytest.raises(RuntimeError, match=said):
        R.run_and_save(TOY, "smoke", QUIET)
    assert sorted(CALLS) == ["base", "seed=0", "seed=1", "seed=2"]
    with pytest.raises(R.MissingResult):
        R.load(TOY, "smoke")  # nothing aggregated from an incomplete grid
    FAIL.clear()
    CALLS.clear()
    res = R.run_and_save(TOY, "smoke", QUIET)
    assert CALLS == ["seed=1"] and res.provenance["cells"]["computed_in_this_run"] == ["seed=1"]


def test_a_failed_dependency_blocks_its_dependents_only(results_tmp):
    FAIL.add("base")
    with pytest.raises(RuntimeError, match="seed=0: not run: it needs base, which failed"):
        R.run_and_save(TOY, "smoke", QUIET)
    assert CALLS == ["base"]


def test_fresh_forgets_the_cached_cells(results_tmp):
    R.run_and_save(TOY, "smoke", QUIET)
    CALLS.clear()
    R.clear_cells(TOY, "smoke")
    R.run_and_save(TOY, "smoke", QUIET)
    assert sorted(CALLS) == ["base", "seed=0", "seed=1", "seed=2"]


def test_a_grid_whose_cells_wait_for_missing_or_each_other_is_refused(results_tmp):
    bad = Grid(lambda c: [Cell("a", after=("b",)), Cell("b", after=("a",))], compute, aggregate)
    missing = Grid(lambda c: [Cell("a", after=("nothing",))], compute, aggregate)
    for grid, said in ((bad, "wait on each other"), (missing, "do not exist: nothing")):
        exp = Experiment("toygrid", "00_toy", "bad", {"smoke": GridConfig()}, serial_run, Tolerance("exact"), grid)
        with pytest.raises(ValueError, match=said):
            R.run_and_save(exp, "smoke", QUIET)
    assert CALLS == []


def test_a_changed_config_invalidates_the_cells(results_tmp):
    R.run_and_save(TOY, "smoke", QUIET)
    CALLS.clear()
    R.run_and_save(TOY, "smoke", QUIET, config=override(TOY.config("smoke"), scale=2.0))
    assert sorted(CALLS) == ["base", "seed=0", "seed=1", "seed=2"]


def test_a_run_killed_mid_grid_resumes_with_the_missing_cells(results_tmp):
    """SIGKILL a real kp_finetune run once some cells are cached; the rerun computes only the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "DEADPIXELS_RESULTS": str(results_tmp)}
    cmd = [sys.executable, "-m", "deadpixels", "run", "kp_finetune", "--scale", "smoke", "--quiet"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    done: list[str] = []
    while time.time() < deadline and proc.poll() is None:
        done = sorted(p.parent.name for p in results_tmp.glob("kp_finetune/.cells/*/*/provenance.json"))
        if len(done) >= 2:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(done) >= 2, "the run ended before two cells were cached"
    res = R.run_and_save(get_experiment("kp_finetune"), "smoke", QUIET)
    computed = res.provenance["cells"]["computed_in_this_run"]
    n_cells = len(get_experiment("kp_finetune").as_grid.cells(get_experiment("kp_finetune").config("smoke")))
    assert not set(done) & set(computed) and len(set(done) | set(computed)) == n_cells == 6


def _finetune(executor):
    """kp_finetune at smoke scale, two methods, one thread per cell (float32 results depend on it)."""
    exp = get_experiment("kp_finetune")
    config = override(exp.config("smoke"), methods=("vanilla", "kp"))
    return R.run_and_save(exp, "smoke", RunContext(progress=False, threads=1), config=config, executor=executor)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "provenance.json"}


@pytest.mark.parametrize("kind,jobs", [("local", 2), ("submitit-local", 1)])
def test_the_same_numbers_whichever_executor(results_tmp, tmp_path, kind, jobs):
    one = _files(_finetune(make_executor("local", 1)).folder)
    shutil.rmtree(results_tmp)
    other = _finetune(make_executor(kind, jobs, tmp_path / "logs"))
    assert _files(other.folder) == one
    assert sorted(other.provenance["cells"]["computed_in_this_run"]) == [
        "pilot/0", "pretrained", "seed=0,method=kp", "seed=0,method=vanilla"
    ]


def test_list_shows_a_partly_computed_grid(results_tmp, capsys):
    from deadpixels.paper.pipeline.provenance import source_hash
    from deadpixels.paper.pipeline.runner import CellTask, cell_root, compute_cell, safe_key

    exp = get_experiment("kp_finetune")
    config = exp.config("smoke")
    chash = R.config_hash(config)
    root = cell_root(R.results_dir(), exp.name, "smoke", chash)
    source = source_hash(exp.run.__module__)
    for cell in exp.as_grid.cells(config)[:2]:  # the pilot and the pretrained model's stage ERF
        deps = tuple((a, root / safe_key(a)) for a in cell.after)
        task = CellTask(exp, "smoke", config, cell, root / safe_key(cell.key), deps, QUIET, source, chash)
        assert compute_cell(task).ok
    assert cli.main(["list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("kp_finetune"))
    assert "2 of 6 cells" in row
