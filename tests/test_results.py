"""The results cache: provenance, checksums, stale configs, overrides and atomic writes."""

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper.pipeline import results as R
from deadpixels.paper.pipeline import store
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.experiment import Experiment, Tolerance, override
from deadpixels.paper.pipeline.provenance import code_status, source_files, source_hash

QUIET = RunContext(progress=False)


@dataclass(frozen=True)
class ToyConfig:
    seed: int
    data: str = "random"
    seeds: tuple = (0,)


def _experiment(calls):
    def run(config, ctx):
        calls.append(config.seed)
        rng = np.random.default_rng(config.seed)
        return {"table": pd.DataFrame({"x": rng.random(3)}), "arr": rng.random((4, 4)), "note": {"n": 3}}

    return Experiment("toy", "00_toy", "a toy", {"smoke": ToyConfig(1), "cpu": ToyConfig(2)}, run, Tolerance("exact"))


def test_save_then_load_with_provenance(results_tmp):
    calls = []
    exp = _experiment(calls)
    a = R.run_and_save(exp, "smoke", ctx=QUIET)
    b = R.load(exp, "smoke")
    assert calls == [1]
    pd.testing.assert_frame_equal(a.tables["table"], b.tables["table"])
    np.testing.assert_array_equal(a.arrays["arr"], b.arrays["arr"])
    assert b.values == {"note": {"n": 3}}
    p = b.provenance
    for key in (
        "experiment",
        "scale",
        "config",
        "config_hash",
        "seed",
        "environment",
        "git_commit",
        "dirty",
        "source_hash",
        "date",
        "wall_time_s",
        "files",
    ):
        assert key in p, key
    assert p["config_hash"] == R.config_hash(ToyConfig(1)) and p["canonical"] is True
    assert p["source_module"] == __name__ and p["source_hash"] == source_hash(__name__)
    assert {"cpu_threads", "cpu_capability"} <= set(p["environment"])
    for dist in ("torch", "torchvision", "numpy", "scikit-image", "antialiased-cnns"):
        assert dist in p["environment"], dist
    assert "smoke scale" in b.label


def test_stale_config_and_corrupt_files_are_errors(results_tmp):
    exp = _experiment([])
    res = R.run_and_save(exp, "smoke", ctx=QUIET)
    changed = Experiment("toy", "00_toy", "a toy", {"smoke": ToyConfig(5)}, exp.run, exp.tolerance)
    with pytest.raises(R.CacheError, match="config"):
        R.load(changed, "smoke")
    (res.folder / "table.csv").write_text("x\n999\n")
    with pytest.raises(R.CacheError, match="checksum"):
        R.load(exp, "smoke")
    (res.folder / "provenance.json").write_text("{not json")
    with pytest.raises(R.CacheError, match="corrupt"):
        R.load(exp, "smoke")
    with pytest.raises(R.CacheError, match="no cached result"):
        R.load(exp, "cpu")


def test_overrides_never_replace_the_canonical_result(results_tmp):
    calls = []
    exp = _experiment(calls)
    canonical = R.run_and_save(exp, "smoke", ctx=QUIET)
    other = R.run_and_save(exp, "smoke", ctx=QUIET, config=override(exp.config("smoke"), seeds=(3, 4)))
    assert other.folder != canonical.folder and other.folder.name.startswith("smoke+")
    assert other.provenance["canonical"] is False and other.provenance["config"]["seeds"] == [3, 4]
    assert R.load(exp, "smoke").provenance["config_hash"] == canonical.provenance["config_hash"]
    with pytest.raises(ValueError, match="no field colour"):
        override(exp.config("smoke"), colour="red")
    with pytest.raises(AttributeError):  # configs are frozen (FrozenInstanceError): nothing edits the registry in place
        exp.config("smoke").seed = 9  # type: ignore[misc]


