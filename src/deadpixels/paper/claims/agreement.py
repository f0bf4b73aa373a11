"""Whether a rerun of an experiment keeps what the book claims from it: the check that ``verify``
applies to trained experiments (passed in by the command line, since the pipeline sits below the
claims). Float32 training diverges per seed between machines, so per-seed values are reported, not
required to match; what must hold is each claim's verdict, and each contrast's rerun estimate
inside the cached CI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..pipeline.experiment import Experiment
from ..pipeline.results import Result
from ..pipeline.verify import Comparison
from .engine import CLAIMS, evaluate, load_current
from .outcome import Contrast


def _inside(rerun: Contrast, cached: Contrast) -> bool:
    if not (np.isfinite(cached.lo) and np.isfinite(cached.hi)):
        return bool(np.isnan(rerun.estimate) == np.isnan(cached.estimate))
    return bool(cached.lo <= rerun.estimate <= cached.hi)


def compare_verdicts(experiment: Experiment, scale: str, fresh: Result) -> list[Comparison]:
    """For every claim that reads ``experiment``: its verdict on the cached results against its
    verdict with ``fresh`` in their place, and each contrast's rerun estimate against the cached CI."""
    out = []
    for c in CLAIMS:
        if experiment.name not in (*c.experiments, *c.optional) or (c.scale or scale) != scale:
            continue
        base = {n: r for n in (*c.experiments, *c.optional) if (r := load_current(n, scale)) is not None}
        rerun = fresh
        if experiment.name in base and "config" not in fresh.provenance:  # the rerun ran the cached config
            rerun = replace(fresh, provenance={**base[experiment.name].provenance, **fresh.provenance})
        before = evaluate(c, base)
        after = evaluate(c, {**base, experiment.name: rerun})
        same = before.verdict == after.verdict
        out.append(
            Comparison(
                f"verdict {c.claim_id}",
                0.0 if same else float("nan"),
                "same verdict",
                same,
                f"cached: {before.verdict}; rerun: {after.verdict}",
            )
        )
        for cached, rerun in zip(before.contrasts, after.contrasts):
            ok = _inside(rerun, cached)
            out.append(
                Comparison(
                    f"contrast {c.claim_id}: {cached.name}",
                    float(rerun.estimate - cached.estimate),
                    "rerun estimate inside the cached CI",
                    ok,
                    f"cached {cached.shown(cached.estimate)} [{cached.shown(cached.lo)}, {cached.shown(cached.hi)}]; "
                    f"rerun {rerun.shown(rerun.estimate)}",
                )
            )
    return out


__all__ = ["compare_verdicts"]
