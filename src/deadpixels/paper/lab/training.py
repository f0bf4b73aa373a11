"""The paper's training recipe (SGD 0.9, lr 0.01, wd 5e-4, cosine, batch 64, best-val model)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm.auto import tqdm


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 200
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    noise_std: float = 0.0  # Gaussian input noise during training (an alternative to kernel padding)
    flip: bool = True  # random horizontal flips of tensor datasets
    num_workers: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _tensors(ds: Dataset) -> tuple[torch.Tensor, torch.Tensor] | None:
    return tuple(ds.tensors[:2]) if isinstance(ds, TensorDataset) else None  # type: ignore[return-value]


def batches(
    ds: Dataset, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None, num_workers: int = 0
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of a dataset; in-memory tensors are sliced directly (no per-item Python loop)."""
    t = _tensors(ds)
    if t is None:
        yield from DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=generator, num_workers=num_workers)
        return
    x, y = t
    order = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i : i + batch_size]
        yield x[idx], y[idx]


@torch.no_grad()
def evaluate(
    model: nn.Module, ds: Dataset, batch_size: int = 128, device: torch.device | str = "cpu"
) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``ds``."""
    model.eval()
    loss, correct, n = 0.0, 0, 0
    for x, y in batches(ds, batch_size):
        x, y = x.to(device).contiguous(memory_format=torch.channels_last), y.to(device)
        out = model(x)
        loss += F.cross_entropy(out, y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
        n += len(y)
    return loss / n, correct / n


@torch.no_grad()
def logits(
    model: nn.Module, x: torch.Tensor, batch_size: int = 128, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """Model outputs for a tensor of images, in batches (eval mode)."""
    model.eval()
    return torch.cat(
        [
            model(x[i : i + batch_size].to(device).contiguous(memory_format=torch.channels_last)).cpu()
            for i in range(0, len(x), batch_size)
        ]
    )


def train_classifier(
    model: nn.Module,
    splits: dict[str, Dataset],
    config: TrainConfig,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = True,
    desc: str = "train",
) -> tuple[nn.Module, pd.DataFrame]:
    """Train with the paper's recipe; return the best-validation model and a per-epoch history
    (train/val/test loss and accuracy)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)  # data order and flips: the same for every method of a seed
    noise_gen = torch.Generator().manual_seed(seed + 1_000_003)  # kept apart, so noise does not change the order
    model = model.to(device=device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)
    best, best_acc, rows = copy.deepcopy(model.state_dict()), -1.0, []
    bar = tqdm(range(config.epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        tot, correct, n = 0.0, 0, 0
        for x, y in batches(splits["train"], config.batch_size, True, gen, config.num_workers):
            x, y = x.to(device), y.to(device)
            if config.flip and _tensors(splits["train"]) is not None:
                flip = torch.rand(len(x), generator=gen) < 0.5
                x = torch.where(flip.view(-1, 1, 1, 1).to(device), x.flip(-1), x)
            if config.noise_std > 0:
                x = x + config.noise_std * torch.randn(x.shape, generator=noise_gen).to(device)
            x = x.contiguous(memory_format=torch.channels_last)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)
        sched.step()
        val_loss, val_acc = evaluate(model, splits["val"], device=device)
        test_loss, test_acc = evaluate(model, splits["test"], device=device)
        rows.append(
            {
                "epoch": epoch + 1,
                "train_loss": tot / n,
                "train_acc": correct / n,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "test_loss": test_loss,
                "test_acc": test_acc,
            }
        )
        if val_acc > best_acc:
            best_acc, best = val_acc, copy.deepcopy(model.state_dict())
        bar.set_postfix(val_acc=f"{val_acc:.3f}")
    model.load_state_dict(best)
    model.eval()
    return model, pd.DataFrame(rows)
