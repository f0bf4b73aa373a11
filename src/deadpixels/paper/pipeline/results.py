"""The results cache: each experiment's tables (CSV), arrays (one NPZ) and values (JSON) with
``provenance.json``, in ``data/results/<experiment>/<scale>/``. Writes are atomic, loads check
every file's checksum and the config hash, and nothing here ever runs an experiment by itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .experiment import SCALES, Experiment, config_dict
from .provenance import environment, git_state, source_hash


def results_dir() -> Path:
    """``$DEADPIXELS_RESULTS`` or the repository's ``data/results``."""
    env = os.environ.get("DEADPIXELS_RESULTS")
    return Path(env) if env else Path(__file__).resolve().parents[4] / "data" / "results"


def config_hash(config: Any) -> str:
    """A short, stable hash of a config dataclass (or of its dict)."""
    d = config if isinstance(config, dict) else config_dict(config)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def result_folder(experiment: str, scale: str, config: Any = None, canonical: Any = None) -> Path:
    """``<results>/<experiment>/<scale>`` for the scale's own config; a config that differs from it
    (an override such as ``--seeds``) gets ``<scale>+<its hash>`` so it never replaces the canonical result."""
    name = scale if config is None or canonical is None or config == canonical else f"{scale}+{config_hash(config)[:8]}"
    return results_dir() / experiment / name


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class CacheError(Exception):
    """A cached result is missing, corrupt or made from another config."""


@dataclass
class Result:
    """What an experiment produced: tables, arrays and JSON values, with their provenance."""

    experiment: str
    scale: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    @classmethod
    def from_output(cls, experiment: str, scale: str, out: dict[str, Any]) -> Result:
        """Sort what an experiment's ``run`` returned into tables, arrays and JSON values."""
        res = cls(experiment, scale)
        for name, value in out.items():
            if isinstance(value, pd.DataFrame):
                res.tables[name] = value
            elif isinstance(value, np.ndarray):
                res.arrays[name] = value
            else:
                res.values[name] = value
        return res

    @property
    def label(self) -> str:
        """One line saying what produced these numbers (for figure captions)."""
        p = self.provenance
        return (
            f"{self.experiment} @ {self.scale} scale, data: {p.get('data', '?')}, device: "
            f"{p.get('environment', {}).get('device', '?')}, {p.get('date', '?')[:10]}"
        )


def save(result: Result, folder: Path) -> Path:
    """Write ``result`` to ``folder`` atomically: into a temporary sibling first, then swapped in,
    so an interruption at any point leaves the previous result intact."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        files = []
        for name, df in result.tables.items():
            df.to_csv(tmp / f"{name}.csv", index=False)
            files.append(f"{name}.csv")
        if result.arrays:
            np.savez_compressed(tmp / "arrays.npz", **result.arrays)
            files.append("arrays.npz")
        if result.values:
            (tmp / "values.json").write_text(json.dumps(result.values, indent=1, default=float))
            files.append("values.json")
        result.provenance["files"] = {f: _sha(tmp / f) for f in files}
        (tmp / "provenance.json").write_text(json.dumps(result.provenance, indent=1, default=str))
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.folder = folder
    return folder


def load_folder(folder: Path, expected_hash: str | None = None) -> Result:
    """Load the result in ``folder``; :class:`CacheError` if missing, corrupt or from another config."""
    prov_path = folder / "provenance.json"
    if not prov_path.exists():
        raise CacheError(f"no cached result in {folder}")
    try:
        prov = json.loads(prov_path.read_text())
    except json.JSONDecodeError as exc:
        raise CacheError(f"corrupt provenance.json in {folder}: {exc}") from exc
    if expected_hash is not None and prov.get("config_hash") != expected_hash:
        raise CacheError(
            f"the cached result in {folder} was made from config {prov.get('config_hash')}, "
            f"the current config is {expected_hash}"
        )
    files = prov.get("files", {})
    for name, digest in files.items():
        if not (folder / name).exists() or _sha(folder / name) != digest:
            raise CacheError(f"cached file {folder / name} is missing or does not match its recorded checksum")
    res = Result(
        prov.get("experiment", folder.parent.name), prov.get("scale", folder.name), provenance=prov, folder=folder
    )
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


def load(experiment: Experiment, scale: str) -> Result:
    """The canonical cached result of ``experiment`` at ``scale``, which must match the current config."""
    config = experiment.config(scale)
    return load_folder(result_folder(experiment.name, scale), config_hash(config))


def run_and_save(
    experiment: Experiment, scale: str, device: str = "cpu", progress: bool = True, config: Any = None
) -> Result:
    """Run ``experiment`` at ``scale`` (with ``config``, default the scale's own) and cache it with provenance."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; available: {', '.join(SCALES)}")
    canonical = experiment.config(scale)
    config = canonical if config is None else config
    git = git_state()  # before the run: the code that runs is the code of this state
    start = time.time()
    out = experiment.run(config, device=device, progress=progress)
    res = Result.from_output(experiment.name, scale, out)
    res.provenance = {
        "experiment": experiment.name,
        "chapter": experiment.chapter,
        "scale": scale,
        "config": config_dict(config),
        "config_hash": config_hash(config),
        "canonical": config == canonical,
        "seed": getattr(config, "seed", None),
        "data": getattr(config, "data", None),
        "source_module": experiment.run.__module__,
        "source_hash": source_hash(experiment.run.__module__),
        **git,
        "environment": environment(device),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - start, 2),
    }
    return load_folder(save(res, result_folder(experiment.name, scale, config, canonical)))


__all__ = [
    "results_dir",
    "config_hash",
    "result_folder",
    "CacheError",
    "Result",
    "save",
    "load",
    "load_folder",
    "run_and_save",
]
