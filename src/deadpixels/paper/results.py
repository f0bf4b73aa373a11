"""Cached experiment results with provenance: small CSV/JSON/NPZ files plus ``provenance.json``."""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCALES = ("smoke", "cpu", "paper")


def results_dir() -> Path:
    """``$DEADPIXELS_RESULTS`` or the repository's ``data/results``."""
    env = os.environ.get("DEADPIXELS_RESULTS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data" / "results"


def config_hash(config: dict) -> str:
    """A short, stable hash of a JSON-serialisable config."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(device: str) -> dict[str, Any]:
    """Versions and machine of this run."""
    import matplotlib
    import scipy
    import torch
    import torchvision

    dev = device
    if device.startswith("cuda") and torch.cuda.is_available():
        dev = f"{device} ({torch.cuda.get_device_name(0)})"
    return {"python": platform.python_version(), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
            "matplotlib": matplotlib.__version__, "platform": platform.platform(), "processor": platform.machine(),
            "cpu_threads": torch.get_num_threads(), "device": dev}


class CacheError(Exception):
    """A cached result is missing, corrupt or made from another config."""


@dataclass
class Result:
    """What an experiment produced: tables (CSV), arrays (one NPZ) and JSON values, plus provenance."""

    experiment: str
    scale: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """One line saying what produced these numbers (shown under every figure)."""
        p = self.provenance
        return (f"{self.experiment} @ {self.scale} scale, data: {p.get('data', '?')}, device: "
                f"{p.get('environment', {}).get('device', '?')}, {p.get('date', '?')[:10]}")

    @property
    def folder(self) -> Path:
        return results_dir() / self.experiment / self.scale


def save(result: Result) -> Path:
    folder = result.folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    files = []
    for name, df in result.tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
        files.append(f"{name}.csv")
    if result.arrays:
        np.savez_compressed(folder / "arrays.npz", **result.arrays)
        files.append("arrays.npz")
    if result.values:
        (folder / "values.json").write_text(json.dumps(result.values, indent=1, default=float))
        files.append("values.json")
    result.provenance["files"] = {f: _sha(folder / f) for f in files}
    (folder / "provenance.json").write_text(json.dumps(result.provenance, indent=1, default=str))
    return folder


def load(experiment: str, scale: str, expected_hash: str | None = None) -> Result:
    """Load a cached result; raise :class:`CacheError` if it is missing, corrupt or stale."""
    folder = results_dir() / experiment / scale
    prov_path = folder / "provenance.json"
    if not prov_path.exists():
        raise CacheError(f"no cached result for {experiment} at {scale} scale ({folder})")
    try:
        prov = json.loads(prov_path.read_text())
    except json.JSONDecodeError as exc:
        raise CacheError(f"corrupt provenance.json in {folder}: {exc}") from exc
    if expected_hash is not None and prov.get("config_hash") != expected_hash:
        raise CacheError(f"cached {experiment}/{scale} was made from config {prov.get('config_hash')}, "
                         f"the current config is {expected_hash}")
    files = prov.get("files", {})
    for name, digest in files.items():
        path = folder / name
        if not path.exists() or _sha(path) != digest:
            raise CacheError(f"cached file {path} is missing or does not match its recorded checksum")
    res = Result(experiment, scale, provenance=prov)
    for name in files:
        path = folder / name
        if name.endswith(".csv"):
            res.tables[name[:-4]] = pd.read_csv(path)
        elif name == "arrays.npz":
            with np.load(path) as z:
                res.arrays = {k: z[k] for k in z.files}
        elif name == "values.json":
            res.values = json.loads(path.read_text())
    return res


def run_and_save(experiment: Any, scale: str, device: str = "cpu", progress: bool = True) -> Result:
    """Run ``experiment`` at ``scale`` and write its results and provenance."""
    config = experiment.config(scale)
    start = time.time()
    out = experiment.run(config, device=device, progress=progress)
    res = Result(experiment.name, scale)
    for name, value in out.items():
        if isinstance(value, pd.DataFrame):
            res.tables[name] = value
        elif isinstance(value, np.ndarray):
            res.arrays[name] = value
        else:
            res.values[name] = value
    res.provenance = {
        "experiment": experiment.name, "chapter": experiment.chapter, "scale": scale, "config": config,
        "config_hash": config_hash(config), "seed": config.get("seed"), "data": config.get("data"),
        "environment": environment(device), "git_commit": _git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - start, 2),
    }
    save(res)
    return load(experiment.name, scale)


def load_or_run(experiment: Any, scale: str = "cpu", device: str = "cpu", progress: bool = True,
                force: bool = False) -> Result:
    """The cached result when its config hash matches the current config; otherwise run it.
    A corrupt or stale cache is reported (a warning) and recomputed, never silently used."""
    from .experiments import get_experiment

    experiment = get_experiment(experiment) if isinstance(experiment, str) else experiment
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; available: {SCALES}")
    if not force:
        try:
            return load(experiment.name, scale, config_hash(experiment.config(scale)))
        except CacheError as exc:
            if (results_dir() / experiment.name / scale).exists():
                warnings.warn(f"recomputing: {exc}", stacklevel=2)
    return run_and_save(experiment, scale, device, progress)
