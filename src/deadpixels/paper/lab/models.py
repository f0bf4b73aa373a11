"""The models of the paper: torchvision ResNets by name, optionally ImageNet-pretrained, plus
width-reduced, kernel-padded and anti-aliased (BlurPool) variants."""

from __future__ import annotations

import contextlib
import copy
import difflib
import warnings
from collections.abc import Iterator
from typing import Any

import torch
import torchvision
from torch import nn
from torchvision.models import resnet as tv_resnet

from ...kernel_padding import kernel_pad
from .efficientnet import LITE, antialias_lite, build_lite

#: The nine ResNets of Table 1, with their paper labels.
RESNETS: dict[str, str] = {
    "resnet18": "ResNet-18",
    "resnet34": "ResNet-34",
    "resnet50": "ResNet-50",
    "resnet101": "ResNet-101",
    "resnet152": "ResNet-152",
    "wide_resnet50_2": "Wide-ResNet-50-2",
    "wide_resnet101_2": "Wide-ResNet-101-2",
    "resnext50_32x4d": "ResNeXt-50-32x4d",
    "resnext101_32x8d": "ResNeXt-101-32x8d",
}
#: Short labels used in the paper's Tables 3-6.
SHORT: dict[str, str] = {
    "resnet50": "R-50",
    "resnet101": "R-101",
    "wide_resnet50_2": "W-50",
    "wide_resnet101_2": "W-101",
    "resnext50_32x4d": "X-50",
    "resnext101_32x8d": "X-101",
}
#: Depth of each ResNet (number of weighted layers).
DEPTH: dict[str, int] = {
    "resnet18": 18,
    "resnet34": 34,
    "resnet50": 50,
    "resnet101": 101,
    "resnet152": 152,
    "wide_resnet50_2": 50,
    "wide_resnet101_2": 101,
    "resnext50_32x4d": 50,
    "resnext101_32x8d": 101,
}
VARIANTS = ("vanilla", "kp", "kp_spread", "blurpool")

_ARCH: dict[str, tuple[type[nn.Module], list[int], dict[str, int]]] = {
    "resnet18": (tv_resnet.BasicBlock, [2, 2, 2, 2], {}),
    "resnet34": (tv_resnet.BasicBlock, [3, 4, 6, 3], {}),
    "resnet50": (tv_resnet.Bottleneck, [3, 4, 6, 3], {}),
    "resnet101": (tv_resnet.Bottleneck, [3, 4, 23, 3], {}),
    "resnet152": (tv_resnet.Bottleneck, [3, 8, 36, 3], {}),
    "wide_resnet50_2": (tv_resnet.Bottleneck, [3, 4, 6, 3], {"width_per_group": 128}),
    "wide_resnet101_2": (tv_resnet.Bottleneck, [3, 4, 23, 3], {"width_per_group": 128}),
    "resnext50_32x4d": (tv_resnet.Bottleneck, [3, 4, 6, 3], {"groups": 32, "width_per_group": 4}),
    "resnext101_32x8d": (tv_resnet.Bottleneck, [3, 4, 23, 3], {"groups": 32, "width_per_group": 8}),
}


class ScaledResNet(tv_resnet.ResNet):
    """torchvision's ResNet with every stage's width multiplied by ``width`` (1.0 = torchvision).
    Module names are unchanged, so everything that works on torchvision ResNets works here."""

    def __init__(self, block: Any, layers: list[int], width: float = 1.0, **kwargs: Any) -> None:
        self._width = width
        self._first = True
        super().__init__(block, layers, **kwargs)
        stem = self._scale(64)
        self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.fc = nn.Linear(self._scale(512) * block.expansion, self.fc.out_features)
        for m in (self.conv1,):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _scale(self, planes: int) -> int:
        return max(1, int(round(planes * self._width)))

    def _make_layer(self, block: Any, planes: int, blocks: int, stride: int = 1, dilate: bool = False) -> nn.Sequential:
        if self._first:
            self.inplanes = self._scale(64)
            self._first = False
        return super()._make_layer(block, self._scale(planes), blocks, stride, dilate)


