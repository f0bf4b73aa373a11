"""Training: the best-validation checkpoint is the one returned."""

import torch
from torch import nn
from torch.utils.data import TensorDataset

from deadpixels.paper.lab import training as T


def test_best_validation_checkpoint_is_restored(monkeypatch):
    torch.manual_seed(0)
    x, y = torch.randn(32, 3, 8, 8), torch.randint(0, 2, (32,))
    splits = {"train": TensorDataset(x, y), "val": TensorDataset(x[:8], y[:8]), "test": TensorDataset(x[8:16], y[8:16])}
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    scripted = iter([0.2, 0.9, 0.1])  # validation accuracy per epoch: the best is epoch 2
    snapshots = []
    real = T.evaluate

    def fake(m, ds, *args, **kwargs):
        loss, acc = real(m, ds, *args, **kwargs)
        if ds is splits["val"]:
            snapshots.append({k: v.clone() for k, v in m.state_dict().items()})
            return loss, next(scripted)
        return loss, acc

    monkeypatch.setattr(T, "evaluate", fake)
    trained, history = T.train_classifier(model, splits, T.TrainConfig(epochs=3, lr=0.5), progress=False)
    assert list(history["val_acc"]) == [0.2, 0.9, 0.1]
    final = trained.state_dict()
    assert all(torch.equal(final[k], snapshots[1][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[2][k]) for k in final)  # training moved on after epoch 2
