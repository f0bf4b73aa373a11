"""The claims engine: a registry of claims, each with the paper's value, a rule fixed in code, the
results it needs, and a function that computes our value and the verdict from cached results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ...experiments import get_experiment
from ...pipeline.collect import is_partial, partial_note
from ...pipeline.results import CorruptResult, MissingResult, Result, StaleConfig, load
from .outcome import Outcome
from .verdicts import INCONCLUSIVE, LARGER, NOT, NOT_RUN, NOT_TESTABLE, PARTIAL, REPRODUCED, SMALLER, VERDICTS

#: How directly the evidence bears on the claim, strongest first: ``exact`` (an arithmetic identity,
#: checked in float64), ``structural`` (a weight-free measurement of the architecture), the paper's
#: protocol, a reduced form of it (its size is stated with the evidence), trained and untrained
#: proxies, extensions.
EVIDENCE = (
    "exact",
    "structural",
    "paper protocol",
    "reduced protocol",
    "trained proxy",
    "untrained proxy",
    "extension",
)
#: One sentence per evidence level (the glossary and the report show these).
EVIDENCE_MEANING = {
    "exact": "an arithmetic identity, checked in float64 (receptive fields, exact kernel padding, window counts)",
    "structural": "a weight-free measurement of the architecture (the structural ERF)",
    "paper protocol": "the paper's procedure at its order of magnitude (steps, data, models); no row has it yet",
    "reduced protocol": "the paper's procedure, reduced: an ImageNet-trained EfficientNet-Lite0 fine-tuned with the "
    "paper's SGD recipe, but far fewer steps, an embedded task and smaller images; its size and which parts match "
    "the paper's are stated with each claim",
    "trained proxy": "trained, but by another protocol or on a from-scratch model",
    "untrained proxy": "random weights: context, never a reproduction of a claim about trained networks",
    "extension": "beyond the paper",
}


@dataclass(frozen=True)
class Need:
    """A claim needs rows of ``table`` of ``experiment`` whose ``column`` takes each of ``values``
    (``values=()``: only the table). A smaller scale that lacks them is "not run at this scale"."""

    experiment: str
    table: str
    column: str = ""
    values: tuple = ()


@dataclass(frozen=True)
class Claim:
    """One claim: what the paper says (``paper``, from its ``paper_ref`` table or figure), the rule
    that judges it (fixed in code; changes are logged in :mod:`.revisions`), the evidence level of
    the results it reads, and the function computing our value and the verdict."""

    claim_id: str
    chapter: str
    paper_ref: str
    statement: str
    paper: str
    evidence: str
    rule: str
    needs: tuple[Need, ...]
    optional: tuple[str, ...]  # experiments used where cached, never required
    evaluate: Callable[[dict[str, Result]], Outcome]
    command: str = ""  # what computes the missing results, where they are missing
    scale: str | None = None  # the scale of the results it reads (None: the table's scale)
    protocol: Callable[[dict[str, Result]], str] | None = None  # the evidence's protocol and size

    @property
    def experiments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.experiment for n in self.needs))


CLAIMS: list[Claim] = []


def claim(
    claim_id: str,
    chapter: str,
    paper_ref: str,
    statement: str,
    paper: str,
    evidence: str,
    rule: str,
    needs: tuple[Need, ...],
    optional: tuple[str, ...] = (),
    command: str = "",
    scale: str | None = None,
    protocol: Callable[[dict[str, Result]], str] | None = None,
) -> Callable:
    """Register the decorated function as the evaluation of a claim."""
    if evidence not in EVIDENCE:
        raise ValueError(f"claim {claim_id}: evidence must be one of {EVIDENCE}; got {evidence!r}")

    def wrap(fn: Callable[[dict[str, Result]], Outcome]) -> Callable:
        CLAIMS.append(
            Claim(
                claim_id,
                chapter,
                paper_ref,
                statement,
                paper,
                evidence,
                rule,
                needs,
                optional,
                fn,
                command,
                scale,
                protocol,
            )
        )
        return fn

    return wrap


def load_current(name: str, scale: str) -> Result | None:
    """The current cached result of experiment ``name`` at ``scale``, or None (missing, stale, no such
    scale). A corrupt result raises :class:`CorruptResult`: corrupt is not missing, and a verdict
    must never quietly degrade to "not run" because a file was damaged."""
    experiment = get_experiment(name)
    if scale not in experiment.configs:  # the experiment has no such scale
        return None
    try:
        return load(experiment, scale)
    except (MissingResult, StaleConfig):  # not cached, or cached for another config
        return None
    except CorruptResult:
        raise
    except ValueError as exc:  # a file that does not parse (pandas' EmptyDataError is a ValueError)
        raise CorruptResult(f"{name} at {scale} scale is damaged ({type(exc).__name__}: {exc}); rerun it") from exc


def missing(c: Claim, results: dict[str, Result]) -> str | None:
    """What the claim needs that the results lack, or None."""
    for need in c.needs:
        res = results.get(need.experiment)
        if res is None:
            return f"no current result of {need.experiment}"
        table = res.tables.get(need.table)
        if table is None:
            return f"{need.experiment} has no table {need.table}"
        if need.column and need.column not in table:
            return f"{need.experiment}'s table {need.table} has no column {need.column}"
        if need.column:
            absent = [v for v in need.values if v not in set(table[need.column])]
            if absent:
                return f"{need.experiment} at this scale lacks {need.column} {', '.join(map(str, absent))}"
    return None


def evaluate(c: Claim, results: dict[str, Result]) -> Outcome:
    """Our value, the verdict and the contrasts behind it; "not run at this scale" where a needed
    result is missing. Any error inside the rule propagates: a bug is never reported as a missing
    result. A rule may return an :class:`~.outcome.Outcome` or a plain ``(ours, verdict)``."""
    why = missing(c, results)
    if why is not None:
        return Outcome(why + (f"; run: {c.command}" if c.command else ""), NOT_RUN)
    out = c.evaluate(results)
    if not isinstance(out, Outcome):
        out = Outcome(*out)
    notes = [partial_note(results[n]) for n in c.experiments if is_partial(results[n])]
    out = replace(out, ours="; ".join([out.ours, *notes]))
    if out.verdict == NOT_TESTABLE and not out.reason:  # judge() found no CI: fewer than two pairs
        if not any(np.isfinite(k.lo) and np.isfinite(k.hi) for k in out.contrasts):
            out = replace(out, reason="too-few-seeds")
    if out.verdict not in VERDICTS:
        raise ValueError(f"claim {c.claim_id} returned the unknown verdict {out.verdict!r}")
    if out.verdict == REPRODUCED and c.evidence == "untrained proxy":
        raise ValueError(f"claim {c.claim_id}: untrained evidence can never reproduce a claim")
    return out


def protocol(c: Claim, results: dict[str, Result]) -> str:
    """The evidence's protocol and size: the claim's own statement of it, or, for a claim on
    from-scratch models, the size of the experiments it reads ("" where nothing is cached)."""
    if missing(c, results) is not None:
        return ""
    if c.protocol is not None:
        return c.protocol(results)
    from .contrasts import erf_size, scratch_size  # helpers of the rules, imported where they are needed

    sizes = {"classification": scratch_size, "imbalance_archs": scratch_size, "micro_object": scratch_size}
    sizes["erf_trained"] = erf_size
    return "; ".join(sizes[n](results[n]) for n in c.experiments if n in sizes)


__all__ = [
    "INCONCLUSIVE",
    "NOT_TESTABLE",
    "EVIDENCE",
    "EVIDENCE_MEANING",
    "CLAIMS",
    "Claim",
    "Need",
    "claim",
    "evaluate",
    "Outcome",
    "missing",
    "protocol",
    "load_current",
    "VERDICTS",
    "REPRODUCED",
    "PARTIAL",
    "SMALLER",
    "LARGER",
    "NOT",
    "NOT_RUN",
]
