"""The paper's datasets: Caltech-101 (102 classes incl. background), CUB-200-2011 and Oxford-IIIT
Pet with the paper's seeded 70/15/15 split and transforms, and the micro-object task on Caltech-101.
They cannot be downloaded on every machine: a missing dataset is an error that says where it goes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from .data import IMAGENET_MEAN, IMAGENET_STD, normalise, paint_boxes

#: The paper's train/val/test fractions.
SPLIT = (0.70, 0.15, 0.15)


def _missing(name: str, path: Path, how: str) -> FileNotFoundError:
    return FileNotFoundError(f"{name} not found: expected {path}. {how}")


def paper_transforms(train: bool, size: int = 224):
    """The paper's augmentation (train) or evaluation transform (Sec. 3)."""
    from torchvision import transforms as T

    norm = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    if train:
        return T.Compose(
            [
                T.RandomResizedCrop(size + 32, scale=(0.8, 1.0)),
                T.RandomRotation(15),
                T.ColorJitter(),
                T.RandomHorizontalFlip(),
                T.CenterCrop(size),
                T.ToTensor(),
                norm,
            ]
        )
    return T.Compose([T.Resize(size + 32), T.CenterCrop(size), T.ToTensor(), norm])


def split_indices(n: int, seed: int = 0, fractions: tuple[float, float, float] = SPLIT) -> dict[str, np.ndarray]:
    """The paper's seeded 70/15/15 shuffle-split (as the authors' ``np.random.seed(0)`` shuffle)."""
    idx = np.arange(n)
    np.random.RandomState(seed).shuffle(idx)
    a, b = int(n * fractions[0]), int(n * fractions[1])
    return {"train": idx[:a], "val": idx[a : a + b], "test": idx[a + b : a + b + int(n * fractions[2])]}


def paper_dataset(
    name: str, root: str | Path, train_transform=None, eval_transform=None, seed: int = 0, download: bool = False
) -> dict[str, Dataset]:
    """Caltech-101 (102 classes incl. background, as the paper), CUB-200-2011 or Oxford-IIIT Pet,
    split 70/15/15 with the paper's seeded shuffle. ``root`` is the folder holding the dataset."""
    from torchvision import datasets

    root = Path(root).expanduser()
    train_transform = train_transform or paper_transforms(True)
    eval_transform = eval_transform or paper_transforms(False)
    if name == "caltech101":
        folder = root / "caltech101" / "101_ObjectCategories"
        if not folder.is_dir():
            if download:
                datasets.Caltech101(str(root), download=True)
            else:
                raise _missing(
                    "Caltech-101",
                    folder,
                    "Run torchvision.datasets.Caltech101(root, download=True) "
                    f"with root={root}, or pass download=True.",
                )
        make = lambda t: datasets.ImageFolder(str(folder), transform=t)  # noqa: E731
    elif name == "cub200":
        folder = root / "CUB_200_2011" / "images"
        if not folder.is_dir():
            raise _missing(
                "CUB-200-2011",
                folder,
                "Download CUB_200_2011.tgz from the Caltech data site "
                f"(data.caltech.edu, record 65de6-vp158) and extract it into {root}.",
            )
        make = lambda t: datasets.ImageFolder(str(folder), transform=t)  # noqa: E731
    elif name == "pet":
        folder = root / "oxford-iiit-pet"
        if not (folder / "images").is_dir() and not download:
            raise _missing(
                "Oxford-IIIT Pet",
                folder / "images",
                f"Run torchvision.datasets.OxfordIIITPet(root, download=True) with root={root}, or pass download=True.",
            )

        def make(t):
            from torch.utils.data import ConcatDataset

            parts = [
                datasets.OxfordIIITPet(str(root), split=s, transform=t, download=download) for s in ("trainval", "test")
            ]
            return ConcatDataset(parts)
    else:
        raise ValueError(f"unknown dataset {name!r}; available: caltech101, cub200, pet")
    train_view, eval_view = make(train_transform), make(eval_transform)
    if len(eval_view) == 0:
        raise FileNotFoundError(f"{name} at {folder} holds no images")
    idx = split_indices(len(eval_view), seed)
    return {
        "train": Subset(train_view, idx["train"].tolist()),
        "val": Subset(eval_view, idx["val"].tolist()),
        "test": Subset(eval_view, idx["test"].tolist()),
    }


def num_classes(dataset: Dataset) -> int:
    """Number of classes of a TensorDataset or (a Subset of) an ImageFolder-like dataset."""
    base = dataset.dataset if isinstance(dataset, Subset) else dataset
    if isinstance(base, TensorDataset):
        return int(base.tensors[1].max()) + 1
    if hasattr(base, "classes"):
        return len(base.classes)
    if hasattr(base, "datasets"):
        return len(base.datasets[0].classes)
    raise ValueError(f"cannot tell the number of classes of {type(base).__name__}")


class MicroObjectDataset(Dataset):
    """The micro-object task on top of any image dataset yielding (image in [0, 1], _): item ``i`` gets
    label ``i % 2`` and a box at a location drawn from ``(seed, i)``, so the task is deterministic."""

    def __init__(self, base: Dataset, box: int = 8, seed: int = 0) -> None:
        self.base, self.box, self.seed = base, box, seed

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = self.base[i][0]
        label = i % 2
        rng = np.random.default_rng([self.seed, i])
        colour = torch.tensor([[1.0, 0.0, 0.0]]) if label == 1 else torch.zeros(1, 3)
        x = paint_boxes(img[None], colour, self.box, rng)
        return normalise(x)[0], label


def paper_micro_object(root: str | Path, size: int = 224, box: int = 8, seed: int = 0) -> dict[str, Dataset]:
    """The paper's micro-object task: Caltech-101 templates (70/15/15 split), 8x8 black or red box."""
    from torchvision import transforms as T

    plain = T.Compose([T.Resize(size + 32), T.CenterCrop(size), T.ToTensor()])
    splits = paper_dataset("caltech101", root, plain, plain, seed=seed)
    return {k: MicroObjectDataset(v, box, seed + n) for n, (k, v) in enumerate(splits.items())}
