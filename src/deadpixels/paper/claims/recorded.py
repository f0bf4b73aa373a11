"""The fingerprint of every rule as recorded when fingerprints were introduced (2026-11-26), for
rules without a later revision entry in :mod:`.revisions` (which carries the new fingerprint)."""

from __future__ import annotations

#: Every rule's fingerprint as of 2026-11-26 (fingerprints introduced), for rules without a later
#: revision entry. New rows of that day (kp-lattice, table2, the -gpu rows, theorem1-scratch,
#: table5-scratch, kp-smoother-scratch) start here; the -gpu rules were committed in b97284d before
#: any gpu result and only moved between modules since (verdicts on the gpu data unchanged).
RECORDED: dict[str, str] = {
    "kp-lowers-l1-gpu": "fc84cf08c03e",
    "kp-lattice": "0ed510ace249",
    "kp-lattice-gpu": "80608242bd55",
    "kp-smoother-gpu": "9eb2acf8abcc",
    "kp-accuracy-gpu": "e6f0bff32d5f",
    "table2": "b67ad0b64c9d",
    "table2-gpu": "b46b73cb219b",
    "theorem1-gpu": "2907d66fecc4",
    "table5-std-gpu": "a6ce6e6a0f7c",
    "translation-gpu": "84cd6254d9f8",
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
    "kp-smoother-scratch": "b4e04c53203f",
    "theorem1-scratch": "c18397c3b829",
    "table5-scratch": "90f7c642027d",
}


__all__ = ["RECORDED"]
