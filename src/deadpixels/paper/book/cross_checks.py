"""Reruns of trained experiments under other settings (``verify --report``, committed under
``data/checks/verify/``), as the book shows them: for each claim, whether its verdict and each of its
contrasts held on the rerun. A verdict that flips between runs is shown as such, beside the claim."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

#: Where committed verify reports live (next to data/results).
CHECKS = Path(__file__).resolve().parents[4] / "data" / "checks" / "verify"


def reports(folder: Path = CHECKS) -> list[dict]:
    """Every committed verify report, oldest first (by date)."""
    docs = [json.loads(p.read_text(encoding="utf-8")) | {"file": p.name} for p in sorted(folder.glob("*.json"))]
    return sorted(docs, key=lambda d: d.get("date", ""))


def _setting(doc: dict) -> str:
    env = doc.get("environment", {})
    return (
        f"{doc.get('command', 'verify')} --jobs {doc.get('jobs')} --threads {doc.get('threads')} on "
        f"{env.get('device', '?')} ({env.get('cpu_capability', '?')}, torch {env.get('torch', '?')}), commit "
        f"{str(doc.get('git_commit', '?'))[:7]}"
    )


def claim_checks(folder: Path = CHECKS) -> pd.DataFrame:
    """One row per claim and rerun: whether the verdict held, how many contrasts fell inside the
    cached CI, and the per-seed values that differed (reported, not required)."""
    rows = []
    for doc in reports(folder):
        for experiment, items in doc.get("experiments", {}).items():
            t = pd.DataFrame(items)
            if t.empty:
                continue
            per_seed = int(t["status"].str.startswith("differs").sum())
            for item in t[t["item"].str.startswith("verdict ")].itertuples():
                claim = item.item.removeprefix("verdict ")
                mine = t[t["item"].str.startswith(f"contrast {claim}: ")]
                rows.append(
                    {
                        "claim": claim,
                        "rerun": _setting(doc),
                        "verdict": "same" if item.status == "ok" else f"FLIPS ({item.note})",
                        "contrasts that agree": f"{int((mine['status'] == 'ok').sum())} of {len(mine)}",
                        "per-seed values that differ": f"{per_seed} of {len(t)} items of {experiment}",
                    }
                )
    return pd.DataFrame(rows)


def flips(folder: Path = CHECKS) -> dict[str, str]:
    """The claims whose verdict flipped on some rerun, with the rerun's note."""
    t = claim_checks(folder)
    if t.empty:
        return {}
    bad = t[t["verdict"] != "same"]
    return dict(zip(bad["claim"], bad["verdict"] + " on " + bad["rerun"]))


__all__ = ["CHECKS", "reports", "claim_checks", "flips"]
