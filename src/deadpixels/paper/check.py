"""The dead-pixel checker for any CNN: ``python -m deadpixels check <model>``."""
from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

from .erf import structural_erf
from .fitting import imbalance_indices, lattice_ratio
from .kernel_padding import find_odd_stride_layers, kernel_pad
from .receptive_field import theoretical_rf


def load_model(spec: str) -> tuple[str, nn.Module]:
    """A torchvision model name, or ``path/to/file.py:attr`` naming an nn.Module or a function returning one."""
    if ":" in spec:
        path, attr = spec.rsplit(":", 1)
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"no such file {file} (expected path/to/module.py:attr)")
        mod_spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(mod_spec)
        assert mod_spec.loader is not None
        mod_spec.loader.exec_module(module)
        if not hasattr(module, attr):
            raise AttributeError(f"{file} has no attribute {attr!r}")
        obj = getattr(module, attr)
        model = obj if isinstance(obj, nn.Module) else obj()
        if not isinstance(model, nn.Module):
            raise TypeError(f"{spec} is not an nn.Module nor returns one")
        return attr, model
    names = torchvision.models.list_models(module=torchvision.models)
    if spec not in names:
        raise ValueError(f"unknown torchvision model {spec!r}; available: {', '.join(names)}; or use path/to/module.py:attr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spec, torchvision.models.get_model(spec)


def check_model(spec: str, size: int = 224, png: str | None = None) -> dict[str, Any]:
    """Offending layers, TRF and the structural output ERF's imbalance before/after kernel padding;
    writes the two structural ERF heatmaps side by side to ``png``."""
    name, model = load_model(spec)
    model.eval()
    odd = find_odd_stride_layers(model)
    lines = [f"model: {name} (input {size}x{size})", f"layers with an odd kernel and an even stride: {len(odd)}"]
    lines += [f"  {o.name:<40} {o.kind:<8} kernel {o.kernel[0]}x{o.kernel[1]}, stride {o.stride[0]}" for o in odd]
    report: dict[str, Any] = {"model": name, "size": size, "odd_stride_layers": [o.__dict__ for o in odd]}
    trf = theoretical_rf(model, size)
    report["trf"] = trf.size
    if trf.is_global:
        lines.append(f"not analysed: the receptive field is global ({trf.reason})")
        report["text"] = "\n".join(lines)
        return report
    lines.append(f"theoretical RF of the final feature map: {trf.size} px (stride {trf.stride})")
    before = structural_erf(model, size, target="output", dtype=torch.float32)
    after = structural_erf(kernel_pad(model), size, target="output", dtype=torch.float32)
    for tag, R in (("before KP", before), ("after KP", after)):
        l1, l2 = imbalance_indices(R)
        ratio = lattice_ratio(R)
        report[tag] = {"L1": l1, "L2": l2, "lattice_ratio": ratio}
        lines.append(f"structural output ERF {tag:<9}: L1 = {l1:.4f}, L2 = {l2:.4f}, strong/weak lattice ratio = {ratio:.3f}")
    from .plotting import erf_pair_figure

    out = Path(png or f"{name}_erf.png")
    fig = erf_pair_figure(before, after, f"{name}: structural output ERF ({size}x{size}, no weights, no data)")
    fig.savefig(out, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    report["png"] = str(out)
    lines.append(f"heatmap written to {out}")
    report["text"] = "\n".join(lines)
    return report
