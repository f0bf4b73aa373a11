"""The fingerprint of every rule as recorded when fingerprints were introduced (2026-11-26), for
rules without a later revision entry in :mod:`.revisions` (which carries the new fingerprint).

Recomputed the same day, with the entries' fingerprints, when the definition grew to cover the rules'
classes (``Effect``, ``Region``) and ``Effect.text`` began writing "p < 0.001": no rule changed."""

from __future__ import annotations

#: Every rule's fingerprint as of 2026-11-26 (fingerprints introduced), for rules without a later
#: revision entry. New rows of that day (kp-lattice, table2, the -gpu rows, theorem1-scratch,
#: table5-scratch, kp-smoother-scratch) start here; the -gpu rules were committed in b97284d before
#: any gpu result and only moved between modules since (verdicts on the gpu data unchanged).
RECORDED: dict[str, str] = {
    "kp-lowers-l1-gpu": "a43d3662d64c",
    "kp-lattice": "b03dbdab49e9",
    "kp-lattice-gpu": "7af65c21e801",
    "kp-smoother-gpu": "ad15e81b535c",
    "kp-accuracy-gpu": "889b158c4724",
    "table2": "ceeb447cc33d",
    "table2-gpu": "1df60ba0e158",
    "theorem1-gpu": "08015ed526e5",
    "table5-std-gpu": "301446f07581",
    "translation-gpu": "d003c0e391f8",
    "trf-table1": "126ccafbf1c8",
    "acc5-table1": "bf23bd7e9164",
    "trf-not-accuracy": "03f339ec519b",
    "trf-not-accuracy-zoo": "3d256bd5a378",
    "erf-saturation": "ef8e105dbe07",
    "erf-saturation-resnets": "06fba726e8ae",
    "checkerboard": "357d52cf38ee",
    "checkerboard-untrained": "426b5f2ea03b",
    "fig2-coverage": "d14ec2307e80",
    "kp-exact": "46d5e3eb2328",
    "kp-smoother-scratch": "40eeea952464",
    "theorem1-scratch": "21bd24ef106f",
    "table5-scratch": "7c33ced9e5a7",
}


__all__ = ["RECORDED"]
