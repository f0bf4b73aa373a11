"""Rule fingerprints: a hash of everything that decides a claim's verdict, so that a rule cannot
change unnoticed. The fingerprint covers the rule's text and the paper's value, the source of the
function that judges it (docstrings and formatting aside), and, recursively, of every claims-layer
function it calls and the value of every constant it reads (thresholds, regions, margins).

:mod:`.revisions` records the fingerprint of every rule; a test fails when a rule's fingerprint
differs from its latest record, until a revision entry with the new fingerprint explains the change.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator

from .engine import CLAIMS, Claim

#: Functions and constants from these packages belong to the rules; the rest (numpy, scipy) is the library.
RULE_PACKAGES = ("deadpixels.paper.claims", "deadpixels.paper.lab.reference")


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
    return getattr(obj, "__module__", "").startswith(RULE_PACKAGES)


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
    namespace = fn.__globals__
    for name in sorted(set(_names(fn.__code__))):
        obj = namespace.get(name)
        if isinstance(obj, types.FunctionType) and _ours(obj):
            yield from _parts(obj, seen)
        elif isinstance(obj, type) and _ours(obj):
            yield from _class(obj, seen)
        elif isinstance(obj, (int, float, tuple)) or (_ours(type(obj)) and not callable(obj)):
            yield f"{name}={obj!r}"
            if _ours(type(obj)):
                yield from _class(type(obj), seen)


def fingerprint(claim: Claim) -> str:
    """12 hex digits that change exactly when what decides ``claim``'s verdict changes."""
    h = hashlib.sha256("\0".join([claim.claim_id, claim.rule, claim.paper]).encode())
    for part in _parts(claim.evaluate, set()):
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:12]


def fingerprints() -> dict[str, str]:
    """The current fingerprint of every registered claim, by id."""
    return {c.claim_id: fingerprint(c) for c in CLAIMS}


__all__ = ["fingerprint", "fingerprints", "RULE_PACKAGES"]
