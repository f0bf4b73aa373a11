import warnings

import pytest
import torch

warnings.filterwarnings("ignore", category=FutureWarning)
torch.set_num_threads(2)


@pytest.fixture
def results_tmp(tmp_path, monkeypatch):
    """Point the results cache at a temporary folder."""
    monkeypatch.setenv("DEADPIXELS_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"
