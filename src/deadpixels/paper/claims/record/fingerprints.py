"""Rule fingerprints: a hash of everything that decides a claim's verdict, so that a rule cannot
change unnoticed. The fingerprint covers the claim's declaration (its rule text, the paper's value,
its evidence level, the results it needs, the experiments it reads where cached, its scale), the
source of the function that judges it (docstrings and formatting aside), and, recursively, of every
function of the package it calls, through ``functools`` wrappers such as ``lru_cache`` (the rules,
the paper's reference tables, the lab's models and the core: ``window_coverage``,
``find_odd_stride_layers`` and ``build_model`` decide verdicts too; only the pipeline that loads
results, the book, the CLI and the experiments are left out), and the value of every constant it
reads, of any type: numbers, strings, tuples, dicts, lists, sets, arrays and pandas tables (the
paper's reference tables), thresholds, regions and margins.

:mod:`.revisions` records the fingerprint of every rule; a test fails when a rule's fingerprint
differs from its latest record, until a revision entry with the new fingerprint explains the change.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import re
import textwrap
import types
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from ..judging.engine import CLAIMS, Claim

#: What a change of this module's definition is called in the revision log (entries name it).
DEFINITION = 3

#: Functions and constants from this package belong to the rules, transitively (DEFINITION 3: the
#: core and the lab too; before, only the claims and the reference tables)...
RULE_PACKAGES = ("deadpixels",)
#: ...except these layers, which load and show results but decide no verdict; the rest (numpy, scipy,
#: torch) is the library.
NOT_RULES = tuple(f"deadpixels.paper.{layer}" for layer in ("pipeline", "book", "cli", "experiments"))


def _normalised(fn: Callable) -> str:
    """The function's source as an AST dump, without docstrings: formatting and comments do not count."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False)


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _ours(obj: object) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.startswith(RULE_PACKAGES) and not module.startswith(NOT_RULES)


def _unwrapped(obj: object) -> object:
    """The function behind ``functools`` wrappers (``lru_cache``, ``wraps``) and ``partial``."""
    while True:
        if isinstance(obj, functools.partial):
            obj = obj.func
        elif hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__  # type: ignore[attr-defined]
        else:
            return obj


#: Constant types whose value is part of a rule, whatever module they come from.
CONSTANTS = (
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    tuple,
    list,
    dict,
    set,
    frozenset,
    type(None),
    np.ndarray,
    np.generic,
    pd.DataFrame,
    pd.Series,
    pd.Index,
)


def value_text(obj: object) -> str:
    """A canonical text of a constant's value: equal values give equal texts (dicts and sets sorted,
    tables with their index, columns, dtypes and values)."""
    if isinstance(obj, pd.DataFrame):
        return "DataFrame" + json.dumps(
            {
                "index": [str(i) for i in obj.index],
                "columns": [str(c) for c in obj.columns],
                "dtypes": [str(d) for d in obj.dtypes],
                "values": obj.astype(object).to_numpy().tolist(),
            },
            default=str,
        )
    if isinstance(obj, (pd.Series, pd.Index)):
        return type(obj).__name__ + value_text(obj.to_frame() if isinstance(obj, pd.Series) else pd.DataFrame(obj))
    if isinstance(obj, np.ndarray):
        return f"ndarray{obj.dtype}{obj.shape}{obj.tolist()!r}"
    if isinstance(obj, dict):
        items = sorted(obj.items(), key=lambda kv: repr(kv[0]))
        return "{" + ", ".join(f"{value_text(k)}: {value_text(v)}" for k, v in items) + "}"
    if isinstance(obj, (set, frozenset)):
        return type(obj).__name__ + "{" + ", ".join(sorted(value_text(v) for v in obj)) + "}"
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__ + "[" + ", ".join(value_text(v) for v in obj) + "]"
    if isinstance(obj, types.FunctionType):  # its repr holds its address, which differs per process
        return f"<function {obj.__module__}.{obj.__qualname__}>"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(obj))  # torch's built-ins name their type's address


def _class(cls: type, seen: set[int]) -> Iterator[str]:
    """A rules class (``Effect``, ``Region``): its source, so that a changed method counts."""
    if id(cls) not in seen:
        seen.add(id(cls))
        yield _normalised(cls)


def _parts(fn: Callable, seen: set[int]) -> Iterator[str]:
    """What decides ``fn``'s result: its source, and what it reads by name, recursively (functions,
    the classes of the rules and of their constants, and the constants' values)."""
    if id(fn) in seen:
        return
    seen.add(id(fn))
    yield _normalised(fn)
    for cell in fn.__closure__ or ():  # a rule built by a factory reads its arguments from a closure
        try:
            obj = _unwrapped(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
        if isinstance(obj, types.FunctionType) and _ours(obj):
            yield from _parts(obj, seen)
        elif isinstance(obj, CONSTANTS):
            yield f"<closure>={value_text(obj)}"
    namespace = fn.__globals__
    for name in sorted(set(_names(fn.__code__))):
        if name not in namespace:
            continue
        obj = _unwrapped(namespace[name])
        if isinstance(obj, types.FunctionType) and _ours(obj):
            yield from _parts(obj, seen)
        elif isinstance(obj, type) and _ours(obj):
            yield from _class(obj, seen)
        elif isinstance(obj, CONSTANTS):
            yield f"{name}={value_text(obj)}"
        elif _ours(type(obj)) and not callable(obj):
            yield f"{name}={obj!r}"
            yield from _class(type(obj), seen)


def declaration(claim: Claim) -> str:
    """The claim's declared facts that decide how it is judged and labelled."""
    needs = [(n.experiment, n.table, n.column, value_text(n.values)) for n in claim.needs]
    return "\0".join(
        [
            claim.claim_id,
            claim.rule,
            claim.paper,
            claim.evidence,
            value_text(needs),
            value_text(claim.optional),
            str(claim.scale),
        ]
    )


def fingerprint(claim: Claim) -> str:
    """12 hex digits that change exactly when what decides ``claim``'s verdict changes."""
    h = hashlib.sha256(declaration(claim).encode())
    functions = [claim.evaluate] + ([claim.protocol] if claim.protocol is not None else [])
    seen: set[int] = set()
    for part in (p for fn in functions for p in _parts(_unwrapped(fn), seen)):  # type: ignore[arg-type]
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:12]


def fingerprints() -> dict[str, str]:
    """The current fingerprint of every registered claim, by id."""
    return {c.claim_id: fingerprint(c) for c in CLAIMS}


__all__ = ["fingerprint", "fingerprints", "declaration", "value_text", "RULE_PACKAGES", "CONSTANTS", "DEFINITION"]
