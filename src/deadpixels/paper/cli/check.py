"""The dead-pixel checker for any CNN: ``python -m deadpixels check <model>``. It reports the
layers with an odd kernel and an even stride, the TRF, and the structural output ERF's imbalance
before and after kernel padding (the same analysis as the census of chapter 6)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

from torch import nn

from ...dead_pixels import DeadPixelReport, dead_pixel_test
from ...graph import input_channels
from ...utils import available_memory
from ..experiments.census import input_size
from ..lab.models import torchvision_model
from ..lab.zoo import timm_input_size, timm_model


class ModelSpecError(ValueError):
    """A model spec that names no model (unknown name, missing file or attribute, not a module)."""


def load_model(spec: str) -> tuple[str, nn.Module]:
    """A torchvision model name, ``timm:NAME`` for a timm model, or ``path/to/file.py:attr`` naming an
    nn.Module or a function returning one."""
    if spec.startswith("timm:"):
        try:
            return spec[len("timm:") :], timm_model(spec[len("timm:") :])
        except ValueError as exc:
            raise ModelSpecError(str(exc)) from None
    if ":" not in spec:
        try:
            return spec, torchvision_model(spec)
        except ValueError as exc:
            raise ModelSpecError(f"{exc}; or give path/to/module.py:attr") from None
    path, attr = spec.rsplit(":", 1)
    file = Path(path)
    if not file.is_file() or file.suffix != ".py":
        raise ModelSpecError(f"no Python file {file} (expected path/to/module.py:attr)")
    mod_spec = importlib.util.spec_from_file_location(file.stem, file)
    if mod_spec is None or mod_spec.loader is None:
        raise ModelSpecError(f"cannot import {file}")
    module = importlib.util.module_from_spec(mod_spec)
    try:
        mod_spec.loader.exec_module(module)
    except SystemExit as exc:  # sys.exit() at import would end this command silently with its code
        raise ModelSpecError(f"importing {file} called sys.exit({exc.code!r}); a model file must not exit") from None
    except Exception as exc:  # noqa: BLE001 - the user's file: report whatever it raised
        raise ModelSpecError(f"importing {file} failed: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, attr):
        public = [n for n in vars(module) if not n.startswith("_")]
        raise ModelSpecError(f"{file} has no attribute {attr!r}; it defines: {', '.join(public)}")
    obj = getattr(module, attr)
    if isinstance(obj, nn.Module):
        return attr, obj
    if not callable(obj):
        raise ModelSpecError(f"{spec} is neither an nn.Module nor a function returning one")
    try:
        model = obj()
    except SystemExit as exc:
        raise ModelSpecError(f"calling {spec}() called sys.exit({exc.code!r})") from None
    except Exception as exc:  # noqa: BLE001
        raise ModelSpecError(f"calling {spec}() failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, nn.Module):
        raise ModelSpecError(f"{spec}() returned a {type(model).__name__}, not an nn.Module")
    return attr, model


def report_lines(name: str, size: int, a: DeadPixelReport) -> list[str]:
    """The human-readable report of one analysis."""
    lines = [
        f"model: {name} (input {size}x{size})",
        f"layers with an odd kernel and an even stride: {len(a.odd_layers)}",
    ]
    lines += [
        f"  {o.name:<40} {o.kind:<8} kernel {o.kernel[0]}x{o.kernel[1]}, stride {o.stride[0]}" for o in a.odd_layers
    ]
    if a.excluded:
        return lines + [f"not analysed: {a.excluded}"]
    t = a.spatial_trf
    if t is None:
        lines.append(f"theoretical RF: not computed ({a.untraced}); the ERFs below come from the module tree and")
        lines.append("  autograd, with any squeeze-and-excitation gates not held constant")
    else:
        lines.append(f"theoretical RF of the final feature map: {t.size} px (stride {t.stride}, padding {t.padding})")
    if a.gates:
        lines.append(
            f"  along the spatial path: the field is global through {a.gates} squeeze-and-excitation style "
            f"gate(s), first {a.trf.reason}; each gate is held as a per-channel constant"
        )
    for tag, prefix in (("before KP", ""), ("after KP", "kp_")):
        if f"{prefix}L1" in a.metrics:
            m = a.metrics
            lines.append(
                f"structural output ERF {tag:<9}: L1 = {m[prefix + 'L1']:.4f}, L2 = {m[prefix + 'L2']:.4f}, "
                f"strong/weak lattice ratio = {m[prefix + 'lattice']:.3f}"
            )
    if a.kp_note:
        lines.append(f"kernel padding not applied: {a.kp_note}")
    return lines


def png_path(png: str | None, name: str) -> Path:
    """Where the heatmap goes: ``png`` itself (``.png`` added if it has no suffix), ``<png>/<name>_erf.png``
    for a folder, ``<name>_erf.png`` by default. The path printed is the path written."""
    if png is None:
        return Path(f"{name}_erf.png")
    out = Path(png)
    if out.is_dir():
        return out / f"{name}_erf.png"
    if out.suffix.lower() != ".png":
        raise ModelSpecError(f"--png must be a folder or a .png file; got {png!r}")
    if not out.parent.is_dir():
        raise ModelSpecError(f"--png {png!r}: the folder {out.parent} does not exist")
    return out


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float as a string ("inf", "-inf", "nan"), so that ``json.dumps``
    writes strict JSON (no ``Infinity``), which every JSON reader accepts."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    return obj


#: Bytes the analysis holds per activation element of a forward pass: float64 maps, their gradients
#: and the linearised copy (a generous bound: ResNet-50 at 224 px peaks at about half of it, 0.47 GiB).
BYTES_PER_ACTIVATION = 8 * 4
PROBE_PX = 64


def memory_estimate(model: nn.Module, size: int, probe: int = PROBE_PX) -> int | None:
    """Bytes the analysis of ``model`` at ``size`` px needs, extrapolated from one no-grad forward at
    ``probe`` px (activations grow with the area); None where the probe does not run (the analysis
    then reports why itself)."""
    import torch

    total = 0

    def count(_m: nn.Module, _i: Any, out: Any) -> None:
        nonlocal total
        total += out.numel() if isinstance(out, torch.Tensor) else 0

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, input_channels(model), probe, probe))
    except Exception:  # noqa: BLE001 - no estimate; the analysis itself says what is wrong
        return None
    finally:
        for h in hooks:
            h.remove()
    return int(total * BYTES_PER_ACTIVATION * (size / probe) ** 2)


def check_memory(model: nn.Module, size: int) -> None:
    """Refuse, before any work, a ``--size`` whose analysis would not fit in this machine's memory."""
    need, have = memory_estimate(model, size), available_memory()
    if need is not None and have is not None and need > have:
        # the size it suggests keeps a tenth of the memory free: available memory moves between calls
        largest = int(PROBE_PX * math.sqrt(0.9 * have / max(need / (size / PROBE_PX) ** 2, 1)))
        raise ValueError(
            f"--size {size} would need about {need / 2**30:.1f} GiB for this model (estimated from a {PROBE_PX} px "
            f"forward pass), and this machine has {have / 2**30:.1f} GiB available; use --size {largest} or less"
        )


