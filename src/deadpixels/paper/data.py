"""Image sources: an offline default built from scikit-image's bundled photographs, the paper's
micro-object task, and the paper's datasets (Caltech-101, CUB-200-2011, Oxford-IIIT Pet)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset, TensorDataset

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Natural photographs that ship inside scikit-image (no download needed).
PHOTOS = ("astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
          "hubble_deep_field", "immunohistochemistry", "moon", "retina", "rocket", "stereo_motorcycle", "cell")
SPLIT = (0.70, 0.15, 0.15)


@lru_cache(maxsize=1)
def photos() -> tuple[torch.Tensor, ...]:
    """The bundled photographs as float RGB tensors (3, H, W) in [0, 1]."""
    import skimage.data

    out = []
    for name in PHOTOS:
        img = getattr(skimage.data, name)()
        img = img[0] if isinstance(img, tuple) else img
        arr = np.asarray(img, dtype=np.float32) / 255.0
        arr = np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr[..., :3]
        out.append(torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1))
    return tuple(out)


def normalise(x: torch.Tensor) -> torch.Tensor:
    """ImageNet mean-std normalisation of (N, 3, H, W) images in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std


def _crops(n: int, size: int | tuple[int, int], rng: np.random.Generator, scale: tuple[float, float],
           sources: np.ndarray) -> torch.Tensor:
    hw = (size, size) if isinstance(size, int) else size
    imgs = photos()
    out = torch.empty(n, 3, *hw)
    for k in range(n):  # data generation, done once per experiment: not a hot path
        img = imgs[sources[k]]
        _, H, W = img.shape
        side = int(min(H, W) * np.sqrt(rng.uniform(*scale)))
        side = max(side, 8)
        top, left = rng.integers(0, H - side + 1), rng.integers(0, W - side + 1)
        crop = img[:, top:top + side, left:left + side][None]
        crop = F.interpolate(crop, size=hw, mode="bilinear", antialias=True, align_corners=False)[0]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        out[k] = crop
    return out.clamp_(0, 1)


def natural_images(n: int, size: int | tuple[int, int] = 224, seed: int = 0, normalised: bool = True,
                   scale: tuple[float, float] = (0.3, 1.0)) -> torch.Tensor:
    """``n`` deterministic random crops (resized, flipped) of the bundled photographs."""
    if n <= 0:
        raise ValueError(f"n must be positive; got {n}")
    rng = np.random.default_rng(seed)
    x = _crops(n, size, rng, scale, rng.integers(0, len(PHOTOS), n))
    return normalise(x) if normalised else x


