"""``check MODEL --images`` (issue #42): the dead-pixel test of a user's trained network on the user's
own images. The trained map is Algorithm 1 per image (float64, autograd on the real model); the
JSON carries every metric; every bad input ends with exit 2 and one message, no traceback."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import deadpixels as dp
from deadpixels.erf_metrics import area_ratio, openerf_diagnostics
from deadpixels.paper import cli

NET = """
import torch.nn as nn
def net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
"""


def small_net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5),
    )  # fmt: skip


@pytest.fixture
def user(tmp_path):
    """A user's module file, a state dict of trained-looking weights, and a folder of photographs."""
    (tmp_path / "mynet.py").write_text(NET)
    torch.manual_seed(0)
    torch.save(small_net().state_dict(), tmp_path / "weights.pt")
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (80, 96, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return tmp_path


def run(argv, capsys):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "internal error" not in out.err, out.err
    return code, out.out, out.err


def test_the_trained_map_is_algorithm_1_per_image_in_float64():
    torch.manual_seed(0)
    model = small_net().double().eval()
    x = torch.randn(3, 3, 32, 32, dtype=torch.float64)
    a = dp.dead_pixel_test(model, 32, images=x, progress=False)
    labels = model(x).argmax(1)
    maps = []
    for i in range(3):
        xi = x[i : i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(model(xi)[0, labels[i]], xi)
        maps.append(F.relu(g.mean(1))[0])
    np.testing.assert_allclose(a.maps["trained"], torch.stack(maps).mean(0).numpy(), rtol=0, atol=1e-14)
    assert a.trained["labels"] == labels.tolist()


def test_a_user_module_with_a_state_dict_gives_every_metric_and_the_png(user, capsys):
    png = user / "erf.png"
    code, out, _ = run(
        ["check", f"{user}/mynet.py:net", "--weights", user / "weights.pt", "--images", user / "photos",
         "--size", "64", "--json", "--png", png], capsys,
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    t = report["trained"]
    for key in ("lattice", "lattice_ci95", "L1_raw", "L2_raw", "L1_peak", "L2_peak", "com_yx", "argmax_yx"):
        assert key in t, key
    assert set(t["gaussian"]) == {"sigma_y", "sigma_x", "r2"}
    assert set(t["area_ratio"]) == {"20%", "30%", "50%", "99%"}
    assert set(t["radial_cumulative_mass"]) == {"5", "10", "20", "30", "40", "60", "80"}
    assert t["n_images"] == 4 and len(t["files"]) == 4 and t["lattice_ci95"][0] <= t["lattice"] <= t["lattice_ci95"][1]
    assert "odd_stride_layers" in report and report["png"] == str(png) and png.stat().st_size > 0
    assert t["preprocessing"].startswith("default (ImageNet mean and std")


def test_metrics_follow_their_own_definitions():
    R = np.zeros((21, 21))
    R[10, 10] = 1.0
    assert area_ratio(R, 0.5) == (3, 9 / 441)  # the smallest centred square above the threshold: 3x3
    d = openerf_diagnostics(R, radii=(1,))
    assert d["com_yx"] == [10.0, 10.0] and d["argmax_yx"] == [10, 10] and d["radial_cumulative_mass"]["1"] == 1.0


def _write(folder, name, array, mode=None):
    Image.fromarray(array, mode).save(folder / name) if mode else Image.fromarray(array).save(folder / name)


def test_grayscale_rgba_and_16_bit_are_converted_and_said(user, capsys):
    folder = user / "photos"
    _write(folder, "gray.png", np.full((80, 80), 100, np.uint8))
    _write(folder, "rgba.png", np.full((80, 80, 4), 100, np.uint8))
    Image.fromarray(np.full((80, 80), 30000, np.uint16)).save(folder / "deep.png")
    code, out, _ = run(
        ["check", f"{user}/mynet.py:net", "--weights", user / "weights.pt", "--images", folder, "--size", "64",
         "--png", user / "x.png"], capsys,
    )  # fmt: skip
    assert code == 0
    assert "grayscale images: the channel repeated to RGB" in out and "alpha dropped" in out
    assert "rescaled to 8 bits" in out


BAD = [
    ("empty folder", lambda u: ["--images", u / "empty"], "no images in folder"),
    ("no match", lambda u: ["--images", u / "photos" / "*.jpg"], "no images in pattern"),
    ("unreadable", lambda u: ["--images", u / "broken"], "is not a readable image"),
    ("too small", lambda u: ["--images", u / "photos", "--size", "200"], "smaller than the model's 200x200 input"),
    (
        "no layer",
        lambda u: ["--images", u / "photos", "--target", "4.weight"],
        "--target: unknown target layer '4.weight'",
    ),
    ("close layer", lambda u: ["--images", u / "photos", "--target", "66"], "'66'; did you mean 6?"),
    ("not a map", lambda u: ["--images", u / "photos", "--target", "6"], "not a (N, C, H, W) feature map"),
    ("state dict", lambda u: ["--images", u / "photos", "--weights", u / "wrong.pt"], "does not fit Sequential"),
    ("not a state dict", lambda u: ["--images", u / "photos", "--weights", u / "mynet.py"], "cannot be read"),
    ("nan weights", lambda u: ["--images", u / "photos", "--weights", u / "nan.pt"], "0.weight holds 1 NaN"),
    ("n-images 0", lambda u: ["--images", u / "photos", "--n-images", "0"], "positive"),
    ("device", lambda u: ["--images", u / "photos", "--device", "cuda:3"], "CUDA"),
]


@pytest.mark.parametrize("case, extra, message", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_end_with_exit_2_and_one_message(user, capsys, case, extra, message):
    (user / "empty").mkdir()
    (user / "broken").mkdir()
    (user / "broken" / "x.png").write_bytes(b"not a png")
    torch.save({"0.weight": torch.zeros(1)}, user / "wrong.pt")
    sd = small_net().state_dict()
    sd["0.weight"][0, 0, 0, 0] = float("nan")
    torch.save(sd, user / "nan.pt")
    argv = ["check", f"{user}/mynet.py:net", "--size", "64", "--png", user / "x.png", *extra(user)]
    if "--weights" not in argv:
        argv += ["--weights", user / "weights.pt"]
    code, out, err = run(argv, capsys)
    assert code == 2, (out, err)
    assert message in err, err


def test_a_module_without_weights_and_weights_without_images_are_refused(user, capsys):
    code, _, err = run(["check", f"{user}/mynet.py:net", "--images", user / "photos", "--size", "64"], capsys)
    assert code == 2 and "has no trained weights here" in err
    code, _, err = run(["check", f"{user}/mynet.py:net", "--weights", user / "weights.pt"], capsys)
    assert code == 2 and "--weights applies to the trained test" in err


def test_timm_pretrained_offline_names_its_cache(user, capsys, monkeypatch):
    pytest.importorskip("timm")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = run(["check", "timm:resnet18", "--pretrained", "--images", user / "photos"], capsys)
    assert code == 2 and "could not be loaded" in err and "looked in" in err


def test_efficientnet_lite0_with_its_packaged_weights_is_the_offline_example(tmp_path, capsys):
    from deadpixels.paper.lab.data import natural_images

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, img in enumerate(natural_images(2, 96, seed=0, normalised=False)):
        Image.fromarray((img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(folder / f"{i}.png")
    code, out, _ = run(
        ["check", "efficientnet_lite0", "--images", folder, "--size", "64", "--json", "--png", tmp_path], capsys
    )
    assert code == 0
    report = json.loads(out)
    assert report["trained"]["preprocessing"] == "EfficientNet-Lite: [-1, 1] inputs"
    assert report["trained"]["n_images"] == 2 and (tmp_path / "efficientnet_lite0_erf.png").exists()
