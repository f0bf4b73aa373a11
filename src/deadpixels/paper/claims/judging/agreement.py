"""Whether a rerun of an experiment keeps what the book claims from it: the check that ``verify``
applies to trained experiments (passed in by the command line, since the pipeline sits below the
claims). Float32 training diverges per seed between machines, so per-seed values are reported, not
required to match; what must hold is each claim's verdict, and each contrast's rerun agreeing with
the cached one: a two-sided z test of their difference with both uncertainties (each standard error
from its own CI), at the 5% level. ("The rerun estimate inside the cached CI", the check before,
ignores the rerun's own uncertainty: with correct CIs it fails about 17% of the time when nothing
moved, and it misses a real shift whose rerun CI is wide.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats

from ...pipeline.experiment import Experiment
from ...pipeline.results import Result
from ...pipeline.verify import Comparison
from .engine import CLAIMS, evaluate, load_current
from .outcome import Contrast

#: The level of the difference test: a rerun disagrees when p < ALPHA.
ALPHA = 0.05


def standard_error(c: Contrast) -> float:
    """A contrast's standard error from its CI: half-width over the t quantile of its level (n - 1 df)."""
    q = stats.t.ppf(1 - (1 - c.level) / 2, max(c.n - 1, 1))
    return float((c.hi - c.lo) / (2 * q))


def difference_test(rerun: Contrast, cached: Contrast) -> tuple[float, float]:
    """z and two-sided p of rerun minus cached, with both uncertainties (NaN where either has no CI)."""
    se = np.hypot(standard_error(rerun), standard_error(cached))
    if not (np.isfinite(se) and se > 0):
        return float("nan"), float("nan")
    z = float((rerun.estimate - cached.estimate) / se)
    return z, float(2 * stats.norm.sf(abs(z)))


def _agree(rerun: Contrast, cached: Contrast) -> tuple[bool, str]:
    z, p = difference_test(rerun, cached)
    if not np.isfinite(p):
        return bool(np.isnan(rerun.estimate) == np.isnan(cached.estimate)), "no CI to compare"
    return p >= ALPHA, f"difference z = {z:+.2f}, p = {p:.3f}"


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
            ok, test = _agree(rerun, cached)
            out.append(
                Comparison(
                    f"contrast {c.claim_id}: {cached.name}",
                    float(rerun.estimate - cached.estimate),
                    f"rerun - cached: two-sided z test, p >= {ALPHA:g}",
                    ok,
                    f"cached {cached.shown(cached.estimate)} [{cached.shown(cached.lo)}, {cached.shown(cached.hi)}]; "
                    f"rerun {rerun.shown(rerun.estimate)} [{rerun.shown(rerun.lo)}, {rerun.shown(rerun.hi)}]; {test}",
                )
            )
    return out


__all__ = ["ALPHA", "standard_error", "difference_test", "compare_verdicts"]