def photo_classification(n_train: int, n_val: int, n_test: int, size: int = 96, seed: int = 0,
                         scale: tuple[float, float] = (0.05, 0.4)) -> dict[str, TensorDataset]:
    """A labelled task from the bundled photographs: which photograph does a small crop come from
    (``len(PHOTOS)`` classes, balanced)? Brightness and contrast are jittered so that colour
    statistics alone do not solve it. Crops of the three splits are drawn independently."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("val", n_val), ("test", n_test)):
        labels = np.arange(n) % len(PHOTOS)
        rng.shuffle(labels)
        x = _crops(n, size, rng, scale, labels)
        gain = torch.from_numpy(rng.uniform(0.7, 1.3, (n, 1, 1, 1)).astype(np.float32))
        shift = torch.from_numpy(rng.uniform(-0.15, 0.15, (n, 1, 1, 1)).astype(np.float32))
        x = ((x - 0.5) * gain + 0.5 + shift).clamp(0, 1)
        out[split] = TensorDataset(normalise(x), torch.from_numpy(labels).long())
    return out


def paint_boxes(x: torch.Tensor, colours: torch.Tensor, box: int, rng: np.random.Generator) -> torch.Tensor:
    """Paint one ``box`` x ``box`` square of the given RGB colour (N, 3) in [0, 1] at a random
    location of each image of ``x`` (N, 3, H, W) in [0, 1]; vectorised over the batch."""
    n, _, h, w = x.shape
    if box > min(h, w):
        raise ValueError(f"box size {box} does not fit in {h}x{w} images")
    top = torch.from_numpy(rng.integers(0, h - box + 1, n))
    left = torch.from_numpy(rng.integers(0, w - box + 1, n))
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    mask = ((rows >= top.view(n, 1, 1)) & (rows < top.view(n, 1, 1) + box)
            & (cols >= left.view(n, 1, 1)) & (cols < left.view(n, 1, 1) + box)).unsqueeze(1)
    return torch.where(mask, colours.view(n, 3, 1, 1).to(x.dtype), x)


def micro_object(n_train: int, n_test: int, size: int = 96, box: int = 4, seed: int = 0,
                 n_val: int | None = None) -> dict[str, TensorDataset]:
    """The paper's micro-object task on natural templates: class 0 has a ``box`` x ``box`` square
    painted black (0, 0, 0), class 1 the same painted red (255, 0, 0), at a random location."""
    rng = np.random.default_rng(seed)
    out = {}
    sizes = {"train": n_train, "val": n_val if n_val is not None else n_test, "test": n_test}
    for split, n in sizes.items():
        templates = _crops(n, size, rng, (0.3, 1.0), rng.integers(0, len(PHOTOS), n))
        labels = torch.from_numpy(np.arange(n) % 2)
        colours = torch.zeros(n, 3)
        colours[labels == 1, 0] = 1.0
        x = paint_boxes(templates, colours, box, rng)
        out[split] = TensorDataset(normalise(x), labels.long())
    return out


# --- the paper's datasets ---------------------------------------------------------------------

def _missing(name: str, path: Path, how: str) -> FileNotFoundError:
    return FileNotFoundError(f"{name} not found: expected {path}. {how}")


def paper_transforms(train: bool, size: int = 224):
    """The paper's augmentation (train) or evaluation transform (Sec. 3)."""
    from torchvision import transforms as T

    norm = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    if train:
        return T.Compose([T.RandomResizedCrop(size + 32, scale=(0.8, 1.0)), T.RandomRotation(15), T.ColorJitter(),
                          T.RandomHorizontalFlip(), T.CenterCrop(size), T.ToTensor(), norm])
    return T.Compose([T.Resize(size + 32), T.CenterCrop(size), T.ToTensor(), norm])


def split_indices(n: int, seed: int = 0, fractions: tuple[float, float, float] = SPLIT) -> dict[str, np.ndarray]:
    """The paper's seeded 70/15/15 shuffle-split (as the authors' ``np.random.seed(0)`` shuffle)."""
    idx = np.arange(n)
    np.random.RandomState(seed).shuffle(idx)
    a, b = int(n * fractions[0]), int(n * fractions[1])
    return {"train": idx[:a], "val": idx[a:a + b], "test": idx[a + b:a + b + int(n * fractions[2])]}


def paper_dataset(name: str, root: str | Path, train_transform=None, eval_transform=None,
                  seed: int = 0, download: bool = False) -> dict[str, Dataset]:
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
                raise _missing("Caltech-101", folder, "Run torchvision.datasets.Caltech101(root, download=True) "
                               f"with root={root}, or pass download=True.")
        make = lambda t: datasets.ImageFolder(str(folder), transform=t)  # noqa: E731
    elif name == "cub200":
        folder = root / "CUB_200_2011" / "images"
        if not folder.is_dir():
            raise _missing("CUB-200-2011", folder, "Download CUB_200_2011.tgz from the Caltech data site "
                           f"(data.caltech.edu, record 65de6-vp158) and extract it into {root}.")
        make = lambda t: datasets.ImageFolder(str(folder), transform=t)  # noqa: E731
    elif name == "pet":
        folder = root / "oxford-iiit-pet"
        if not (folder / "images").is_dir() and not download:
            raise _missing("Oxford-IIIT Pet", folder / "images", "Run torchvision.datasets.OxfordIIITPet(root, "
                           f"download=True) with root={root}, or pass download=True.")

        def make(t):
            from torch.utils.data import ConcatDataset
            parts = [datasets.OxfordIIITPet(str(root), split=s, transform=t, download=download) for s in ("trainval", "test")]
            return ConcatDataset(parts)
    else:
        raise ValueError(f"unknown dataset {name!r}; available: caltech101, cub200, pet")
    train_view, eval_view = make(train_transform), make(eval_transform)
    if len(eval_view) == 0:
        raise FileNotFoundError(f"{name} at {folder} holds no images")
    idx = split_indices(len(eval_view), seed)
    return {"train": Subset(train_view, idx["train"].tolist()), "val": Subset(eval_view, idx["val"].tolist()),
            "test": Subset(eval_view, idx["test"].tolist())}


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
