"""A user's own images for the trained dead-pixel test (``check --images``): found in a folder or
by a glob, read with Pillow, converted to RGB where they are not (and said so), refused where they
are unreadable or smaller than the model's input, then resized, centre-cropped and normalised the
way the model was trained to see them."""

from __future__ import annotations

import glob
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import IMAGENET_MEAN, IMAGENET_STD

#: The file types looked for in a folder.
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


@dataclass(frozen=True)
class Preprocessing:
    """How images are prepared: resized so that the crop is ``crop_pct`` of the shorter side, then
    centre-cropped to ``size`` and normalised; ``source`` says where these values came from."""

    size: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    crop_pct: float = 0.875
    source: str = "default (ImageNet mean and std, crop 0.875): the model states none"


def image_files(spec: str) -> list[Path]:
    """The image files of a folder (sorted, not recursive) or of a glob pattern."""
    path = Path(spec).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
        where = f"folder {path} (looked for {', '.join(EXTENSIONS)})"
    else:
        files = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
        where = f"pattern {spec}"
    if not files:
        raise ValueError(f"no images in {where}")
    return files


def _rgb(img: object, notes: Counter) -> object:
    """An RGB copy of a Pillow image; each conversion is counted in ``notes``."""
    mode = img.mode  # type: ignore[attr-defined]
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or a.max() > 255 else 255.0
        from PIL import Image

        img = Image.fromarray(np.clip(a / top * 255.0, 0, 255).astype(np.uint8), "L")
        notes["16-bit or integer images rescaled to 8 bits"] += 1
    elif mode in ("RGBA", "LA", "PA"):
        notes["images with an alpha channel: alpha dropped"] += 1
    elif mode in ("L", "1"):
        notes["grayscale images: the channel repeated to RGB"] += 1
    else:
        notes[f"{mode} images converted to RGB"] += 1
    return img.convert("RGB")  # type: ignore[attr-defined]


def load_images(files: list[Path], prep: Preprocessing) -> tuple[torch.Tensor, list[str]]:
    """The images as one normalised (N, 3, size, size) float32 tensor, and the conversions made."""
    from PIL import Image, UnidentifiedImageError
    from torchvision.transforms import functional as TF

    notes: Counter = Counter()
    out = []
    for f in files:
        try:
            with Image.open(f) as img:
                img.load()
                rgb = _rgb(img, notes)
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise ValueError(f"{f} is not a readable image ({type(exc).__name__}: {exc})") from None
        w, h = rgb.size
        if min(w, h) < prep.size:
            raise ValueError(
                f"{f} is {w}x{h} px, smaller than the model's {prep.size}x{prep.size} input; give larger images "
                "or a smaller --size"
            )
        x = TF.resize(TF.to_tensor(rgb), round(prep.size / prep.crop_pct), antialias=True)
        out.append(TF.normalize(TF.center_crop(x, prep.size), prep.mean, prep.std))
    return torch.stack(out), [f"{n} {what}" for what, n in sorted(notes.items())]


__all__ = ["EXTENSIONS", "Preprocessing", "image_files", "load_images"]
