import os
import warnings

import pytest
import torch
from hypothesis import HealthCheck, settings

warnings.filterwarnings("ignore", category=FutureWarning)
torch.set_num_threads(2)

# Every property test draws the same examples in every run, so that a CI run is reproducible and
# main stays green or red for a reason; DP_HYPOTHESIS_RANDOM=1 draws new ones to explore.
_COMMON = {"database": None, "deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("reproducible", derandomize=True, **_COMMON)
settings.register_profile("explore", derandomize=False, **_COMMON)
settings.load_profile("explore" if os.environ.get("DP_HYPOTHESIS_RANDOM") else "reproducible")


@pytest.fixture
def results_tmp(tmp_path, monkeypatch):
    """Point the results cache at a temporary folder."""
    monkeypatch.setenv("DEADPIXELS_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"
