"""What the gpu scale added, checked on the CPU at smoke size: the padded-entry norms, TF32
switched off for measurements, BatchNorm statistics of noise-trained models from clean images,
the pilot's rule and a fixed task, and provenance for runs outside a git checkout."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from deadpixels import find_odd_stride_layers, kernel_pad
from deadpixels.kernel_padding import padded_entry_share
from deadpixels.paper.experiments.finetune import GPU, FinetuneConfig, choose, finetune_cells
from deadpixels.paper.lab.measure import calibrate_batchnorm
from deadpixels.paper.lab.training import TrainConfig, clean_images, train_classifier
from deadpixels.paper.pipeline import provenance as P
from deadpixels.utils import full_float32


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, stride=2, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, padding=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 3),
    )


def test_padded_entries_start_at_zero_and_their_share_is_measured():
    net = small_net()
    layers = find_odd_stride_layers(net)
    kp = kernel_pad(net)
    assert padded_entry_share(kp, layers) == {"0": 0.0, "3": 0.0}
    with torch.no_grad():
        kp[0].weight[..., -1, :] = 1.0  # the added bottom row only
    w = kp[0].weight.detach()
    share = padded_entry_share(kp, layers)
    assert share["0"] == pytest.approx(float(w[..., -1, :].norm() / w.norm()))
    with pytest.raises(ValueError, match="not padded"):
        padded_entry_share(net, layers)


def test_full_float32_switches_tf32_off_and_restores_it():
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = True
    with full_float32():
        assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


def test_noise_trained_models_are_evaluated_with_clean_batchnorm_statistics():
    g = torch.Generator().manual_seed(0)
    splits = {
        k: TensorDataset(torch.rand(n, 3, 16, 16, generator=g), torch.randint(0, 3, (n,), generator=g))
        for k, n in (("train", 32), ("val", 8), ("test", 8))
    }
    noisy = TrainConfig(epochs=2, batch_size=8, noise_std=1.0)
    model, _ = train_classifier(small_net(), splits, noisy, 0, progress=False)
    clean = small_net()
    clean.load_state_dict(model.state_dict())
    calibrate_batchnorm(clean, clean_images(splits["train"]), batch_size=8)
    torch.testing.assert_close(model[1].running_var, clean[1].running_var)  # not the noisy inputs' statistics
    assert model[1].momentum == 0.1  # calibration leaves the momentum as it was
    unfixed, _ = train_classifier(
        small_net(), splits, TrainConfig(epochs=2, batch_size=8, noise_std=1.0, clean_bn=False), 0, progress=False
    )
    assert not torch.allclose(unfixed[1].running_var, clean[1].running_var)


def test_the_pilot_rule_and_a_fixed_task():
    c = FinetuneConfig(difficulties=((0.1, 0.2), (0.01, 0.02), (0.001, 0.002)))
    table = pd.DataFrame({"vanilla_test_acc": [0.99, 0.9, 0.7], "in_band": [False, True, True]})
    assert choose(c, table) == 1  # the first in the band
    table = pd.DataFrame({"vanilla_test_acc": [0.99, 0.97, 0.4], "in_band": [False] * 3})
    assert choose(c, table) == 1  # none in the band: the closest to its centre (0.775)
    cells = {cell.key: cell for cell in finetune_cells(c)}
    assert cells["seed=0,method=kp"].after == ("pilot/0", "pilot/1", "pilot/2")
    fixed = {cell.key: cell for cell in finetune_cells(FinetuneConfig(task=0))}
    assert fixed["seed=0,method=kp"].after == () and "pilot/3" in fixed  # the pilot still runs, as its record


def test_the_gpu_scale_is_long_enough_for_the_issue():
    steps = GPU.epochs * -(-GPU.n_train // GPU.batch_size)
    assert steps >= 1000 and GPU.size >= 160 and len(GPU.seeds) >= 8
    assert set(GPU.methods) == {"vanilla", "kp", "noise", "blurpool"}


def test_a_copied_tree_records_the_commit_it_was_given(monkeypatch):
    monkeypatch.setenv(P.COMMIT_ENV, "abc123")  # wins even over a (possibly stale) .git
    assert P.git_state() == {"git_commit": "abc123", "dirty": None, "commit_from": P.COMMIT_ENV}
    monkeypatch.delenv(P.COMMIT_ENV)
    monkeypatch.setattr(P, "_git", lambda *a: None)
    assert P.git_state() == {"git_commit": None, "dirty": None}


def test_source_hash_at_a_commit_is_the_hash_recorded_by_a_run_of_it():
    prov = json.loads((P.REPO_ROOT / "data/results/trf/cpu/provenance.json").read_text())
    assert P.source_hash_at(prov["git_commit"], prov["source_module"]) == prov["source_hash"]
    assert P.source_hash_at("0" * 40, prov["source_module"]) is None


# --- results computed elsewhere: collected, checked against their commit, partial ones labelled ---


def _toy_cells(results_tmp):
    """A toy grid computed here, with one seed's cell failing (a run stopped early)."""
    from deadpixels.paper.pipeline import results as R
    from deadpixels.paper.pipeline.runner import cell_root
    from test_grid import FAIL, QUIET, TOY

    FAIL.add("seed=2")
    with pytest.raises(RuntimeError):
        R.run_and_save(TOY, "smoke", QUIET)
    FAIL.clear()
    return TOY, cell_root(R.results_dir(), "toygrid", "smoke", R.config_hash(TOY.config("smoke")))


