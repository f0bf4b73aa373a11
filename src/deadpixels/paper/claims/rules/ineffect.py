"""The kernel-padding claims where KP is in effect from the first step on the pretrained network
(``kp_ineffect``: each pretrained odd kernel spread over its placements in the grown grid, so that
window coverage is uniform before any training; :func:`deadpixels.kernel_padding.kernel_pad`,
``init="spread"``). Each ``-ineffect`` row applies the rule of the paper's zero-init row (registered
in :mod:`.finetuned` and :mod:`.finetuned_erf`) unchanged, with the spread KP in KP's place and, for
the smoother claim, kp_finetune's noise-training and BlurPool runs of the same seeds (same task,
same data order) as comparators. They sit beside the zero-init rows; they do not replace them.
Registered on 2026-12-07 (issue #40) before any kp_ineffect result existed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from ...pipeline.results import Result
from ..judging.engine import CLAIMS, Need, claim
from ..judging.outcome import Outcome
from . import finetuned_erf  # noqa: F401  (registers table5-std, theorem1, translation first)
from .finetuned import protocol

#: The zero-init rows whose rules the in-effect rows apply.
BASES = ("kp-lowers-l1", "kp-lattice", "kp-smoother", "kp-accuracy", "table5-std", "theorem1", "translation")
COMPARATORS = ("noise", "blurpool")
COMMAND = "python -m deadpixels run kp_ineffect --jobs 2  (about 15 min on 2 CPU cores)"


def as_finetune(r: dict[str, Result]) -> dict[str, Result]:
    """kp_ineffect in kp_finetune's shape: the spread KP named ``kp``, and kp_finetune's comparators
    of the same seeds added, so that the zero-init rows' rules read it unchanged."""
    inef, ft = r["kp_ineffect"], r["kp_finetune"]

    def renamed(t: pd.DataFrame) -> pd.DataFrame:
        return t.replace({"method": {"kp_spread": "kp"}}) if "method" in t else t

    tables = {k: renamed(t) for k, t in inef.tables.items()}
    seeds = set(tables["runs"]["seed"])
    others = ft.tables["runs"][ft.tables["runs"]["method"].isin(COMPARATORS) & ft.tables["runs"]["seed"].isin(seeds)]
    tables["runs"] = pd.concat([tables["runs"], others], ignore_index=True)
    return {"kp_finetune": replace(inef, tables=tables)}


def in_effect(rule: Callable[[dict[str, Result]], Outcome]) -> Callable[[dict[str, Result]], Outcome]:
    """The zero-init row's ``rule`` applied to :func:`as_finetune` of the results."""

    def judged(r: dict[str, Result]) -> Outcome:
        return rule(as_finetune(r))

    return judged


def _protocol(r: dict[str, Result]) -> str:
    return protocol(as_finetune(r)) + "; KP in effect from the first step (pretrained kernels spread, not zero-padded)"


def _register() -> None:
    base = {c.claim_id: c for c in CLAIMS}
    for cid in BASES:
        b = base[cid]
        statement = b.statement.replace(" (reduced protocol)", "") + " (KP in effect from the first step)"
        rule = (
            f"as {cid}, with the spread KP (each pretrained kernel averaged over its placements, uniform window "
            f"coverage from step 0) in KP's place, kp_finetune's noise and BlurPool runs of the same seeds as "
            f"comparators; registered 2026-12-07 before its data. {cid}'s rule: {b.rule}"
        )
        needs = (
            Need("kp_ineffect", "runs", "method", ("vanilla", "kp_spread")),
            Need("kp_finetune", "runs", "method", COMPARATORS),
        )
        claim(
            f"{cid}-ineffect",
            b.chapter,
            b.paper_ref,
            statement,
            b.paper,
            "reduced protocol",
            rule,
            needs,
            command=COMMAND,
            protocol=_protocol,
        )(in_effect(b.evaluate))


_register()

__all__ = ["BASES", "COMPARATORS", "as_finetune", "in_effect"]
