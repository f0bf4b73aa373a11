import pytest
import torch
import torchvision
from torch import nn

from deadpixels import find_odd_stride_layers, kernel_pad, lattice_ratio, structural_erf
from deadpixels.kernel_padding import PaddedConv2d, PaddedMaxPool2d, window_coverage


def _randomise_bn(model):
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1, generator=g)
            m.running_var.uniform_(0.5, 2.0, generator=g)
    return model


@pytest.mark.parametrize(
    "name,size",
    [
        ("resnet18", 64),
        ("resnext50_32x4d", 64),
        ("mobilenet_v2", 64),
        ("densenet121", 64),
        ("regnet_x_400mf", 64),
        ("alexnet", 96),
    ],
)
def test_zero_padding_leaves_outputs_unchanged(name, size):
    torch.manual_seed(0)
    model = _randomise_bn(torchvision.models.get_model(name).double().eval())
    padded = kernel_pad(model, pools=False).eval()
    assert any(isinstance(m, PaddedConv2d) for m in padded.modules())
    x = torch.randn(2, 3, size, size, dtype=torch.float64)
    with torch.no_grad():
        diff = (model(x) - padded(x)).abs().max().item()
    assert diff < 1e-10


def test_padded_kernels_are_even_and_zero_at_bottom_right():
    model = torchvision.models.resnet50()
    padded = kernel_pad(model)
    assert padded.conv1.kernel_size == (8, 8) and padded.conv1.stride == (2, 2) and padded.conv1.padding == (3, 3)
    assert padded.layer2[0].conv2.kernel_size == (4, 4)
    assert padded.layer2[0].downsample[0].kernel_size == (2, 2)
    assert padded.layer1[0].conv2.kernel_size == (3, 3)  # stride 1: untouched
    assert isinstance(padded.maxpool, PaddedMaxPool2d) and padded.maxpool.kernel_size == (4, 4)
    w = padded.layer3[0].conv2.weight
    assert torch.equal(w[:, :, :3, :3], model.layer3[0].conv2.weight)
    assert w[:, :, 3, :].abs().sum() == 0 and w[:, :, :, 3].abs().sum() == 0
    assert model.conv1.kernel_size == (7, 7), "the original model must not change"


def test_random_init_gives_fresh_even_kernels():
    model = torchvision.models.resnet18()
    padded = kernel_pad(model, init="random")
    assert padded.conv1.weight[:, :, 7, :].abs().sum() > 0
    with pytest.raises(ValueError, match="init must be"):
        kernel_pad(model, init="ones")


def test_kernel_padding_removes_the_structural_checkerboard():
    model = torchvision.models.resnet18()
    before = lattice_ratio(structural_erf(model, 224, target="output", dtype=torch.float32))
    after = lattice_ratio(structural_erf(kernel_pad(model), 224, target="output", dtype=torch.float32))
    assert before > 1.3 and after == pytest.approx(1.0, abs=1e-3)


def test_odd_feature_maps_are_refused():
    padded = kernel_pad(torchvision.models.resnet18())
    with pytest.raises(ValueError, match=r"cannot be exact at 'layer4.0.conv1'.*height is 7"):
        padded(torch.randn(1, 3, 112, 112))
    with pytest.raises(ValueError, match="cannot be exact"):
        kernel_pad(torchvision.models.resnet18(), input_size=112)
    kernel_pad(torchvision.models.resnet18(), input_size=96)  # 32 x odd: fine


def test_find_odd_stride_layers_names_them():
    names = [layer.name for layer in find_odd_stride_layers(torchvision.models.resnet50())]
    assert names == [
        "conv1",
        "maxpool",
        "layer2.0.conv2",
        "layer2.0.downsample.0",
        "layer3.0.conv2",
        "layer3.0.downsample.0",
        "layer4.0.conv2",
        "layer4.0.downsample.0",
    ]
    names18 = [layer.name for layer in find_odd_stride_layers(torchvision.models.resnet18())]
    assert "layer2.0.conv1" in names18
    assert find_odd_stride_layers(torchvision.models.convnext_tiny()) == []


