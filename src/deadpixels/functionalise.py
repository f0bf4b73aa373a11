"""In-place operations in a traced graph, made explicit.

torch.fx records ``y.clamp_(min=0)`` as a node, but a forward that does not reassign the result
(``y.clamp_(min=0); return conv(y)``) leaves ``conv`` reading the node *before* the write: the
graph's edges say the clamp does not matter, dead-code elimination drops it, and every rule that
follows edges (the receptive field, the structural ERF, a truncated copy) silently computes another
function. :func:`functionalise` makes the graph say what runs: every later reader of a written
tensor reads the in-place node instead, which returns that same tensor. Where the written tensor
shares memory with another node's output (a view, a slice, an identity layer), the write reaches
values this rewrite cannot follow, and the graph is refused with the operation named.
"""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._pytree import tree_flatten

from .utils import evaluating, placement

#: Python's augmented assignments: in place on tensors (``y += z`` writes into ``y``).
INPLACE_OPERATORS = {
    operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv, operator.imod,
    operator.ipow, operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift,
}  # fmt: skip
#: Methods and functions whose output is a view of (or the same tensor as) their first input; a
#: write into one of them writes into the other.
VIEW_METHODS = {
    "view", "view_as", "reshape", "reshape_as", "transpose", "permute", "t", "squeeze", "unsqueeze", "expand",
    "expand_as", "narrow", "flatten", "unflatten", "chunk", "split", "unbind", "select", "movedim", "detach",
    "contiguous", "to", "float", "double", "half", "type_as", "as_strided", "diagonal", "unfold", "swapaxes",
}  # fmt: skip
VIEW_FUNCTIONS = {
    operator.getitem, torch.transpose, torch.permute, torch.reshape, torch.flatten, torch.squeeze, torch.unsqueeze,
    torch.narrow, torch.chunk, torch.split, torch.select, torch.movedim, torch.t, torch.unbind, torch.detach,
    F.dropout,
}  # fmt: skip
#: Tensor attributes that are views of the tensor (``x.T``); ``x.shape`` and the like are numbers.
VIEW_ATTRIBUTES = {"T", "mT", "H", "mH", "data", "real"}
#: Leaf modules that may return their input itself (dropout in eval mode, the identity, flatten).
VIEW_MODULES: tuple[type[nn.Module], ...] = (nn.Identity, nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Flatten)
#: Methods that only read sizes: their outputs are numbers, whatever ``+=`` does to them.
_SIZE_METHODS = {"size", "dim", "numel", "ndimension", "nelement", "item", "tolist"}


class InPlaceAliasing(ValueError):
    """An in-place operation writes into memory that another node's output shares."""


def _is_number(node: Any) -> bool:
    """Whether a traced value is a Python number (sizes and arithmetic on them), not a tensor."""
    if not isinstance(node, torch.fx.Node):
        return not isinstance(node, torch.Tensor)
    if node.op == "call_method" and node.target in _SIZE_METHODS:
        return True
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] in ("shape", "ndim")
    if node.op == "call_function" and node.target is operator.getitem:
        return _is_number(node.args[0]) or (
            isinstance(node.args[0], torch.fx.Node) and node.args[0].op == "call_function"
            and node.args[0].target is getattr and node.args[0].args[1] == "shape"
        )  # fmt: skip
    if node.op == "call_function" and getattr(node.target, "__module__", "") == "_operator":
        return all(_is_number(a) for a in node.args)
    return False


def written_input(node: torch.fx.Node, modules: dict[str, nn.Module]) -> torch.fx.Node | None:
    """The node whose tensor ``node`` writes into, or None for an operation that writes nothing."""
    first = node.args[0] if node.args else None
    if not isinstance(first, torch.fx.Node):
        return None
    if node.op == "call_method":
        name = str(node.target)
        inplace = name.endswith("_") and not name.startswith("_")
    elif node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        inplace = (
            (node.target in INPLACE_OPERATORS and not _is_number(first))
            or (name.endswith("_") and not name.startswith("_"))
            or node.kwargs.get("inplace") is True
        )
    elif node.op == "call_module":
        inplace = getattr(modules.get(str(node.target)), "inplace", False) is True
    else:
        inplace = False
    return first if inplace else None


def may_alias(node: torch.fx.Node, modules: dict[str, nn.Module]) -> bool:
    """Whether ``node``'s output may share memory with its first input's."""
    if node.op == "call_method":
        return node.target in VIEW_METHODS
    if node.op == "call_function":
        if node.target is getattr:
            return node.args[1] in VIEW_ATTRIBUTES
        return node.target in VIEW_FUNCTIONS and not _is_number(node)
    if node.op == "call_module":
        return isinstance(modules.get(str(node.target)), VIEW_MODULES)
    return False


def _aliases(node: torch.fx.Node, modules: dict[str, nn.Module]) -> set[torch.fx.Node]:
    """Every node whose output may share memory with ``node``'s: up to the tensor that owns the
    memory, then down through every view of it."""
    root = node
    while may_alias(root, modules) and isinstance(root.args[0], torch.fx.Node) and not _is_number(root.args[0]):
        root = root.args[0]
    found, todo = set(), [root]
    while todo:
        n = todo.pop()
        if n in found:
            continue
        found.add(n)
        todo += [u for u in n.users if may_alias(u, modules) and u.args and u.args[0] is n]
    return found


