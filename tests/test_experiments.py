"""Every experiment at smoke scale through the CLI, determinism, verify, and paper-scale dry runs on generated data."""

import json

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper import cli
from deadpixels.paper.experiments import EXPERIMENTS, get_experiment
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.experiment import override
from deadpixels.paper.pipeline.results import load

QUIET = RunContext(progress=False)


def test_cli_runs_every_experiment_at_smoke_scale(results_tmp, capsys):
    assert cli.main(["run", "all", "--scale", "smoke", "--quiet"]) == 0
    assert "summary:" in capsys.readouterr().out
    for name, exp in EXPERIMENTS.items():
        res = load(exp, "smoke")
        assert res.provenance["scale"] == "smoke" and res.tables, name
    assert cli.main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "same code" in listing and "census" in listing and "not cached" in listing
    assert cli.main(["claims", "--scale", "smoke"]) == 0
    claims = pd.read_csv(results_tmp / "claims_smoke.csv")
    assert json.loads((results_tmp / "claims_smoke_provenance.json").read_text())["scale"] == "smoke"
    assert list(claims.columns[:10]) == [
        "claim_id",
        "chapter",
        "paper_ref",
        "statement",
        "evidence",
        "protocol",
        "paper",
        "ours",
        "scale",
        "verdict",
    ]
    ran = claims[claims["verdict"] != "not run at this scale"]
    assert len(ran) >= 5, claims[["claim_id", "ours"]]
    assert claims[claims["verdict"] == "not run at this scale"]["ours"].str.contains("lacks|no current").all()
    # verify reruns the exact experiments and agrees with the cache ...
    assert cli.main(["verify", "trf", "kp_exact", "--scale", "smoke", "--quiet"]) == 0
    assert "every rerun agrees" in capsys.readouterr().out
    # ... and fails loudly when the cache holds other numbers
    folder = load(get_experiment("kp_exact"), "smoke").folder
    prov = json.loads((folder / "provenance.json").read_text())
    t = pd.read_csv(folder / "kp_exact.csv")
    t.loc[0, "max_abs_diff"] = 1e-3
    t.to_csv(folder / "kp_exact.csv", index=False)
    import hashlib

    prov["files"]["kp_exact.csv"] = hashlib.sha256((folder / "kp_exact.csv").read_bytes()).hexdigest()
    (folder / "provenance.json").write_text(json.dumps(prov))
    assert cli.main(["verify", "kp_exact", "--scale", "smoke", "--quiet"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "nonsense", "--scale", "smoke"], "unknown experiment or chapter"),
        (["verify", "trf", "--scale", "smoke"], "no cached result"),
        (["check", "resnet19"], "unknown torchvision model"),
        (["check", "no/such/file.py:build"], "no Python file"),
    ],
)
def test_expected_failures_are_one_clear_message(results_tmp, capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_paper_scale_without_the_dataset_is_a_clear_message(results_tmp, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEADPIXELS_DATA", str(tmp_path))
    assert cli.main(["run", "micro_object", "--scale", "paper", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Caltech-101 not found" in err and "Traceback" not in err


def test_same_seed_same_numbers():
    exp = get_experiment("classification")
    cfg = override(exp.config("smoke"), methods=("vanilla",), perturbation=False)
    a = exp.run(cfg, QUIET)
    b = exp.run(cfg, QUIET)
    pd.testing.assert_frame_equal(a["runs"], b["runs"])
    np.testing.assert_array_equal(a["resnet18/vanilla/erf"], b["resnet18/vanilla/erf"])


def test_paper_scale_dry_run_on_generated_caltech(tmp_path):
    """The paper-scale code path (real ImageFolder loader, 70/15/15 split, paper transforms), shrunk."""
    from test_data import _fake_image_tree

    _fake_image_tree(tmp_path / "caltech101" / "101_ObjectCategories", classes=3, per_class=8, size=72)
    exp = get_experiment("classification")
    paper = exp.config("paper")
    assert paper.weights == "IMAGENET1K_V1" and paper.epochs == 200 and paper.data == "caltech101"
    cfg = override(
        paper,
        archs=("resnet18",),
        weights=None,
        size=64,
        epochs=1,
        extra_seed_methods=(),
        theorem_images=4,
        md_grid_step=32,
        md_images=2,
        attack_images=2,
        eps_grid=(1.0,),
        data_root=str(tmp_path),
    )
    out = exp.run(cfg, QUIET)
    assert set(out["runs"]["method"]) == {"vanilla", "kp", "noise", "blurpool"}
    assert len(out["theorem1"]) == 2 * 25
    micro = get_experiment("micro_object")
    m = micro.run(
        override(
            micro.config("paper"), archs=("resnet18",), size=64, box=8, epochs=1, seeds=(0,), data_root=str(tmp_path)
        ),
        QUIET,
    )
    assert len(m["runs"]) == 2


def test_paper_scale_erf_needs_the_dataset(tmp_path):
    exp = get_experiment("erf_resnets")
    with pytest.raises(FileNotFoundError, match="CUB-200-2011"):
        exp.run(override(exp.config("paper"), data_root=str(tmp_path), weights=None), QUIET)


def test_check_command_on_torchvision_and_user_models(tmp_path, capsys):
    png = tmp_path / "r18.png"
    assert cli.main(["check", "resnet18", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "layer2.0.downsample.0" in out and "after KP" in out and png.stat().st_size > 0
    user = tmp_path / "mine.py"
    user.write_text(
        "import torch.nn as nn\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),\n"
        "                         nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1))\n"
    )
    assert cli.main(["check", f"{user}:build", "--size", "64", "--png", str(tmp_path / "u.png"), "--json"]) == 0
    assert '"kp_lattice"' in capsys.readouterr().out
    assert cli.main(["check", f"{user}:nothing"]) == 2
    assert "has no attribute 'nothing'" in capsys.readouterr().err
    assert cli.main(["check", "mobilenet_v3_small", "--png", str(tmp_path / "m.png")]) == 0  # gated: analysed
    out = capsys.readouterr().out
    assert "global through 9 squeeze-and-excitation style gate(s)" in out and "after KP" in out
    user.write_text(
        "import torch.nn as nn\n"
        "class Broadcast(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x + x.mean((2, 3), keepdim=True)\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), Broadcast(), nn.Conv2d(8, 8, 3))\n"
    )
    assert cli.main(["check", f"{user}:build", "--size", "64", "--png", str(tmp_path / "g.png")]) == 3
    assert "not analysed: global receptive field" in capsys.readouterr().out


def test_check_where_kernel_padding_cannot_apply(tmp_path, capsys):
    """AlexNet's odd feature maps make exact kernel padding impossible: said, not a traceback."""
    assert cli.main(["check", "alexnet", "--png", str(tmp_path / "a.png")]) == 0
    out = capsys.readouterr().out
    assert "kernel padding not applied" in out and "before KP" in out and (tmp_path / "a.png").exists()