def test_window_coverage_is_the_papers_figure_2():
    assert list(window_coverage(8, 3, 2, 1)) == [1, 2, 1, 2, 1, 2, 1, 1]
    assert list(window_coverage(8, 4, 2, 1)) == [1, 2, 2, 2, 2, 2, 2, 1]
    assert list(window_coverage(8, 1, 2, 0)) == [1, 0, 1, 0, 1, 0, 1, 0]
    assert list(window_coverage(8, 2, 2, 0)) == [1] * 8
    with pytest.raises(ValueError):
        window_coverage(8, 0, 2)


def _tf_same_net():
    from deadpixels.same_padding import SamePadConv2d

    torch.manual_seed(0)
    return (
        nn.Sequential(
            SamePadConv2d(3, 8, 3, stride=2),
            nn.BatchNorm2d(8),
            nn.ReLU6(),
            SamePadConv2d(8, 8, 5, stride=2, groups=8),
            nn.ReLU6(),  # depthwise 5x5, as in EfficientNet-Lite
            SamePadConv2d(8, 4, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        .double()
        .eval()
    )


@pytest.mark.parametrize("size", [32, 33, 30])
def test_kernel_padding_of_tensorflow_same_padding_is_exact(size):
    """Asymmetric "SAME" padding (0 in front, 1 behind at stride 2): the padded layer keeps the front
    padding and adds a zero row behind, so it is exact on even and odd maps alike."""
    net = _tf_same_net()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    padded = kernel_pad(net).eval()
    assert [m.kernel_size for m in padded.modules() if isinstance(m, nn.Conv2d)] == [(4, 4), (6, 6), (1, 1)]
    x = torch.randn(2, 3, size, size, dtype=torch.float64)
    with torch.no_grad():
        assert (net(x) - padded(x)).abs().max().item() < 1e-12
    R = structural_erf(padded, 64, target="output")
    assert lattice_ratio(R) < 1.02 < lattice_ratio(structural_erf(net, 64, target="output"))


def test_trf_of_tensorflow_same_padding():
    from deadpixels import theoretical_rf

    r = theoretical_rf(_tf_same_net(), 32, target="3")
    # 3x3/2 then 5x5/2: size 1 + 2 + 4*2 = 11, stride 4; "SAME" pads (0, 1) then (1, 2): front padding 0 + 1*2
    assert (r.size, r.stride, r.padding) == (11, 4, 2)


def test_kernel_pad_probe_takes_the_models_dtype():
    """A float64 model is checked with a float64 probe (issue 28: the float32 probe failed with
    "Input type (float) and bias type (double)")."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU(), nn.Conv2d(4, 4, 3, 2, 1)).double()
    padded = kernel_pad(model, pools=False, input_size=16)
    x = torch.randn(1, 3, 16, 16, dtype=torch.float64)
    assert torch.allclose(padded(x), model(x), rtol=0, atol=1e-12)


def test_spread_kernel_padding_covers_every_pixel_equally_from_the_first_step():
    """init='spread': the padded kernel is the original averaged over its four placements, so a
    stride-2 layer gives every interior pixel the same total weight (zero-init KP does not)."""
    import torch
    from torch import nn

    from deadpixels.kernel_padding import kernel_pad

    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1, bias=False))
    conv[0].weight.data = torch.rand_like(conv[0].weight) + 0.1
    totals = {}
    for init in ("zeros", "spread"):
        padded = kernel_pad(conv, init=init)
        w = padded[0].weight
        assert w.shape[-2:] == (4, 4)
        assert torch.allclose(w.sum(), conv[0].weight.sum())  # the same total weight, spread or not
        x = torch.ones(1, 1, 16, 16, requires_grad=True)
        padded(x).sum().backward()
        interior = x.grad[0, 0, 4:12, 4:12]
        totals[init] = float(interior.max() / interior.min())
    assert totals["spread"] == pytest.approx(1.0, abs=1e-6) and totals["zeros"] > 1.1


def test_coverage_balance_is_zero_for_zero_init_and_one_for_spread_kernels():
    import torch
    from torch import nn

    from deadpixels.kernel_padding import coverage_balance, find_odd_stride_layers, kernel_pad

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 5, stride=2, padding=2))
    layers = find_odd_stride_layers(model)
    assert set(coverage_balance(kernel_pad(model, init="zeros"), layers).values()) == {0.0}
    spread = coverage_balance(kernel_pad(model, init="spread"), layers)
    assert all(v == pytest.approx(1.0) for v in spread.values())
