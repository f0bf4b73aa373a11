"""Every experiment at smoke scale through the CLI, determinism, and a paper-scale dry run on generated data."""
import json

import numpy as np
import pandas as pd
import pytest

from deadpixels import cli
from deadpixels.experiments import EXPERIMENTS, get_experiment
from deadpixels.results import load


def test_cli_runs_every_experiment_at_smoke_scale(results_tmp, capsys):
    assert cli.main(["run", "all", "--scale", "smoke", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "summary:" in out
    for name in EXPERIMENTS:
        res = load(name, "smoke")
        assert res.provenance["scale"] == "smoke"
        assert res.tables, name
    assert cli.main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "cached" in listing and "census" in listing and "no such scale" in listing
    assert cli.main(["claims", "--scale", "smoke"]) == 0
    claims = pd.read_csv(results_tmp / "claims.csv")
    assert json.loads((results_tmp / "claims_provenance.json").read_text())["scale"] == "smoke"
    assert list(claims.columns[:7]) == ["claim_id", "chapter", "statement", "paper", "ours", "scale", "verdict"]
    assert set(claims["verdict"]) <= {"reproduced", "partially reproduced", "not reproduced", "not run at this scale"}
    ran = claims[claims["verdict"] != "not run at this scale"]
    assert len(ran) >= 10, claims[["claim_id", "ours"]]
    assert claims[claims["verdict"] == "not run at this scale"]["ours"].str.contains("lacks").all()


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(SystemExit, match="unknown experiment or chapter"):
        cli.main(["run", "nonsense", "--scale", "smoke"])
    with pytest.raises(ValueError, match="available"):
        get_experiment("nonsense")


def test_same_seed_same_numbers(results_tmp):
    exp = get_experiment("classification")
    cfg = exp.config("smoke")
    cfg.update(methods=["vanilla"], archs=["resnet18"])
    a = exp.run(cfg, progress=False)
    b = exp.run(cfg, progress=False)
    pd.testing.assert_frame_equal(a["runs"], b["runs"])
    np.testing.assert_array_equal(a["resnet18/vanilla/erf"], b["resnet18/vanilla/erf"])


def test_paper_scale_dry_run_on_generated_caltech(tmp_path):
    """The paper-scale code path (real ImageFolder loader, 70/15/15 split, paper transforms), shrunk."""
    from test_data import _fake_image_tree

    _fake_image_tree(tmp_path / "caltech101" / "101_ObjectCategories", classes=3, per_class=8, size=72)
    exp = get_experiment("classification")
    cfg = exp.config("paper")
    assert cfg["weights"] == "IMAGENET1K_V1" and cfg["epochs"] == 200 and cfg["data"] == "caltech101"
    cfg.update(archs=["resnet18"], weights=None, size=64, epochs=1, extra_seed_methods=[], theorem_images=4,
               md_grid_step=32, md_images=2, attack_images=2, eps_grid=[1.0], data_root=str(tmp_path))
    out = exp.run(cfg, progress=False)
    assert set(out["runs"]["method"]) == {"vanilla", "kp", "noise", "blurpool"}
    assert len(out["theorem1"]) == 2 * 25
    micro = get_experiment("micro_object").config("paper")
    micro.update(archs=["resnet18"], size=64, box=8, epochs=1, seeds=[0], data_root=str(tmp_path))
    m = get_experiment("micro_object").run(micro, progress=False)
    assert len(m["runs"]) == 2


def test_paper_scale_erf_needs_the_dataset(tmp_path):
    cfg = get_experiment("erf_resnets").config("paper")
    cfg.update(data_root=str(tmp_path), weights=None)
    with pytest.raises(FileNotFoundError, match="CUB-200-2011"):
        get_experiment("erf_resnets").run(cfg, progress=False)


def test_check_command_on_torchvision_and_user_models(tmp_path, capsys):
    png = tmp_path / "r18.png"
    assert cli.main(["check", "resnet18", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "layer2.0.downsample.0" in out and "after KP" in out and png.stat().st_size > 0
    user = tmp_path / "mine.py"
    user.write_text("import torch.nn as nn\n"
                    "def build():\n"
                    "    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),\n"
                    "                         nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1))\n")
    assert cli.main(["check", f"{user}:build", "--size", "64", "--png", str(tmp_path / "u.png"), "--json"]) == 0
    assert '"lattice_ratio"' in capsys.readouterr().out
    assert cli.main(["check", "mobilenet_v3_small", "--png", str(tmp_path / "m.png")]) == 0
    assert "global" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown torchvision model"):
        cli.main(["check", "resnet19"])