def test_collect_assembles_cells_and_labels_a_partial_result(results_tmp):
    from deadpixels.paper.pipeline.collect import collect, is_partial, partial_note
    from deadpixels.paper.pipeline.verify import verify

    toy, cells = _toy_cells(results_tmp)
    with pytest.raises(ValueError, match="1 cells are missing"):
        collect(toy, "smoke", cells, "HEAD")
    res = collect(toy, "smoke", cells, "HEAD", partial=True, wall_time_s=12.0)
    assert is_partial(res) and partial_note(res) == "partial run: 3 of 4 cells"
    assert res.provenance["cells"]["missing"] == ["seed=2"] and res.provenance["wall_time_s"] == 12.0
    assert sorted(res.tables["rows"]["seed"].unique()) == [0, 1]
    with pytest.raises(ValueError, match="partial result"):
        verify(toy, "smoke")
    with pytest.raises(ValueError, match="not in this repository"):
        collect(toy, "smoke", cells, "0" * 40, partial=True)


def test_collect_refuses_cells_of_other_code(results_tmp):
    from deadpixels.paper.pipeline.collect import collect

    toy, cells = _toy_cells(results_tmp)
    prov = cells / "seed=0" / "provenance.json"
    d = json.loads(prov.read_text())
    d["source_hash"] = "0" * 16
    prov.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="ran other code"):
        collect(toy, "smoke", cells, "HEAD", partial=True)


def test_committed_results_name_the_commit_whose_code_they_ran():
    """Results collected from a copied tree (no trustworthy git there) are checked here."""
    checked = 0
    for path in sorted((P.REPO_ROOT / "data" / "results").glob("*/*/provenance.json")):
        prov = json.loads(path.read_text())
        if prov.get("commit_from"):
            assert P.source_hash_at(prov["git_commit"], prov["source_module"]) == prov["source_hash"], path
            checked += 1
    assert checked >= 1  # the gpu-scale result of kp_finetune


def test_a_float32_erf_on_the_gpu_is_within_1_percent_of_the_float64_one():
    """Measured on an H200 by scripts/erf_precision.py (committed); TF32 was the cause of the 5% seen before."""
    check = json.loads((P.REPO_ROOT / "data/checks/kp_finetune_gpu/erf_precision_cuda.json").read_text())
    assert "H200" in check["environment"]["device"] or "H100" in check["environment"]["device"]
    assert P.source_hash_at(check["git_commit"], "deadpixels.erf") == check["source_hash"]
    for target, row in check["targets"].items():
        assert row["effective_rf_float32_vs_float64_256_images"] < 0.01, target
        assert row["loop_float32_tf32_off_vs_float64_16_images"] < 0.01, target
        assert row["loop_float32_tf32_allowed_vs_float64_16_images"] > 0.05, target  # TF32 is what moved it


def test_collect_on_a_copied_tree_takes_the_checked_source_hash(results_tmp, monkeypatch):
    """On a GPU machine there is no git: the run checked the tree's hash against the commit's, and
    collect takes that hash instead, saying so; any other hash is refused."""
    from deadpixels.paper.pipeline import collect as C

    toy, cells = _toy_cells(results_tmp)
    monkeypatch.setattr(C, "source_hash_at", lambda commit, module: None)
    with pytest.raises(ValueError, match="--source-hash"):
        C.collect(toy, "smoke", cells, "abc1234", partial=True)
    with pytest.raises(ValueError, match="is not this tree's source hash"):
        C.collect(toy, "smoke", cells, "abc1234", partial=True, tree_source_hash="0" * 16)
    res = C.collect(toy, "smoke", cells, "abc1234", partial=True, tree_source_hash=P.source_hash(toy.run.__module__))
    assert "copied tree" in res.provenance["commit_from"] and res.provenance["git_commit"] == "abc1234"


