"""Image sources: an offline default built from scikit-image's bundled photographs, the paper's
micro-object task, and the paper's datasets (Caltech-101, CUB-200-2011, Oxford-IIIT Pet)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from ...utils import to_pair

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Natural photographs that ship inside scikit-image (no download needed).
PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "stereo_motorcycle",
    "cell",
)


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


def normalise(
    x: torch.Tensor, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
) -> torch.Tensor:
    """Mean-std normalisation of (N, 3, H, W) images in [0, 1] (ImageNet statistics by default)."""
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - m) / s


def photo_tensor(
    names: list[str], size: int = 224, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
) -> torch.Tensor:
    """Whole bundled photographs by name (central square, resized to ``size``), normalised."""
    imgs = dict(zip(PHOTOS, photos()))
    unknown = [n for n in names if n not in imgs]
    if unknown:
        raise ValueError(f"unknown photographs {unknown}; available: {', '.join(PHOTOS)}")
    out = []
    for name in names:
        img = imgs[name]
        side = min(img.shape[-2:])
        top, left = (img.shape[-2] - side) // 2, (img.shape[-1] - side) // 2
        crop = img[None, :, top : top + side, left : left + side]
        out.append(F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False))
    return normalise(torch.cat(out).clamp(0, 1), mean, std)


def _crops(
    n: int, size: int | tuple[int, int], rng: np.random.Generator, scale: tuple[float, float], sources: np.ndarray
) -> torch.Tensor:
    hw = to_pair(size)
    imgs = photos()
    out = torch.empty(n, 3, *hw)
    for k in range(n):  # data generation, done once per experiment: not a hot path
        img = imgs[sources[k]]
        _, H, W = img.shape
        side = int(min(H, W) * np.sqrt(rng.uniform(*scale)))
        side = max(side, 8)
        top, left = rng.integers(0, H - side + 1), rng.integers(0, W - side + 1)
        crop = img[:, top : top + side, left : left + side][None]
        crop = F.interpolate(crop, size=hw, mode="bilinear", antialias=True, align_corners=False)[0]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        out[k] = crop
    return out.clamp_(0, 1)


def natural_images(
    n: int,
    size: int | tuple[int, int] = 224,
    seed: int = 0,
    normalised: bool = True,
    scale: tuple[float, float] = (0.3, 1.0),
    mean: tuple[float, ...] = IMAGENET_MEAN,
    std: tuple[float, ...] = IMAGENET_STD,
) -> torch.Tensor:
    """``n`` deterministic random crops (resized, flipped) of the bundled photographs, normalised
    with ``mean`` / ``std`` (ImageNet's by default) unless ``normalised=False``."""
    if n <= 0:
        raise ValueError(f"n must be positive; got {n}")
    rng = np.random.default_rng(seed)
    x = _crops(n, size, rng, scale, rng.integers(0, len(PHOTOS), n))
    return normalise(x, mean, std) if normalised else x


def photo_classification(
    n_train: int, n_val: int, n_test: int, size: int = 96, seed: int = 0, scale: tuple[float, float] = (0.05, 0.4)
) -> dict[str, TensorDataset]:
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
    mask = (
        (rows >= top.view(n, 1, 1))
        & (rows < top.view(n, 1, 1) + box)
        & (cols >= left.view(n, 1, 1))
        & (cols < left.view(n, 1, 1) + box)
    ).unsqueeze(1)
    return torch.where(mask, colours.view(n, 3, 1, 1).to(x.dtype), x)


def micro_object(
    n_train: int, n_test: int, size: int = 96, box: int = 4, seed: int = 0, n_val: int | None = None
) -> dict[str, TensorDataset]:
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
