"""What the claims of several chapters share: the model lists, the significance level and ERF-table helpers."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ....fitting import mean_sigma
from ...lab.models import RESNETS
from ...lab.reference import TABLE1
from ...pipeline.results import Result

#: The nine ResNets of Tables 1 and 2.
NINE = tuple(RESNETS)
#: The significance level of every test in the rules.
ALPHA = 0.05


def weighted_erf(erf: pd.DataFrame) -> pd.DataFrame:
    """The rows of an ERF table measured with weights (trained or random), not the structural ones."""
    return erf[erf["kind"] != "structural"]


def final_stage(erf_trained: Result) -> pd.DataFrame:
    """Per Lite model and ERF kind: the final-stage ERF row (with its bootstrap CIs) joined with the
    model's TRF, published top-1 and final-stage name, in the experiment's model order."""
    e, m = erf_trained.tables["erf"], erf_trained.tables["models"]
    d = e.merge(m, on="model")
    d = d[d["target"] == d["final_stage"]]
    order = {name: i for i, name in enumerate(m["model"])}
    return d.sort_values("model", key=lambda col: col.map(order), kind="stable").reset_index(drop=True)


def paper_sigma(model: str) -> float:
    """The paper's Table 1 mean sigma of ``model``."""
    return mean_sigma(TABLE1[model])


@lru_cache(maxsize=8)
def lite_depth(name: str) -> int:
    """Number of MBConv blocks of an EfficientNet-Lite (its depth, read from the architecture)."""
    from ...lab.efficientnet import build_lite

    return len(build_lite(name)._blocks)
