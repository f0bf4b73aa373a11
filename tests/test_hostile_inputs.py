"""The hostile-input suite (issue #41): inputs a new user tries, by family (model loading, sizes,
devices, dtypes, images, labels, targets, positions, caches, output paths). Each case asserts the
message, the exit code (2 for usage errors, 3 for a model that is printed but cannot be analysed)
or the exception, and that no file under data/results changed."""

import hashlib
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

import deadpixels as dp
from deadpixels.paper import cli

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"


def _digest() -> dict[str, str]:
    """Every committed result file's checksum (lock files aside: they hold no data)."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(RESULTS.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def before():
    return _digest()


@pytest.fixture
def unchanged(before):
    yield
    assert _digest() == before, "a hostile input changed a file under data/results"


MODELS = {
    "exits.py": "import sys\nsys.exit(0)\n",
    "syntax.py": "def broken(:\n",
    "raises.py": "raise KeyError('at import')\n",
    "noattr.py": "x = 1\n",
    "notmodule.py": "net = 42\n",
    "factory_raises.py": "def net():\n    raise RuntimeError('factory failed')\n",
    "factory_none.py": "def net():\n    return None\n",
    "two_inputs.py": """
        import torch.nn as nn
        class Two(nn.Module):
            def __init__(self):
                super().__init__(); self.c = nn.Conv2d(3, 4, 3)
            def forward(self, x, y):
                return self.c(x) + self.c(y)
        net = Two()
    """,
    "conv3d.py": "import torch.nn as nn\nnet = nn.Sequential(nn.Conv3d(3, 4, 3), nn.ReLU())\n",
    "conv1d.py": "import torch.nn as nn\nnet = nn.Sequential(nn.Conv1d(3, 4, 3), nn.ReLU())\n",
    "gray.py": "import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())\n",
    "keyerror.py": """
        import torch.nn as nn
        class K(nn.Module):
            def __init__(self):
                super().__init__(); self.c = nn.Conv2d(3, 4, 3); self.table = {}
            def forward(self, x):
                return self.c(x) * self.table['scale']
        net = K()
    """,
    "slice_write.py": """
        import torch.nn as nn
        class S(nn.Module):
            def __init__(self):
                super().__init__(); self.a = nn.Conv2d(3, 4, 3); self.b = nn.Conv2d(4, 4, 3)
            def forward(self, x):
                y = self.a(x); v = y[:, :2]; v.mul_(2.0); return self.b(y)
        net = S()
    """,
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    for name, text in MODELS.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


CLI = [
    # model loading
    (["check", "resnt18"], 2, "did you mean resnet18"),
    (["check", "ResNet18"], 2, "did you mean resnet18"),
    (["check", "no_such_net"], 2, "unknown torchvision model 'no_such_net'"),
    (["check", "{m}/missing.py:net"], 2, "no Python file"),
    (["check", "{m}/exits.py:net"], 2, "called sys.exit(0)"),
    (["check", "{m}/syntax.py:net"], 2, "importing"),
    (["check", "{m}/raises.py:net"], 2, "KeyError: 'at import'"),
    (["check", "{m}/noattr.py:net"], 2, "has no attribute 'net'; it defines: x"),
    (["check", "{m}/notmodule.py:net"], 2, "neither an nn.Module nor a function"),
    (["check", "{m}/factory_raises.py:net"], 2, "calling"),
    (["check", "{m}/factory_none.py:net"], 2, "returned a NoneType, not an nn.Module"),
    (["check", "{m}/two_inputs.py:net", "--size", "32"], 3, "forward takes 2 inputs (x, y)"),
    (["check", "{m}/conv3d.py:net", "--size", "32"], 3, "only 2-D image networks are covered"),
    (["check", "{m}/conv1d.py:net", "--size", "32"], 3, "only 2-D image networks are covered"),
    (["check", "{m}/keyerror.py:net", "--size", "32"], 3, "does not run (KeyError: 'scale')"),
    (["check", "{m}/slice_write.py:net", "--size", "32"], 3, "writes into memory that"),
    # sizes
    (["check", "{m}/gray.py:net", "--size", "100000"], 2, "GiB"),
    (["check", "{m}/gray.py:net", "--size", "2"], 3, "too small"),
    # output paths
    (["check", "resnet18", "--png", "{results}/x.png"], 2, "inside the results cache"),
    (["check", "resnet18", "--png", "{tmp}/none/x.png"], 2, "does not exist"),
    (["check", "resnet18", "--png", "{tmp}/x.jpg"], 2, "must be a folder or a .png file"),
    (["verify", "trf", "--report", "{results}/trf/cpu/resnets.csv"], 2, "inside the results cache"),
    (["verify", "trf", "--report", "{results}/claims.csv"], 2, "inside the results cache"),
    (["verify", "trf", "--report", "{tmp}"], 2, "is a folder"),
    (["verify", "trf", "--report", "{tmp}/none/r.json"], 2, "does not exist"),
    # selections and devices
    (["verify", "trf", "--scale", "gpu"], 2, "nothing to verify"),
    (["verify", "kp_exact", "--scale", "paper"], 2, "no cached result in"),
    (["verify", "nonsense"], 2, "unknown experiment or chapter 'nonsense'"),
    (["run", "nonsense", "--scale", "smoke"], 2, "unknown experiment or chapter 'nonsense'"),
    (["run", "trf", "--scale", "smoke", "--device", "tpu"], 2, "unknown device 'tpu'"),
    (["run", "trf", "--scale", "smoke", "--device", "cuda"], 2, "no CUDA GPU"),
    (["verify", "trf", "--device", "meta"], 2, "cannot run the experiments"),
    (["run", "kp_finetune", "--scale", "smoke", "--seeds", "1", "1"], 2, "repeated: 1"),
    (["run", "trf", "--scale", "smoke", "--jobs", "0"], 2, "positive"),
    (["collect", "trf", "--scale", "cpu", "--cells", "{tmp}/none", "--commit", "HEAD"], 2, ""),
]


@pytest.mark.parametrize("argv, code, message", CLI, ids=[" ".join(a[:3]) for a, _, _ in CLI])
def test_the_command_line_refuses_clearly(argv, code, message, models, tmp_path, capsys, unchanged):
    argv = [a.format(m=models, results=RESULTS, tmp=tmp_path) for a in argv]
    try:
        got = cli.main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        got = exc.code
    out = capsys.readouterr()
    assert got == code, (got, out.out[-500:], out.err[-500:])
    assert message in out.out + out.err, (out.out[-500:], out.err[-500:])
    assert "internal error" not in out.err and "Traceback" not in out.err


@pytest.mark.parametrize("size", ["0", "-3", "2.5", "abc", "1e9"])
def test_a_bad_size_is_a_usage_error(size, capsys, unchanged):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "resnet18", "--size", size])
    assert exc.value.code == 2
    assert "size" in capsys.readouterr().err


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1)).eval()


def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5)).eval()


X = torch.randn(2, 3, 16, 16)
API = [
    # models
    ("effective_rf", lambda: dp.effective_rf(None, X, target="2"), "needs an nn.Module; got NoneType"),
    ("effective_rf", lambda: dp.effective_rf("resnet18", X, target="2"), "build it first"),
    ("theoretical_rf", lambda: dp.theoretical_rf(None, 32), "needs an nn.Module"),
    ("structural_erf", lambda: dp.structural_erf("resnet18", 32), "build it first"),
    ("kernel_pad", lambda: dp.kernel_pad("resnet18"), "kernel_pad needs an nn.Module"),
    ("kernel_pad", lambda: dp.kernel_pad(net(), init="ones"), "init must be one of"),
    ("dead_pixel_test", lambda: dp.dead_pixel_test(None, 32), "needs an nn.Module"),
    ("nan weights", lambda: dp.effective_rf(_nan(net()), X, target="2"), "0.weight holds 1 NaN"),
    ("inf buffer", lambda: dp.effective_rf(_inf_bn(), X, target="1"), "running_var holds"),
    # devices
    ("device cuda", lambda: dp.effective_rf(net(), X, target="2", device="cuda:7"), "asked for, but torch sees no"),
    ("device junk", lambda: dp.effective_rf(net(), X, target="2", device="gpu0"), "must be a torch device"),
    # sizes
    ("trf size (32,)", lambda: dp.theoretical_rf(net(), (32,)), "positive int"),
    ("kernel_pad size 0", lambda: dp.kernel_pad(net(), input_size=0), "positive int"),
    ("dead_pixel_test size", lambda: dp.dead_pixel_test(net(), -1), "positive int"),
    ("trf size 0", lambda: dp.theoretical_rf(net(), 0), "positive int"),
    ("trf size 2.5", lambda: dp.theoretical_rf(net(), 2.5), "positive int"),
    ("trf size str", lambda: dp.theoretical_rf(net(), "224"), "positive int"),
    ("trf size huge", lambda: dp.theoretical_rf(net(), 100000), "GiB"),
    ("serf size huge", lambda: dp.structural_erf(net(), 100000), "GiB"),
    # images
    ("images None", lambda: dp.effective_rf(net(), None, target="2"), "needs images"),
    ("images 3-D", lambda: dp.effective_rf(net(), torch.randn(3, 16, 16), target="2"), "4-D tensor"),
    ("images NaN", lambda: dp.effective_rf(net(), X * float("nan"), target="2"), "NaN or infinite"),
    ("images channels", lambda: dp.effective_rf(net(), torch.randn(2, 1, 16, 16), target="2"), "expects 3"),
    ("images empty", lambda: dp.effective_rf(net(), torch.randn(0, 3, 16, 16), target="2"), "no images"),
    ("batches sizes", lambda: dp.effective_rf(net(), [X, torch.randn(2, 3, 20, 20)], target="2"), "one size for all"),
    ("batch size 0", lambda: dp.effective_rf(net(), X, target="2", batch_size=0), "batch_size must be"),
    ("half overflow", lambda: dp.effective_rf(net().half(), X * 1e5, target="2", device="cpu"), "overflow"),
    # labels
    ("labels range", lambda: dp.effective_rf(classifier(), X, target="output", labels=[0, 7]), r"labels \[7\]"),
    ("labels negative", lambda: dp.effective_rf(classifier(), X, target="output", labels=[-1, 0]), r"labels \[-1\]"),
    ("labels count", lambda: dp.effective_rf(classifier(), X, target="output", labels=[0]), "labels for 2 images"),
    ("labels missing", lambda: dp.effective_rf(classifier(), X, target="output"), "needs the label"),
    # targets
    ("target unknown", lambda: dp.effective_rf(net(), X, target="layer4"), "unknown target layer 'layer4'"),
    ("target empty", lambda: dp.effective_rf(net(), X, target=""), "module name or 'output'"),
    ("target int", lambda: dp.effective_rf(net(), X, target=3), "module name or 'output'"),
    ("trf target", lambda: dp.theoretical_rf(net(), 32, target="nope"), "unknown target layer 'nope'"),
    ("serf target", lambda: dp.structural_erf(net(), 32, target="nope"), "available: \\['0', '1', '2'\\]"),
    # positions
    ("serf position", lambda: dp.structural_erf(net(), 32, position=(99, 0)), "outside the 32x32 map"),
    ("position float", lambda: dp.effective_rf(net(), X, target="2", position=(2.5, 3)), "whole numbers"),
    ("position negative", lambda: dp.effective_rf(net(), X, target="2", position=(-1, -1)), "negative"),
    ("position outside", lambda: dp.effective_rf(net(), X, target="2", position=(99, 0)), "outside the 16x16"),
    ("position bool", lambda: dp.effective_rf(net(), X, target="2", position=(True, 0)), "whole numbers"),
    ("position word", lambda: dp.effective_rf(net(), X, target="2", position="middle"), r"'center' or a \(row, col\)"),
    # operations the tracer cannot follow
    ("linear over width", lambda: _reason(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(30, 30))), "over the width"),
    ("softmax over H", lambda: _reason(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Softmax(dim=2))), "over the height"),
]


def _nan(model):
    with torch.no_grad():
        model[0].weight[0, 0, 0, 0] = float("nan")
    return model


def _inf_bn():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).eval()
    model[1].running_var[0] = float("inf")
    return model


def _reason(model):
    r = dp.theoretical_rf(model.eval(), 32)
    raise ValueError(r.reason)  # the stated reason, checked like a refusal


@pytest.mark.parametrize("name, call, message", API, ids=[n for n, _, _ in API])
def test_the_api_refuses_clearly(name, call, message, unchanged):
    with pytest.raises(ValueError, match=message):
        call()
