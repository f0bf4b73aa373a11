"""The facts the prose quotes, computed: the scales' sizes from the experiments' configs, run times
from the cached results' provenance, and the paper's protocol from its reference tables. A page glues
them (:func:`glue_facts`) instead of typing a number, so that a rerun with another config or another
machine never leaves a stale number in the text (tests/test_prose_numbers.py)."""

from __future__ import annotations

from typing import Any

from ..claims.judging.contrasts import GATE_POINTS
from ..claims.rules.finetuned import PAPER_STEPS
from ..experiments import get_experiment
from ..pipeline.experiment import config_dict
from ..pipeline.results import CacheError, load


def steps(c: dict[str, Any]) -> int:
    """SGD steps of a fine-tuning config: epochs times batches per epoch."""
    return int(c["epochs"] * -(-c["n_train"] // c["batch_size"]))


def minutes(name: str, scale: str = "cpu") -> float | None:
    """How long the cached result of ``name`` at ``scale`` took, from its provenance (None: not cached)."""
    try:
        wall = load(get_experiment(name), scale).provenance.get("wall_time_s")
    except (CacheError, ValueError):
        return None
    return None if wall is None else round(float(wall) / 60, 1)


def config(name: str, scale: str = "cpu") -> dict[str, Any]:
    """The config the cached result of ``name`` at ``scale`` was computed with (from its provenance)."""
    return dict(load(get_experiment(name), scale).provenance["config"])


def config_dict_of(name: str, scale: str = "cpu") -> dict[str, Any]:
    """The config ``name`` runs with at ``scale`` (before any result exists), as a plain dict."""
    return config_dict(get_experiment(name).config(scale))


def _threads() -> int | str:
    """The CPU threads the cached cpu results were computed with (from their provenance)."""
    try:
        return int(load(get_experiment("kp_finetune"), "cpu").provenance["environment"]["cpu_threads"])
    except (CacheError, ValueError, KeyError):
        return "?"


def scale_facts() -> dict[str, Any]:
    """The sizes of the cpu and gpu scales of kp_finetune and the longest cached cpu run."""
    ft = get_experiment("kp_finetune")
    cpu, gpu = config_dict(ft.config("cpu")), config_dict(ft.config("gpu"))
    runs = {n: m for n in ("trf", "erf_resnets", "erf_trained", "kp_exact", "classification", "imbalance_archs",
                           "micro_object", "census") if (m := minutes(n)) is not None}
    return {
        "cpu_steps": steps(cpu),
        "cpu_px": cpu["size"],
        "cpu_seeds": len(cpu["seeds"]),
        "gpu_steps": steps(gpu),
        "gpu_px": gpu["size"],
        "gpu_seeds": len(gpu["seeds"]),
        "gpu_epochs": gpu["epochs"],
        "band_lo": round(100 * gpu["accuracy_band"][0]),
        "band_hi": round(100 * gpu["accuracy_band"][1]),
        "paper_steps": PAPER_STEPS,
        "longest_cpu_min": max(runs.values()) if runs else float("nan"),
        "longest_cpu_name": max(runs, key=runs.get) if runs else "none cached",
        "kp_finetune_cpu_min": minutes("kp_finetune") or float("nan"),
        "gate_points": GATE_POINTS,
        "cpu_threads": _threads(),
    }


def glue_facts(prefix: str = "f") -> dict[str, Any]:
    """Glue every fact of :func:`scale_facts` as ``{prefix}_{name}`` and return them."""
    from . import glue

    facts = scale_facts()
    for k, v in facts.items():
        glue(f"{prefix}_{k}", v)
    return facts


__all__ = ["steps", "minutes", "config", "config_dict_of", "scale_facts", "glue_facts"]