def check_model(spec: str, size: int | None = None, png: str | None = None) -> dict[str, Any]:
    """Analyse the model named by ``spec``; write the structural ERF heatmaps to ``png``
    (default ``<model>_erf.png``). Returns the report as a dict with its text under ``"text"``."""
    name, model = load_model(spec)
    out = png_path(png, name)  # a bad --png fails before the analysis
    if size is None:
        size = timm_input_size(model, input_size(name)) if spec.startswith("timm:") else input_size(name)
    check_memory(model, size)
    return build_report(name, size, dead_pixel_test(model.eval(), size), out)


def build_report(name: str, size: int, a: DeadPixelReport, out: Path) -> dict[str, Any]:
    """The printed text, the JSON fields and the PNG of one analysis; with a trained test, its ERF
    and central crop are drawn beside the structural ERF."""
    lines = report_lines(name, size, a)
    report: dict[str, Any] = {
        "model": name,
        "size": size,
        "odd_stride_layers": [o.__dict__ for o in a.odd_layers],
        "trf": None if a.spatial_trf is None else a.spatial_trf.size,
        "gates": a.gates,
        "excluded": a.excluded,
        "kp_note": a.kp_note,
        **a.metrics,
    }
    if a.trained is not None:
        report["trained"] = a.trained
    if "structural" in a.maps or "trained" in a.maps:
        import matplotlib.pyplot as plt

        from ..book.check_figures import erf_pair_figure, erf_single_figure, erf_trained_figure

        title = f"{name}: structural output ERF ({size}x{size}, no weights, no data)"
        if "trained" in a.maps:
            fig = erf_trained_figure(a.maps["trained"], a.maps.get("structural"), f"{name} ({size}x{size})")
        elif "structural_kp" in a.maps:
            fig = erf_pair_figure(a.maps["structural"], a.maps["structural_kp"], title)
        else:
            fig = erf_single_figure(a.maps["structural"], title)
        fig.savefig(out, dpi=110, bbox_inches="tight")
        plt.close(fig)
        report["png"] = str(out)
        lines.append(f"heatmap written to {out}")
    report["text"] = "\n".join(lines)
    return report


__all__ = ["ModelSpecError", "load_model", "check_model", "build_report", "report_lines", "png_path"]
