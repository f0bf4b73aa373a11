"""Whether a rerun of an experiment keeps the verdicts of the claims it feeds: the check that
``verify`` applies to trained experiments (passed in by the command line, since the pipeline sits
below the claims)."""

from __future__ import annotations

from ..pipeline.experiment import Experiment
from ..pipeline.results import Result
from ..pipeline.verify import Comparison
from .engine import CLAIMS, evaluate, load_current


def compare_verdicts(experiment: Experiment, scale: str, fresh: Result) -> list[Comparison]:
    """For every claim that reads ``experiment``: its verdict on the cached results against its
    verdict with ``fresh`` in their place."""
    out = []
    for c in CLAIMS:
        if experiment.name not in (*c.experiments, *c.optional):
            continue
        base = {n: r for n in (*c.experiments, *c.optional) if (r := load_current(n, scale)) is not None}
        before = evaluate(c, base)[1]
        after = evaluate(c, {**base, experiment.name: fresh})[1]
        out.append(
            Comparison(
                f"verdict {c.claim_id}",
                0.0 if before == after else float("nan"),
                "same verdict",
                before == after,
                f"cached: {before}; rerun: {after}",
            )
        )
    return out


__all__ = ["compare_verdicts"]