def torchvision_model(name: str) -> nn.Module:
    """A randomly initialised torchvision classifier by name, in eval mode (init warnings silenced)."""
    names = torchvision.models.list_models(module=torchvision.models)
    if name not in names:
        close = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ValueError(f"unknown torchvision model {name!r}; {hint}available: {', '.join(names)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torchvision.models.get_model(name).eval()


def weights_entry(name: str, weights: str) -> Any:
    """The entry ``weights`` (``"DEFAULT"`` too) of torchvision's weights enum for ``name``; its
    ``transforms()`` say how its images are prepared (``check --images``)."""
    enum = torchvision.models.get_model_weights(name)
    try:
        return enum[weights] if weights != "DEFAULT" else enum.DEFAULT
    except KeyError:
        raise ValueError(f"unknown weights {weights!r} for {name}; available: {[e.name for e in enum]}") from None


def _pretrained(name: str, weights: str) -> nn.Module:
    w = weights_entry(name, weights)
    try:
        return torchvision.models.get_model(name, weights=w)
    except Exception as exc:  # no network, or a corrupt download
        hub = torch.hub.get_dir()
        raise RuntimeError(
            f"ImageNet weights {w} for {name} could not be loaded ({type(exc).__name__}: {exc}). They are "
            f"downloaded from {w.url} on first use; without network, place that file in {hub}/checkpoints/. "
            "Paper-scale results need these weights."
        ) from exc


def pretrained_torchvision(name: str, weights: str) -> tuple[nn.Module, Any]:
    """A torchvision model with one entry of its weights enum, in eval mode, and that entry."""
    return _pretrained(name, weights).eval(), weights_entry(name, weights)


@contextlib.contextmanager
def portable_init(seed: int = 0) -> Iterator[None]:
    """Random initialisation that is the same on every x86 CPU: seeded, and drawn in float64.

    torch's float32 ``normal_`` (kaiming and trunc-normal inits) takes a vectorised path on AVX2 and
    AVX512 CPUs that rounds differently from the scalar one (``ATEN_CPU_CAPABILITY=default``), so a
    float32 model built from the same seed differs per instruction set; float64 draws do not. Models
    built inside this context are float64; cast them with ``.float()`` where float32 is wanted."""
    previous = torch.get_default_dtype()
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def build_model(
    name: str,
    num_classes: int = 1000,
    width: float = 1.0,
    variant: str = "vanilla",
    weights: str | None = None,
    seed: int | None = None,
    filter_size: int = 4,
) -> nn.Module:
    """A model of the book by name: a ResNet of the paper (torchvision name) or EfficientNet-Lite0/1/2.

    Args:
        name: one of :data:`RESNETS` or of :data:`~deadpixels.paper.lab.efficientnet.LITE`.
        num_classes: output classes; a pretrained classifier is replaced where this differs.
        width: for ResNets, < 1 gives a narrower network for CPU scale (random init only).
        variant: ``"vanilla"``, ``"kp"`` (kernel padding: zero-padded kernels if pretrained, freshly
            initialised otherwise), ``"kp_spread"`` (kernel padding in effect from the first step: each
            pretrained kernel averaged over its placements in the grown grid; pretrained weights only) or
            ``"blurpool"`` (anti-aliasing, Zhang 2019).
        weights: ``None`` (random init); for ResNets a torchvision weights name such as
            ``"IMAGENET1K_V1"`` (the paper's); for EfficientNet-Lite ``"imagenet"``.
        seed: seeds the random initialisation.
        filter_size: BlurPool's filter size.

    Returns:
        The model.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; available: {VARIANTS}")
    if name in LITE:
        if width != 1.0:
            raise ValueError("EfficientNet-Lite exists at width 1.0 only")
        model = build_lite(name, weights, num_classes, seed)
        if variant in ("kp", "kp_spread"):
            return kernel_pad(model, pools=True, init=_kp_init(variant, weights))
        return antialias_lite(model, filter_size) if variant == "blurpool" else model
    if name not in _ARCH:
        raise ValueError(f"unknown model {name!r}; available: {', '.join([*_ARCH, *LITE])}")
    if seed is not None:
        torch.manual_seed(seed)
    if weights is not None:
        if width != 1.0:
            raise ValueError("pretrained weights exist only for width=1.0")
        model = _pretrained(name, weights)
        if num_classes != model.fc.out_features:
            model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:
        block, layers, kw = _ARCH[name]
        model = ScaledResNet(block, layers, width=width, num_classes=num_classes, **kw)
    if variant in ("kp", "kp_spread"):
        model = kernel_pad(model, pools=True, init=_kp_init(variant, weights))
    elif variant == "blurpool":
        model = antialias(model, filter_size)
    return model


def _kp_init(variant: str, weights: str | None) -> str:
    """How a KP variant initialises its padded kernels: zero-padded or spread pretrained kernels,
    freshly initialised even kernels from scratch (where ``kp_spread`` has nothing to spread)."""
    if variant == "kp_spread":
        if weights is None:
            raise ValueError("variant 'kp_spread' spreads pretrained kernels; without weights use 'kp'")
        return "spread"
    return "zeros" if weights is not None else "random"


def antialias(model: tv_resnet.ResNet, filter_size: int = 4) -> tv_resnet.ResNet:
    """Anti-aliased copy of a torchvision ResNet, laid out as in ``antialiased_cnns`` (Zhang 2019):
    max-pool -> max (2x2, stride 1) + BlurPool; strided 3x3 -> stride 1 followed by BlurPool before
    the next conv; strided 1x1 shortcut -> BlurPool then 1x1. Weights are kept where shapes allow."""
    from antialiased_cnns import BlurPool

    model = copy.deepcopy(model)
    stem = model.conv1.out_channels
    model.maxpool = nn.Sequential(
        nn.MaxPool2d(kernel_size=2, stride=1), BlurPool(stem, filt_size=filter_size, stride=2)
    )
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            if isinstance(block, tv_resnet.Bottleneck) and block.conv2.stride == (2, 2):
                block.conv2.stride = (1, 1)
                block.conv3 = nn.Sequential(
                    BlurPool(block.conv2.out_channels, filt_size=filter_size, stride=2), block.conv3
                )
            elif isinstance(block, tv_resnet.BasicBlock) and block.conv1.stride == (2, 2):
                block.conv1.stride = (1, 1)
                block.conv2 = nn.Sequential(
                    BlurPool(block.conv1.out_channels, filt_size=filter_size, stride=2), block.conv2
                )
            if block.downsample is not None and block.downsample[0].stride == (2, 2):
                conv = block.downsample[0]
                conv.stride = (1, 1)
                block.downsample = nn.Sequential(
                    BlurPool(conv.in_channels, filt_size=filter_size, stride=2), *block.downsample
                )
    return model


def imagenet_metrics(name: str, weights: str = "IMAGENET1K_V1") -> dict[str, float]:
    """Acc@1, Acc@5, parameter count and GFLOPS from torchvision's weights metadata (offline)."""
    enum = torchvision.models.get_model_weights(name)
    w = enum[weights] if weights in enum.__members__ else enum.DEFAULT
    metrics = w.meta["_metrics"]["ImageNet-1K"]
    return {
        "weights": w.name,
        "acc1": float(metrics["acc@1"]),
        "acc5": float(metrics["acc@5"]),
        "params": int(w.meta["num_params"]),
        "gflops": float(w.meta.get("_ops", float("nan"))),
    }
