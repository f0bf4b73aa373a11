"""timm's model zoo, the CNNs people use: one randomly initialised model per architecture family,
from the list this repository keeps (``timm_families.csv``), and any timm model by name for
``python -m deadpixels check timm:NAME``. timm is optional (``pip install deadpixels[timm]``)."""

from __future__ import annotations

import csv
import difflib
import warnings
from pathlib import Path

from torch import nn

from .models import portable_init

#: The pinned timm version the census's cached result was computed with.
TIMM_VERSION = "1.0.31"
FAMILIES_FILE = Path(__file__).with_name("timm_families.csv")


def _timm():  # noqa: ANN202 - the module, imported on demand
    try:
        import timm
    except ImportError:
        raise ValueError(
            "timm is not installed; the timm census and check timm:NAME need it: "
            f"pip install 'deadpixels[timm]' (timm=={TIMM_VERSION})"
        ) from None
    return timm


def timm_families() -> tuple[tuple[str, str], ...]:
    """``(family, model name)`` for every family of the list, in its order."""
    with FAMILIES_FILE.open(newline="") as f:
        return tuple((row["family"], row["model"]) for row in csv.DictReader(f))


def timm_model(name: str, seed: int = 0) -> nn.Module:
    """A randomly initialised timm model by name, in eval mode (no weights are downloaded), float32,
    initialised from ``seed`` the same way on every CPU (:func:`~.models.portable_init`): the ERF of a
    model analysed from its module tree depends on its random weights."""
    timm = _timm()
    names = timm.list_models()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown timm model {name!r}{hint} (timm.list_models() has {len(names)})")
    with warnings.catch_warnings(), portable_init(seed):
        warnings.simplefilter("ignore")
        model = timm.create_model(name, pretrained=False)
    return model.float().eval()


def timm_input_size(model: nn.Module, default: int = 224) -> int:
    """The input side a timm model declares (its ``pretrained_cfg``), else ``default``."""
    cfg = getattr(model, "pretrained_cfg", None) or {}
    size = cfg.get("input_size")
    return int(size[-1]) if isinstance(size, (tuple, list)) and len(size) == 3 else default


def timm_version() -> str | None:
    """The installed timm version, None where timm is missing."""
    try:
        return _timm().__version__
    except ValueError:
        return None


__all__ = ["TIMM_VERSION", "timm_families", "timm_model", "timm_input_size", "timm_version"]
