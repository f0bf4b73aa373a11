import pytest
import torch

from deadpixels.paper.lab.models import RESNETS, build_model, imagenet_metrics
from deadpixels.paper.lab.reference import TABLE1


@pytest.mark.parametrize("name", list(RESNETS))
def test_acc5_metadata_matches_table1(name):
    assert imagenet_metrics(name)["acc5"] == pytest.approx(TABLE1[name]["acc5"], abs=1e-3)


@pytest.mark.parametrize("variant", ["vanilla", "kp", "blurpool"])
def test_variants_run_at_cpu_scale(variant):
    m = build_model("resnet50", num_classes=7, width=0.25, variant=variant, seed=0).eval()
    with torch.no_grad():
        assert m(torch.randn(2, 3, 96, 96)).shape == (2, 7)


def test_width_keeps_module_names():
    m = build_model("resnext50_32x4d", width=0.25)
    assert m.layer4[0].conv2.groups == 32
    assert m.conv1.out_channels == 16 and m.fc.in_features == 512


def test_pretrained_weights_fail_clearly_offline(monkeypatch):
    import torchvision

    def no_network(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(torchvision.models, "get_model", no_network)
    with pytest.raises(RuntimeError, match=r"could not be loaded.*checkpoints"):
        build_model("resnet18", weights="IMAGENET1K_V1")


def test_bad_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet19")
    with pytest.raises(ValueError, match="unknown variant"):
        build_model("resnet18", variant="odd")
    with pytest.raises(ValueError, match="unknown weights"):
        build_model("resnet18", weights="IMAGENET9K")
