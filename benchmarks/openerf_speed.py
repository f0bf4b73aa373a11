"""``check --images`` against the real peer, OpenERF (PyPI ``openerf``, by the paper's first author):
the same timm models, the same image files, the same target layer. OpenERF takes input gradients
one image at a time (its batch size is fixed to 1); ``check --images`` runs
:func:`deadpixels.effective_rf`, batched, without parameter gradients.

    pip install -r benchmarks/requirements.txt      # openerf==0.6.1: a benchmark-only dependency
    python benchmarks/openerf_speed.py [--images 21] [--batch-size 8] [--device cpu|cuda]

Each tool runs ``--repeat`` times on the same inputs and its fastest run counts (the first pays
one-off costs: allocator warm-up, first-call kernel choices). Prints, per model: images/s of both,
the ratio, and the largest difference of the two maps (each normalised to sum 1, as OpenERF
returns it) as a share of the peak. Models are randomly initialised (timm, ``pretrained=False``:
nothing is downloaded); the images are the embedded photographs. On a GPU (``--device cuda``) both
tools run there, and the ratio says what batching gives on that device.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

#: (timm model, target layer) pairs, as the issue measured them.
MODELS = (("resnet50", "layer4"), ("efficientnet_b0", "conv_head"))


def photographs(folder: Path, n: int) -> list[Path]:
    """``n`` deterministic crops of the embedded photographs, written as PNG files."""
    from PIL import Image

    from deadpixels.paper.lab.data import natural_images

    x = natural_images(n, 256, seed=0, normalised=False)
    files = []
    for i, img in enumerate(x):
        files.append(folder / f"img{i:03d}.png")
        Image.fromarray((img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(files[-1])
    return files


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=21)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--device", default="cpu", help="cpu, or cuda to run both tools on the GPU")
    args = p.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: torch sees no CUDA GPU here")
    try:
        import openerf
        import timm
        from timm.data import create_transform, resolve_model_data_config
    except ImportError as exc:
        need = "pip install -r benchmarks/requirements.txt"
        raise SystemExit(f"this benchmark needs openerf and timm: {need} ({exc})") from None
    from PIL import Image

    from deadpixels import effective_rf

    where = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"{args.images} images on {where}, {torch.get_num_threads()} CPU threads, openerf {openerf.__version__}")
    print(f"{'model':<16}{'target':<11}{'OpenERF img/s':>14}{'check img/s':>13}{'ratio':>8}{'max |diff| / peak':>19}")
    with tempfile.TemporaryDirectory() as tmp:
        files = photographs(Path(tmp), args.images)
        for name, target in MODELS:
            torch.manual_seed(0)
            model = timm.create_model(name, pretrained=False).eval().to(args.device)
            transform = create_transform(**resolve_model_data_config(model))
            x = torch.stack([transform(Image.open(f).convert("RGB")) for f in files])
            t_theirs, t_ours = float("inf"), float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                theirs = openerf.compute_erf(
                    model, model_name=name, image_dir=tmp, target_layer=target, device=args.device, show_progress=False
                ).erf_map
                t_theirs = min(t_theirs, time.perf_counter() - start)
                start = time.perf_counter()
                ours = effective_rf(model, x, target=target, batch_size=args.batch_size, progress=False)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                t_ours = min(t_ours, time.perf_counter() - start)
            ours = ours / ours.sum()
            diff = float(np.abs(ours - theirs).max() / theirs.max())
            print(
                f"{name:<16}{target:<11}{args.images / t_theirs:>14.2f}{args.images / t_ours:>13.2f}"
                f"{t_theirs / t_ours:>7.2f}x{diff:>19.1e}"
            )


if __name__ == "__main__":
    main()