def functionalise(gm: torch.fx.GraphModule) -> torch.fx.GraphModule:
    """Rewrite ``gm`` (in place) so that every reader of a tensor after an in-place write reads the
    writing node; refuse (:class:`InPlaceAliasing`) a write into memory that another node's output
    shares and that is read after the write. Returns ``gm``."""
    modules = dict(gm.named_modules())
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    changed = False
    for node in list(gm.graph.nodes):
        target = written_input(node, modules)
        if target is None:
            continue
        later = [u for u in target.users if u is not node and order[u] > order[node]]
        # views made after the write read the written value (their input is redirected below); views
        # made before it share the memory and are read stale by the graph
        for other in (a for a in _aliases(target, modules) - {target, node} if order[a] < order[node]):
            readers = [u for u in other.users if order[u] > order[node] and not may_alias(u, modules)]
            if readers:
                what = node.target if node.op != "call_module" else type(modules[str(node.target)]).__name__
                raise InPlaceAliasing(
                    f"the in-place operation {getattr(what, '__name__', what)} at "
                    f"'{node.meta.get('scope') or node.name}' writes into memory that '{other.name}' shares "
                    f"(a view, a slice or an identity layer), which '{readers[0].name}' reads afterwards: a traced "
                    "graph cannot follow that write. Write it out of place (y = y.clamp(...), y = y + z)"
                )
        for user in later:
            user.replace_input_with(target, node)
            changed = True
    if changed:
        gm.graph.lint()
        gm.recompile()
    return gm


def same_output(a: Any, b: Any) -> bool:
    """Whether two outputs (tensors, or tuples, lists and dicts of them) agree to float rounding."""
    leaves_a, spec_a = tree_flatten(a)
    leaves_b, spec_b = tree_flatten(b)
    if spec_a != spec_b:
        return False
    for x, y in zip(leaves_a, leaves_b):
        if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
            y = y.to(device=x.device, dtype=x.dtype)
            if x.shape != y.shape:
                return False
            if x.is_floating_point():
                scale = float(x.detach().abs().max()) if x.numel() else 0.0
                if not torch.allclose(x, y, rtol=1e-4, atol=1e-4 * scale, equal_nan=True):
                    return False
            elif not torch.equal(x, y):
                return False
    return True


#: Exceptions a model's own forward raises for its own reasons (a missing key, a wrong attribute):
#: named as the model's, never reported as an error of this package.
MODEL_ERRORS = (KeyError, AttributeError, TypeError, IndexError, AssertionError, LookupError)


class _Stop(Exception):
    """Raised by a hook to stop a forward pass at the target."""


def run_to(model: nn.Module, x: torch.Tensor, module: nn.Module | None = None) -> Any:
    """``model(x)``, or ``module``'s first output with the forward pass stopped there: nothing the
    model computes after the target can change the target's value or its gradient. Gradients are
    recorded as the caller's context says."""
    captured: list[Any] = []

    def hook(_m: nn.Module, _i: Any, out: Any) -> None:
        captured.append(out)
        raise _Stop

    handle = module.register_forward_hook(hook) if module is not None else None
    try:
        return model(x)
    except _Stop:
        return captured[0]
    finally:
        if handle is not None:
            handle.remove()


def own_output(model: nn.Module, x: torch.Tensor, module: nn.Module | None = None) -> Any:
    """What ``model`` itself computes on ``x`` (eval mode, no gradients): its output, or ``module``'s
    first output. Its own errors are named as such (a RuntimeError as an input it cannot take)."""
    try:
        with torch.no_grad(), evaluating(model):
            return run_to(model, x.to(placement(model)[0]), module)
    except RuntimeError as exc:
        raise ValueError(f"the model cannot take {tuple(x.shape[-2:])} images: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - the model's own code: named as the model's, whatever it raised
        raise ValueError(f"the model's own forward raised {type(exc).__name__}: {exc}") from exc


def check_faithful(model: nn.Module, traced_output: Any, probe: torch.Tensor) -> None:
    """Refuse a traced graph whose output on ``probe`` is not the model's own: torch.fx records
    ``z += w`` as ``z = z + w`` (its proxies have no in-place ``+=``), so a name kept from before
    the write (``a = z; z += w; return conv(a)``) reads the old value in the graph and the new one
    in the model; Python-side state and hooks diverge the same way. Nothing the graph says about
    such a model could be trusted, so nothing is computed from it."""
    if not same_output(own_output(model, probe), traced_output):
        raise ValueError(
            f"the traced graph of {type(model).__name__} does not compute what the model computes on the same "
            "input: an in-place write that torch.fx cannot record (such as 'z += w' where another name still "
            "holds z), or Python-side state. Write the update out of place (z = z + w), or register the layer "
            "that does it with deadpixels.register_layer so that it is traced whole"
        )


def agrees_at_target(fast: nn.Module, model: nn.Module, module: nn.Module | None, x: torch.Tensor) -> bool:
    """Whether a traced, truncated copy (``fast``) computes on ``x`` what ``model`` computes at
    ``module``'s first output (None: at the model's output). :func:`deadpixels.effective_rf` checks
    its fast path on the first image this way and runs the model itself where they differ."""
    own = own_output(model, x, module)
    with torch.no_grad():
        return same_output(fast(x), own)


__all__ = [
    "MODEL_ERRORS",
    "own_output",
    "run_to",
    "agrees_at_target",
    "check_faithful",
    "same_output",
    "functionalise",
    "written_input",
    "may_alias",
    "InPlaceAliasing",
    "INPLACE_OPERATORS",
]
