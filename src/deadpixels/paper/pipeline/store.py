"""How one result is stored: tables (CSV), arrays (one NPZ) and values (JSON) with
``provenance.json`` in one folder, written atomically and read back with every file's checksum
checked. Writers and readers of one folder take turns through a lock (:mod:`.locks`), so that
neighbours (other processes, other nodes of a shared filesystem) never see half a save. Errors are
typed, so that a caller can tell missing from corrupt from stale."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .locks import is_read_only, lock_path, locked


def _sha(data: bytes) -> str:
    """The checksum a result records for a file's bytes (and checks on load)."""
    return hashlib.sha256(data).hexdigest()


class CacheError(Exception):
    """A cached result cannot be used: see the subclasses for why."""


class MissingResult(CacheError):
    """No result is cached there (never run, or run at another scale)."""


class CorruptResult(CacheError):
    """A cached result exists but cannot be trusted: unreadable provenance, a missing file, or a file
    whose checksum differs from the one recorded. Corrupt is not missing: nothing may treat it as
    "not run" and go on."""


class StaleConfig(CacheError):
    """A cached result made from another config than the current one."""


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


#: Called with the name of each step of :func:`save` (for fault-injection tests); None in normal use.
FAULT_HOOK: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(name)


def _leftovers(folder: Path) -> list[Path]:
    """Temporary (``.<name>.tmp-*``) and moved-aside (``.<name>.old-*``) siblings of ``folder``."""
    parent = folder.parent
    if not parent.is_dir():
        return []
    return sorted(parent.glob(f".{folder.name}.tmp-*")) + sorted(parent.glob(f".{folder.name}.old-*"))


