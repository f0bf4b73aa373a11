"""One run of a traced graph on a probe image: every node's output shape, and, where the run
fails, an error that names its real cause (a model of two inputs, a 1-D or 3-D network, the user's
own forward raising, an input too small) instead of a bare torch error."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: Convolutions of other dimensions than images': the tracer's rules cover 2-D maps only.
OTHER_DIMENSIONS: tuple[type[nn.Module], ...] = (
    nn.Conv1d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose3d, nn.MaxPool1d, nn.MaxPool3d, nn.AvgPool1d,
    nn.AvgPool3d,
)  # fmt: skip


def check_inputs(gm: torch.fx.GraphModule, name: str) -> None:
    """Refuse a model whose forward needs more than one input (an image and a mask, two views)."""
    needed = [n.target for n in gm.graph.nodes if n.op == "placeholder" and not n.args]
    if len(needed) > 1:
        raise ValueError(
            f"{name}.forward takes {len(needed)} inputs ({', '.join(map(str, needed))}); only models of one image "
            "input are covered: wrap it in a module that supplies the others"
        )


def first_layer_dimensions(gm: torch.fx.GraphModule) -> str | None:
    """'Conv3d at stem' where the first convolution or pool of the graph is not 2-D, else None."""
    modules = dict(gm.named_modules())
    for n in gm.graph.nodes:
        m = modules.get(str(n.target)) if n.op == "call_module" else None
        if isinstance(m, OTHER_DIMENSIONS):
            return f"{type(m).__name__} at '{n.target}'"
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            return None
    return None


def record_shapes(gm: torch.fx.GraphModule, probe: torch.Tensor, name: str) -> tuple[Any, dict[str, Any]]:
    """Run ``gm`` on ``probe`` without gradients: its output and every node's output shape(s)."""
    shapes: dict[str, Any] = {}

    class _Recorder(torch.fx.Interpreter):
        def run_node(self, n: torch.fx.Node) -> Any:
            try:
                out = super().run_node(n)
            except (RuntimeError, ValueError):
                raise
            except Exception as exc:  # noqa: BLE001 - the model's own code raised: say so, with where
                raise ValueError(
                    f"{name}'s forward raised {type(exc).__name__} at '{n.meta.get('scope') or n.name}': {exc}"
                ) from exc
            if isinstance(out, torch.Tensor):
                shapes[n.name] = out.shape
            elif isinstance(out, (tuple, list)) and any(isinstance(o, torch.Tensor) for o in out):
                shapes[n.name] = tuple(o.shape if isinstance(o, torch.Tensor) else None for o in out)
            return out

    hw = tuple(probe.shape[-2:])
    try:
        with torch.no_grad():
            return _Recorder(gm).run(probe), shapes
    except RuntimeError as exc:
        other = first_layer_dimensions(gm)
        if other is not None:
            raise ValueError(f"{name} starts with a {other}: only 2-D image networks are covered") from exc
        raise ValueError(f"a {hw[0]}x{hw[1]} input is too small or malformed for {name}: {exc}") from exc


__all__ = ["check_inputs", "record_shapes", "first_layer_dimensions", "OTHER_DIMENSIONS"]
