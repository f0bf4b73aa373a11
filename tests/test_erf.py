import copy

import numpy as np
import pytest
import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from deadpixels import effective_rf, lattice_ratio, structural_erf


def _loop_erf(model, x, target, labels=None):
    """The authors' way: batch size 1, .backward() with parameter gradients."""
    model.eval()
    acc = 0
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        feats = {}
        if target == "output":
            F = model(xi)[0, labels[i]]
        else:
            h = model.get_submodule(target).register_forward_hook(
                lambda m, a, o, feats=feats: feats.__setitem__("a", o)
            )
            model(xi)
            h.remove()
            a = feats["a"]
            F = a[0, :, a.shape[2] // 2, a.shape[3] // 2].mean()
        model.zero_grad()
        F.backward()
        acc = acc + np.maximum(xi.grad.mean(1)[0].double().numpy(), 0)
    return acc / len(x)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=5).double()
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.1)
            mod.running_var.uniform_(0.5, 2)
    return m.eval()


@pytest.mark.parametrize("target", ["layer3", "layer4", "output"])
def test_batched_equals_per_image_definition(model, target):
    x = torch.randn(5, 3, 64, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 3, 4])
    R = effective_rf(model, x, target=target, labels=labels, batch_size=3, progress=False)
    ref = _loop_erf(model, x, target, labels)
    assert R.shape == (64, 64) and R.max() > 0
    np.testing.assert_allclose(R, ref, rtol=1e-9, atol=1e-12 * ref.max())


def test_parameters_get_no_gradients_and_flags_are_restored(model):
    m = copy.deepcopy(model).float()
    x = torch.randn(2, 3, 64, 64)
    effective_rf(m, x, progress=False)
    assert all(p.grad is None for p in m.parameters())
    assert all(p.requires_grad for p in m.parameters())


def test_dataloader_and_iterables(model):
    m = copy.deepcopy(model).float()
    x = torch.randn(4, 3, 64, 64)
    y = torch.tensor([0, 1, 2, 3])
    a = effective_rf(m, x, target="output", labels=y, progress=False)
    b = effective_rf(m, DataLoader(TensorDataset(x, y), batch_size=2), target="output", progress=False)
    c = effective_rf(m, [x[:1], x[1:]], target="layer4", progress=False)
    np.testing.assert_allclose(a, b, rtol=1e-5)
    assert c.shape == (64, 64)


def test_bad_inputs_are_clear_errors(model):
    m = copy.deepcopy(model).float()
    with pytest.raises(ValueError, match="labels"):
        effective_rf(m, torch.randn(2, 3, 64, 64), target="output", progress=False)
    with pytest.raises(ValueError, match="unknown target layer 'layer7'.*layer4"):
        effective_rf(m, torch.randn(2, 3, 64, 64), target="layer7", progress=False)
    with pytest.raises(ValueError, match="4-D"):
        effective_rf(m, [torch.randn(3, 64, 64)], progress=False)
    with pytest.raises(ValueError, match="1 channels but .* expects 3"):
        effective_rf(m, torch.randn(2, 1, 64, 64), progress=False)
    with pytest.raises(ValueError, match="no images"):
        effective_rf(m, torch.randn(0, 3, 64, 64), progress=False)
    with pytest.raises(ValueError, match="cannot take"):
        effective_rf(torchvision.models.alexnet(), torch.randn(1, 3, 8, 8), target="features", progress=False)
    with pytest.raises(ValueError, match="outside"):
        effective_rf(m, torch.randn(1, 3, 64, 64), position=(5, 5), progress=False)


def test_structural_erf_is_symmetric_positive_and_checkerboarded():
    S = structural_erf(torchvision.models.resnet50(), 224)
    assert S.shape == (224, 224) and S.min() >= 0 and S.max() > 0
    c = S[96:128, 96:128]
    phases = [c[i::2, j::2].mean() for i in range(2) for j in range(2)]
    assert max(phases) / min(phases) > 1.2  # the architecture alone makes a checkerboard


class _Broadcast(nn.Module):
    def forward(self, x):
        return x + x.mean((2, 3), keepdim=True)  # every position gets the mean added: global, not a gate


def test_structural_erf_refuses_global_models():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), _Broadcast(), nn.Conv2d(4, 4, 3))
    with pytest.raises(ValueError, match="global"):
        structural_erf(model, 64, target="2")


def test_structural_erf_of_a_gated_net_is_its_spatial_path():
    """mobilenet_v3_small's nine squeeze-and-excitation gates are per-channel constants along the
    spatial path: the structural ERF exists and shows the checkerboard of its odd/even layers."""
    S = structural_erf(torchvision.models.mobilenet_v3_small(), 224)
    assert S.min() >= 0 and lattice_ratio(S) > 1.5


def test_hook_path_and_folded_path_agree(model):
    x = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    y = torch.tensor([0, 1, 2])
    for target in ("layer3", "output"):
        folded = effective_rf(model, x, target=target, labels=y, progress=False)
        hooked = effective_rf(model, x, target=target, labels=y, progress=False, fold_batchnorm=False)
        np.testing.assert_allclose(folded, hooked, rtol=1e-9, atol=1e-12 * hooked.max())


def test_per_image_maps_average_to_the_erf(model):
    x = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    maps = effective_rf(model, x, target="layer3", batch_size=3, progress=False, per_image=True)
    R = effective_rf(model, x, target="layer3", batch_size=3, progress=False)
    assert maps.shape == (4, 64, 64) and (maps >= 0).all()
    np.testing.assert_allclose(maps.mean(0), R, rtol=1e-5, atol=1e-7 * R.max())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_top1_labels_come_from_the_same_pass_and_give_the_explicit_labels_map(model, dtype):
    m = copy.deepcopy(model).to(dtype)
    x = torch.randn(5, 3, 64, 64, generator=torch.Generator().manual_seed(3), dtype=dtype)
    with torch.no_grad():
        top1 = m.eval()(x).argmax(1)
    R, used = effective_rf(m, x, target="output", labels="top1", batch_size=2, progress=False, return_labels=True)
    explicit = effective_rf(m, x, target="output", labels=top1, batch_size=2, progress=False)
    assert torch.equal(used, top1)
    np.testing.assert_array_equal(R, explicit)
    _, none = effective_rf(m, x, target="layer3", progress=False, return_labels=True)
    assert none is None


@pytest.mark.parametrize("labels,target", [("top1", "layer3"), ("top5", "output")])
def test_top1_is_the_one_label_word_and_only_for_the_output(model, labels, target):
    x = torch.zeros(1, 3, 32, 32, dtype=torch.float64)
    with pytest.raises(ValueError, match="labels may be 'top1'"):
        effective_rf(model, x, target=target, labels=labels, progress=False)
