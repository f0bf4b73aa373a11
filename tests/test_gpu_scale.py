"""What the gpu scale added, checked on the CPU at smoke size: the padded-entry norms, TF32
switched off for measurements, BatchNorm statistics of noise-trained models from clean images,
the pilot's rule and a fixed task, and provenance for runs outside a git checkout."""

from __future__ import annotations

import json

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


def test_a_run_outside_git_records_the_commit_it_was_given(monkeypatch):
    monkeypatch.setattr(P, "_git", lambda *a: None)
    monkeypatch.setenv(P.COMMIT_ENV, "abc123")
    assert P.git_state() == {"git_commit": "abc123", "dirty": None, "commit_from": P.COMMIT_ENV}
    monkeypatch.delenv(P.COMMIT_ENV)
    assert P.git_state() == {"git_commit": None, "dirty": None}


def test_source_hash_at_a_commit_is_the_hash_recorded_by_a_run_of_it():
    prov = json.loads((P.REPO_ROOT / "data/results/trf/cpu/provenance.json").read_text())
    assert P.source_hash_at(prov["git_commit"], prov["source_module"]) == prov["source_hash"]
    assert P.source_hash_at("0" * 40, prov["source_module"]) is None
