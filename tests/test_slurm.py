"""On a real SLURM cluster without accounting (``scripts/slurm-cluster.sh``, as in CI): a job killed
before it writes its result is reported as failed, with its SLURM state and log, within a bounded
time while the other cells finish; the next run resubmits only it; Ctrl-C cancels the run's jobs.
Skipped where no SLURM controller answers (CI starts one)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deadpixels.paper import cli
from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline import results as R

DRIVER = """
import os, sys, time
from dataclasses import dataclass
from pathlib import Path
import pandas as pd
from deadpixels.paper.pipeline import results as R
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.executors import make_executor
from deadpixels.paper.pipeline.experiment import Cell, Experiment, Grid, Tolerance

@dataclass(frozen=True)
class Config:
    n: int = 3

def cells(config):
    return [Cell(f"c={i}", {"i": i}) for i in range(config.n)]

def compute(config, cell, deps, ctx):
    if cell.params["i"] == 1:
        time.sleep(float(os.environ.get("TOY_VICTIM_SLEEP", "0")))  # the task the test cancels
    return {"row": pd.DataFrame({"i": [cell.params["i"]]})}

def aggregate(config, outputs):
    return {"rows": pd.concat([o["row"] for o in outputs.values()], ignore_index=True)}

def serial(config, ctx):
    raise AssertionError("the grid runner computes it")

GRID = Grid(cells, compute, aggregate)
TOY = Experiment("slurmtoy", "00_toy", "toy", {"smoke": Config()}, serial, Tolerance("exact"), GRID)
ex = make_executor("slurm", 1, Path(sys.argv[1]), timeout_min=10)
try:
    res = R.run_and_save(TOY, "smoke", RunContext(progress=False, threads=1), executor=ex)
except RuntimeError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
print("computed:", ",".join(res.provenance["cells"]["computed_in_this_run"]))
"""


def _slurm_ready() -> bool:
    if shutil.which("sbatch") is None:
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(
    not _slurm_ready(), reason="no SLURM controller answers here: bash scripts/slurm-cluster.sh start sets one up"
)


def _queue() -> dict[str, str]:
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i %T"], capture_output=True, text=True, check=False).stdout
    return dict(line.split(None, 1) for line in out.splitlines() if line.strip())


def _wait_for_running_victim(proc: subprocess.Popen, before: set[str], timeout: float = 90) -> str:
    """The id of task 1 of the array this driver submitted, once SLURM runs it."""
    end = time.time() + timeout
    while time.time() < end:
        assert proc.poll() is None, proc.communicate()
        mine = {k: v for k, v in _queue().items() if k.split("_")[0] not in before}
        victim = [k for k, v in mine.items() if k.endswith("_1") and v.strip() == "RUNNING"]
        if victim:
            return victim[0]
        time.sleep(0.2)
    raise AssertionError(f"the victim task never ran: {_queue()}")


def _driver(tmp: Path, env: dict[str, str], script: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp / "logs")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def setup(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = {
        **os.environ,
        "DEADPIXELS_RESULTS": str(tmp_path / "results"),
        "DEADPIXELS_SLURM_GONE_S": "10",
        "DEADPIXELS_SLURM_POLL_S": "1",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    return tmp_path, env, script


def test_a_cancelled_task_is_reported_the_others_finish_and_the_rerun_resubmits_only_it(setup):
    tmp, env, script = setup
    start = time.time()
    before = {k.split("_")[0] for k in _queue()}
    proc = _driver(tmp, {**env, "TOY_VICTIM_SLEEP": "600"}, script)
    victim = _wait_for_running_victim(proc, before)
    subprocess.run(["scancel", victim], check=True)
    cancelled = time.time()
    out, err = proc.communicate(timeout=120)
    noticed = time.time() - cancelled
    assert proc.returncode == 1, (out, err)
    assert noticed < 10 + 1 + 30, noticed  # the grace, a poll, and the other cells' run
    assert f"SLURM job {victim} ended without a result" in err and "c=1" in err, err
    assert "SLURM state: " in err and "log: " in err and ".err" in err, err
    assert "1 of 3 cells of slurmtoy failed (2 cached)" in err, err
    env.pop("TOY_VICTIM_SLEEP", None)
    again = _driver(tmp, env, script)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert out.strip().endswith("computed: c=1"), out  # only the dead task was resubmitted
    assert time.time() - start < 120


def test_ctrl_c_cancels_the_runs_jobs(setup):
    tmp, env, script = setup
    before = {k.split("_")[0] for k in _queue()}
    proc = _driver(tmp, {**env, "TOY_VICTIM_SLEEP": "600"}, script)
    victim = _wait_for_running_victim(proc, before)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    array = victim.split("_")[0]
    end = time.time() + 30
    while time.time() < end and any(
        k.split("_")[0] == array and v.strip() in ("RUNNING", "PENDING") for k, v in _queue().items()
    ):
        time.sleep(0.5)
    left = {k: v for k, v in _queue().items() if k.split("_")[0] == array and v.strip() in ("RUNNING", "PENDING")}
    assert left == {}, left


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "provenance.json"}


def test_slurm_runs_the_grid_and_reruns_only_a_missing_cell(results_tmp, capsys):
    base = ["run", "kp_finetune", "--scale", "smoke", "--quiet", "--threads", "1"]
    assert cli.main([*base, "--executor", "local"]) == 0
    local = R.load(get_experiment("kp_finetune"), "smoke")
    reference = _files(local.folder)
    shutil.rmtree(results_tmp / "kp_finetune")
    assert cli.main([*base, "--executor", "slurm", "--slurm-time", "10"]) == 0, capsys.readouterr().err
    slurm = R.load(get_experiment("kp_finetune"), "smoke")
    assert _files(slurm.folder) == reference
    exp = get_experiment("kp_finetune")
    assert len(slurm.provenance["cells"]["computed_in_this_run"]) == len(exp.as_grid.cells(exp.config("smoke")))
    cells = next((results_tmp / "kp_finetune" / ".cells").iterdir())
    shutil.rmtree(cells / "seed=0,method=kp")
    assert cli.main([*base, "--executor", "slurm", "--slurm-time", "10"]) == 0
    again = R.load(get_experiment("kp_finetune"), "smoke")
    assert again.provenance["cells"]["computed_in_this_run"] == ["seed=0,method=kp"]
    assert _files(again.folder) == reference