def test_the_spread_of_rerun_cells_is_measured_against_the_cached_ones(results_tmp):
    from deadpixels.paper.pipeline import results as R
    from deadpixels.paper.pipeline.verify import cell_spread
    from test_grid import QUIET, TOY

    R.run_and_save(TOY, "smoke", QUIET)
    t = cell_spread(TOY, "smoke", ["seed=0", "seed=1"], repeat=2, ctx=QUIET)
    assert set(t["cell"]) == {"seed=0", "seed=1"} and set(t["repeat"]) == {1, 2}
    assert (t["max_abs_diff"] == 0).all()  # the same machine, threads and code: the same numbers
    with pytest.raises(ValueError, match="has no cell nope"):
        cell_spread(TOY, "smoke", ["nope"], ctx=QUIET)


def test_the_gpu_scripts_parse_and_refuse_other_code(tmp_path):
    import os
    import subprocess
    import sys

    for script in ("scripts/gpu-run.sh", "scripts/gpu-land.sh"):
        assert subprocess.run(["bash", "-n", str(P.REPO_ROOT / script)], check=False).returncode == 0, script
    out = subprocess.run(
        ["bash", "scripts/gpu-run.sh", "0" * 40, "0" * 16, str(tmp_path / "out")],
        cwd=P.REPO_ROOT, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "GPU_SCALE": "smoke", "GPU_DEVICE": "cpu", "PYTHON": sys.executable},
    )
    assert out.returncode == 3 and "refusing to run" in out.stdout


def test_collect_names_the_full_commit_and_never_lets_a_partial_result_replace_a_complete_one(results_tmp):
    """Issue 28, F2: `--commit HEAD` is stored as a SHA; a partial collect over a complete cached
    result is refused without force."""
    from deadpixels.paper.pipeline import results as R
    from deadpixels.paper.pipeline.collect import collect

    toy, cells = _toy_cells(results_tmp)
    res = collect(toy, "smoke", cells, "HEAD", partial=True)
    assert len(res.provenance["git_commit"]) == 40 and res.provenance["git_commit"] != "HEAD"
    from test_grid import QUIET

    R.run_and_save(toy, "smoke", QUIET)  # the complete result (it also computes the missing cell)
    shutil.rmtree(cells / "seed=2")  # the cells of a run elsewhere that stopped early
    with pytest.raises(ValueError, match="cached complete"):
        collect(toy, "smoke", cells, "HEAD", partial=True)
    assert R.load(toy, "smoke").provenance.get("complete") is not False  # untouched
    assert collect(toy, "smoke", cells, "HEAD", partial=True, force=True).provenance["complete"] is False


def test_collect_replaces_nothing_when_its_result_does_not_read_back(results_tmp, monkeypatch):
    """Issue 28, F2: an empty table (no kp cell) used to replace the good result before the read-back failed."""
    import pandas as pd

    from deadpixels.paper.pipeline import collect as C
    from deadpixels.paper.pipeline import results as R

    toy, cells = _toy_cells(results_tmp)
    good = C.collect(toy, "smoke", cells, "HEAD", partial=True)
    before = (good.folder / "provenance.json").read_text()
    real = C.Result.from_output

    def with_an_empty_table(*a, **k):
        r = real(*a, **k)
        r.tables["padded"] = pd.DataFrame()
        return r

    monkeypatch.setattr(C.Result, "from_output", staticmethod(with_an_empty_table))
    with pytest.raises(ValueError, match="does not read back"):
        C.collect(toy, "smoke", cells, "HEAD", partial=True, force=True)
    assert (good.folder / "provenance.json").read_text() == before
    assert R.load(toy, "smoke").tables.keys() == good.tables.keys()


@pytest.mark.parametrize("bad", ["nan", "-1", "inf", "soon"])
def test_collect_refuses_a_wall_time_that_is_not_a_duration(results_tmp, capsys, bad):
    from deadpixels.paper import cli

    with pytest.raises(SystemExit):
        cli.main(["collect", "trf", "--scale", "cpu", "--cells", ".", "--commit", "HEAD", "--wall-time", bad])
    assert "seconds" in capsys.readouterr().err
