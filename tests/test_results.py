import json
import warnings

import numpy as np
import pandas as pd
import pytest

from deadpixels.experiments import Experiment
from deadpixels.results import CacheError, config_hash, load, load_or_run


def _experiment(calls):
    def run(config, device="cpu", progress=True):
        calls.append(config["seed"])
        rng = np.random.default_rng(config["seed"])
        return {"table": pd.DataFrame({"x": rng.random(3)}), "arr": rng.random((4, 4)), "note": {"n": 3}}
    return Experiment("toy", "00_toy", "a toy", {"smoke": {"seed": 1, "data": "random"}, "cpu": {"seed": 2, "data": "random"}}, run)


def test_cache_miss_then_hit(results_tmp):
    calls = []
    exp = _experiment(calls)
    a = load_or_run(exp, "smoke", progress=False)
    b = load_or_run(exp, "smoke", progress=False)
    assert calls == [1]
    pd.testing.assert_frame_equal(a.tables["table"], b.tables["table"])
    np.testing.assert_array_equal(a.arrays["arr"], b.arrays["arr"])
    assert b.values == {"note": {"n": 3}}
    p = b.provenance
    for key in ("experiment", "scale", "config", "config_hash", "seed", "environment", "git_commit", "date", "wall_time_s", "files"):
        assert key in p
    assert p["config_hash"] == config_hash({"seed": 1, "data": "random"})
    assert p["environment"]["torch"].startswith("2.")
    assert "smoke scale" in b.label


def test_stale_config_is_recomputed_with_a_warning(results_tmp):
    calls = []
    exp = _experiment(calls)
    load_or_run(exp, "smoke", progress=False)
    exp.configs["smoke"]["seed"] = 5
    with pytest.warns(UserWarning, match="config"):
        load_or_run(exp, "smoke", progress=False)
    assert calls == [1, 5]


def test_corrupt_files_are_reported_and_recomputed(results_tmp):
    calls = []
    exp = _experiment(calls)
    res = load_or_run(exp, "smoke", progress=False)
    (res.folder / "table.csv").write_text("x\n999\n")
    with pytest.raises(CacheError, match="checksum"):
        load("toy", "smoke")
    with pytest.warns(UserWarning, match="checksum"):
        again = load_or_run(exp, "smoke", progress=False)
    assert calls == [1, 1]
    assert len(again.tables["table"]) == 3
    (res.folder / "provenance.json").write_text("{not json")
    with pytest.warns(UserWarning, match="corrupt"):
        load_or_run(exp, "smoke", progress=False)


def test_missing_cache_runs_silently(results_tmp):
    calls = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_or_run(_experiment(calls), "cpu", progress=False)
    assert calls == [2]
    with pytest.raises(ValueError, match="unknown scale"):
        load_or_run(_experiment(calls), "huge")


def test_force_recomputes(results_tmp):
    calls = []
    exp = _experiment(calls)
    load_or_run(exp, "smoke", progress=False)
    load_or_run(exp, "smoke", progress=False, force=True)
    assert calls == [1, 1]
    prov = json.loads((results_tmp / "toy" / "smoke" / "provenance.json").read_text())
    assert set(prov["files"]) == {"table.csv", "arrays.npz", "values.json"}
