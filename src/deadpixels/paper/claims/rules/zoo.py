"""Chapter 6's row beyond the paper: chapter 3's causal claim (odd kernels with even strides make
the checkerboard) tested with the very same rule on one timm model per architecture family."""

from __future__ import annotations

from ...pipeline.results import Result
from ..judging.engine import Need, claim
from .structure import CAUSE_RULE, odd_even_parts


@claim(
    "cause-odd-even-timm",
    "06_census",
    "Fig. 2",
    "The cause is odd kernels with even stride, on one timm model per architecture family (architecture only)",
    "odd kernels with stride 2 (ResNets only)",
    "structural",
    CAUSE_RULE,
    (Need("timm_census", "zoo"),),
    command="python -m deadpixels run timm_census --jobs 2",
)
def _cause_timm(r: dict[str, Result]) -> tuple[str, str]:
    return odd_even_parts(r["timm_census"].tables["zoo"])