def test_an_interrupted_save_leaves_the_old_result_intact(results_tmp, monkeypatch):
    exp = _experiment([])
    old = R.run_and_save(exp, "smoke", ctx=QUIET)
    before = (old.folder / "table.csv").read_text()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing the arrays

    monkeypatch.setattr(store.np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        R.run_and_save(exp, "smoke", ctx=QUIET)
    again = R.load(exp, "smoke")
    assert (again.folder / "table.csv").read_text() == before
    # .cells: the grid's cache; .lock files: the writers' locks, kept between uses
    left = sorted(p.name for p in again.folder.parent.iterdir() if p.name != ".cells" and not p.name.endswith(".lock"))
    assert left == ["smoke"]  # no temporary folder left


def test_source_hash_covers_the_code_an_experiment_runs():
    names = {p.name for p in source_files("deadpixels.paper.experiments.classifiers")}
    assert {"classifiers.py", "erf.py", "graph.py", "training.py", "trained.py", "data.py"} <= names
    assert "kernel_padding.py" in names
    assert not {"book.py", "plotting.py", "cli.py", "verify.py", "census.py"} & names
    assert "training.py" not in {p.name for p in source_files("deadpixels.paper.experiments.census")}
    prov = {"source_module": "deadpixels.paper.experiments.census"}
    assert code_status({**prov, "source_hash": source_hash(prov["source_module"])}) == "same code"
    assert code_status({**prov, "source_hash": "0" * 16}) == "code changed"
    assert code_status({}) == "unknown"


def test_unknown_scale_is_a_clear_error(results_tmp):
    exp = _experiment([])
    with pytest.raises(ValueError, match="unknown scale"):
        R.run_and_save(exp, "huge")
    with pytest.raises(ValueError, match="has no 'paper' scale"):
        exp.config("paper")
    assert json.dumps(R.config_hash(ToyConfig(1)))


STEPS = ("tables", "files", "provenance", "moved aside", "swapped", "done")
KILLED_SAVE = """
import os, signal, sys
import pandas as pd
from pathlib import Path
from deadpixels.paper.pipeline import store
step, folder = sys.argv[1], Path(sys.argv[2])
store.FAULT_HOOK = lambda name: os.kill(os.getpid(), signal.SIGKILL) if name == step else None
res = store.Result("trf", "smoke", tables={"t": pd.DataFrame({"x": [2.0]})}, provenance={"version": "new"})
store.save(res, folder)
"""


@pytest.mark.parametrize("step", STEPS)
def test_a_save_killed_at_any_step_leaves_the_old_or_the_new_result(results_tmp, step, capsys):
    import subprocess
    import sys

    from deadpixels.paper import cli

    folder = R.results_dir() / "trf" / "smoke"
    old = store.Result("trf", "smoke", tables={"t": pd.DataFrame({"x": [1.0]})}, provenance={"version": "old"})
    store.save(old, folder)
    cmd = [sys.executable, "-c", KILLED_SAVE, step, str(folder)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr  # killed, as injected
    res = store.load_folder(folder)
    version, x = res.provenance["version"], res.tables["t"]["x"].iloc[0]
    assert (version, x) in (("old", 1.0), ("new", 2.0))  # complete: the provenance matches the data
    assert version == ("new" if step in ("swapped", "done") else "old")
    assert sorted(p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")) == ["smoke"]  # no leftover
    assert cli.main(["list"]) == 0
    assert "trf" in capsys.readouterr().out


def test_ctrl_c_between_the_renames_restores_the_old_result(results_tmp):
    folder = R.results_dir() / "toy" / "smoke"
    store.save(store.Result("toy", "smoke", values={"v": 1}), folder)

    def interrupt(name):
        if name == "moved aside":
            raise KeyboardInterrupt

    store.FAULT_HOOK = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            store.save(store.Result("toy", "smoke", values={"v": 2}), folder)
    finally:
        store.FAULT_HOOK = None
    assert store.load_folder(folder).values == {"v": 1}
    assert sorted(p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")) == ["smoke"]


def test_missing_corrupt_and_stale_are_told_apart(results_tmp):
    exp = _experiment([])
    with pytest.raises(R.MissingResult):
        R.load(exp, "smoke")
    res = R.run_and_save(exp, "smoke", ctx=QUIET)
    for broken in ("[]", "null", "{not json"):
        (res.folder / "provenance.json").write_text(broken)
        with pytest.raises(R.CorruptResult):
            R.load(exp, "smoke")
    (res.folder / "provenance.json").unlink()
    with pytest.raises(R.CorruptResult, match="no provenance"):
        R.load(exp, "smoke")


def test_an_unwritable_results_folder_fails_before_the_run(results_tmp, monkeypatch):
    calls = []
    exp = _experiment(calls)
    monkeypatch.setenv("DEADPIXELS_RESULTS", "/proc/deadpixels-cannot-write-here")
    with pytest.raises(OSError, match="cannot be written"):
        R.run_and_save(exp, "smoke", ctx=QUIET)
    assert calls == []  # no work was done