def _recover_locked(folder: Path) -> None:
    """:func:`recover` for a caller that holds the folder's exclusive lock: every writer of this
    folder holds that lock while it writes, so each leftover here belongs to a writer that died."""
    olds = sorted(folder.parent.glob(f".{folder.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not folder.exists():
        olds.pop().rename(folder)  # the previous result, complete: it was only moved aside
    for path in _leftovers(folder):
        shutil.rmtree(path, ignore_errors=True)


def recover(folder: Path) -> None:
    """Finish or undo a save that a crash (even SIGKILL) interrupted, so ``folder`` holds a complete
    result again: a result moved aside (``.<name>.old-*``) but never replaced comes back; leftovers
    of dead writers are removed. A writer is known to be dead because its lock is free
    (:mod:`.locks`), never by its PID, so a live writer on another node or in another PID namespace
    is left alone, and a dead one whose PID was reused is cleaned up."""
    if not _leftovers(folder):
        return
    with locked(lock_path(folder), exclusive=True, optional=True) as held:
        if held:
            _recover_locked(folder)


def check_writable(folder: Path) -> None:
    """Fail now, before hours of work, if a result could not be written to ``folder``."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        probe = folder.with_name(f".{folder.name}.probe-{os.getpid()}")
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OSError(f"results cannot be written to {folder.parent}: {exc.strerror or exc}") from None


def save(result: Result, folder: Path) -> Path:
    """Write ``result`` to ``folder`` atomically: into a temporary sibling first (provenance last),
    then swapped in by two renames. An interruption at any point, a SIGKILL included, leaves either
    the previous result or the new one, complete: :func:`recover` (run by every load) undoes a swap
    that stopped half-way. The whole save holds the folder's exclusive lock."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with locked(lock_path(folder), exclusive=True):  # one writer at a time; readers wait for the swap
        _recover_locked(folder)
        _save_locked(result, folder)
    result.folder = folder
    return folder


def _save_locked(result: Result, folder: Path) -> None:
    tag = f"{socket.gethostname()}-{os.getpid()}"
    tmp = folder.with_name(f".{folder.name}.tmp-{tag}")
    old = folder.with_name(f".{folder.name}.old-{tag}")
    tmp.mkdir()
    try:
        files = []
        for name, df in result.tables.items():
            df.to_csv(tmp / f"{name}.csv", index=False)
            files.append(f"{name}.csv")
        _step("tables")
        if result.arrays:
            np.savez_compressed(tmp / "arrays.npz", **result.arrays)
            files.append("arrays.npz")
        if result.values:
            (tmp / "values.json").write_text(json.dumps(result.values, indent=1, default=float))
            files.append("values.json")
        _step("files")
        result.provenance["files"] = {f: _sha((tmp / f).read_bytes()) for f in files}
        (tmp / "provenance.json").write_text(json.dumps(result.provenance, indent=1, default=str))
        _step("provenance")
        if folder.exists():
            folder.rename(old)
        _step("moved aside")
        tmp.rename(folder)
        _step("swapped")
        shutil.rmtree(old, ignore_errors=True)
        _step("done")
    except BaseException:
        if not folder.exists() and old.exists():
            old.rename(folder)  # Ctrl-C between the two renames: the old result comes back
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_folder(folder: Path, expected_hash: str | None = None) -> Result:
    """Load the result in ``folder``; :class:`CacheError` if missing, corrupt or from another config.
    It holds the folder's shared lock (writers wait; a half-done save is first undone) and reads each
    file once, checking the checksum of exactly the bytes it parses: a load returns one save, whole,
    or an error, never the provenance of one save with the values of another."""
    repair = bool(_leftovers(folder)) and not is_read_only()  # a read-only reader repairs nothing
    with locked(lock_path(folder), exclusive=repair, optional=True) as held:
        if repair and held:
            _recover_locked(folder)
        return _read(folder, expected_hash)


def _read(folder: Path, expected_hash: str | None) -> Result:
    prov_path = folder / "provenance.json"
    try:
        prov_bytes = prov_path.read_bytes()
    except FileNotFoundError:
        if folder.is_dir() and any(folder.iterdir()):
            raise CorruptResult(f"the cached result in {folder} has no provenance.json") from None
        raise MissingResult(f"no cached result in {folder}") from None
    try:
        prov = json.loads(prov_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptResult(f"corrupt provenance.json in {folder}: {exc}") from exc
    _check_record(prov, folder)
    if expected_hash is not None and prov.get("config_hash") != expected_hash:
        raise StaleConfig(
            f"the cached result in {folder} was made from config {prov.get('config_hash')}, "
            f"the current config is {expected_hash}"
        )
    files = prov.get("files", {})
    res = Result(
        prov.get("experiment", folder.parent.name), prov.get("scale", folder.name), provenance=prov, folder=folder
    )
    for name, digest in files.items():
        try:
            data = (folder / name).read_bytes()
        except OSError:
            data = None
        if data is None or _sha(data) != digest:
            raise CorruptResult(f"cached file {folder / name} is missing or does not match its recorded checksum")
        try:
            _parse(res, name, data)
        except Exception as exc:  # noqa: BLE001 - pandas, numpy and zipfile raise many types on damage
            raise CorruptResult(f"cached file {folder / name} cannot be read: {type(exc).__name__}: {exc}") from exc
    return res


def _parse(res: Result, name: str, data: bytes) -> None:
    if name.endswith(".csv"):
        res.tables[name[:-4]] = pd.read_csv(io.BytesIO(data))
    elif name == "arrays.npz":
        with np.load(io.BytesIO(data)) as z:
            res.arrays = {k: z[k] for k in z.files}
    elif name == "values.json":
        res.values = json.loads(data)


def _check_record(prov: object, folder: Path) -> None:
    """Refuse a provenance record that cannot describe a result: not a mapping; a ``files`` map that
    is empty, not a map of names to checksums, or leaves out a data file of the folder (an emptied map
    once let a damaged result load as an empty one); ``cells`` that is not a map."""
    where = f"corrupt provenance.json in {folder}"
    if not isinstance(prov, dict):
        raise CorruptResult(f"{where}: not a provenance record")
    files = prov.get("files")
    if not isinstance(files, dict) or not files or not all(isinstance(v, str) for v in files.values()):
        raise CorruptResult(f"{where}: 'files' must map each data file to its checksum; got {files!r}")
    unlisted = (
        sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "provenance.json")
        if (folder.is_dir())
        else []
    )
    unlisted = [n for n in unlisted if n not in files]
    if unlisted:
        raise CorruptResult(f"{where}: the folder holds files its record does not list: {', '.join(unlisted)}")
    if "cells" in prov and not isinstance(prov["cells"], dict):
        raise CorruptResult(f"{where}: 'cells' must be a map; got {type(prov['cells']).__name__}")


__all__ = [
    "CacheError",
    "MissingResult",
    "CorruptResult",
    "StaleConfig",
    "Result",
    "FAULT_HOOK",
    "recover",
    "check_writable",
    "save",
    "load_folder",
]
