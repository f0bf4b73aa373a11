"""verify's comparison: numbers within tolerance, text equal, missing text equal to missing text."""

import numpy as np
import pandas as pd

from deadpixels.paper.pipeline.experiment import Tolerance
from deadpixels.paper.pipeline.results import Result
from deadpixels.paper.pipeline.verify import compare_arrays, compare_tables


def _result(x, note):
    return Result(
        "t",
        "cpu",
        tables={"t": pd.DataFrame({"x": x, "note": pd.Series(note, dtype="str")})},
        arrays={"m": np.array(x, dtype=np.float16)},
    )


def test_missing_text_equals_missing_text_and_numbers_use_the_tolerance():
    tol = Tolerance("deterministic", rtol=0.0, atol=1e-6)
    a, b = _result([1.0, 2.0], ["odd", None]), _result([1.0, 2.0 + 1e-7], ["odd", None])
    assert all(c.ok for c in compare_tables(a, b, tol) + compare_arrays(a, b, tol))
    c = _result([1.0, 2.1], ["odd", "even"])
    bad = [r.item for r in compare_tables(a, c, tol) if not r.ok]
    assert bad == ["t.x", "t.note"]


def test_tolerance_allows_is_the_formula_it_describes():
    tol = Tolerance("deterministic", rtol=0.1, atol=0.01)
    assert "0.01 + 0.1 |cached|" in tol.describe()
    cached = np.array([1.0, 1.0, 0.0, np.nan, np.nan, 10.0])
    rerun = np.array([1.105, 1.1101, 0.0099, np.nan, 0.0, 8.98])
    assert tol.allows(cached, rerun).tolist() == [True, False, True, True, False, False]


def test_a_trained_rerun_is_judged_by_its_verdicts_and_contrasts_not_its_seeds():
    """Per-seed values of a trained experiment are reported, not required; each claim's verdict and
    each contrast's rerun estimate inside the cached CI are (issue 27)."""
    from dataclasses import replace

    from deadpixels.paper.claims import compare_verdicts
    from deadpixels.paper.claims.judging.engine import load_current
    from deadpixels.paper.experiments import get_experiment

    exp = get_experiment("kp_finetune")
    cached = load_current("kp_finetune", "cpu")
    same = compare_verdicts(exp, "cpu", cached)
    assert same and all(r.ok for r in same)
    assert any(r.item.startswith("contrast kp-lowers-l1: raw L1") for r in same)
    runs = cached.tables["runs"].copy()
    runs.loc[runs["method"] == "kp", "L1_raw"] *= 0.2  # far outside the cached CI
    moved = compare_verdicts(exp, "cpu", replace(cached, tables={**cached.tables, "runs": runs}))
    bad = {r.item for r in moved if not r.ok}
    assert "contrast kp-lowers-l1: raw L1" in bad
    assert "contrast kp-lowers-l1: peak-normalised L1" not in bad


def test_reported_rows_do_not_fail_a_verify():
    from deadpixels.paper.pipeline.verify import Comparison, summarise

    t = summarise([Comparison("runs.L1", 0.1, "rel 1e-3", False, required=False), Comparison("verdict x", 0, "", True)])
    assert list(t["status"]) == ["differs (reported, not required)", "ok"]


def test_verify_of_a_trained_experiment_judges_its_claims_on_the_rerun(results_tmp, capsys):
    """The rerun carries its config into the claims (their protocol and KP gate read it): a smoke
    rerun of kp_finetune is compared verdict by verdict and contrast by contrast."""
    from deadpixels.paper import cli

    assert cli.main(["run", "kp_finetune", "--scale", "smoke", "--quiet"]) == 0
    assert cli.main(["verify", "kp_finetune", "--scale", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "verdict kp-lowers-l1" in out and "contrast kp-lowers-l1: raw L1" in out
