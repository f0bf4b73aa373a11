"""The revision log's entry type, and its entries up to 2026-11-25 (before rules had fingerprints);
:mod:`.revisions` holds the later entries and the functions that read the log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Revision:
    claim_id: str
    date: str
    change: str
    reason: str
    results_seen: str  # which results (experiment @ commit) existed when the rule was changed
    effect: str = ""  # how the change moved the verdict on those results
    fingerprint: str = ""  # the rule's fingerprint after the change (entries from 2026-11-26 on)


EARLY: tuple[Revision, ...] = (
    Revision(
        "erf-saturation",
        "2026-11-25",
        "Judged on trained EfficientNet-Lite0 -> Lite2 (sigma growth against sqrt(depth), with CIs) instead of "
        "random-weight ResNets against a threshold of 1.37; the ResNet numbers became the untrained-proxy row "
        "erf-saturation-resnets (not testable).",
        "random weights cannot test a claim about trained networks, and the old threshold was committed together "
        "with the results it judged",
        "erf_resnets@e95f88d (random weights); erf_trained not yet computed",
    ),
    Revision(
        "checkerboard",
        "2026-11-25",
        "Judged on the output ERF of trained Lite0/1/2 (lower bootstrap bound of the lattice ratio > 1.1) instead "
        "of 9 random-weight maps plus one trained toy; the old evidence became untrained / trained-proxy context.",
        "a random-weight lattice ratio is > 1.1 by construction, so the old rule could not fail",
        "erf_resnets, classification@e95f88d; erf_trained not yet computed",
    ),
    Revision(
        "erf-not-accuracy",
        "2026-11-25",
        "Judged on trained Lite models (a robust counterexample pair) instead of random-weight ResNet ERFs paired "
        "with trained accuracies.",
        "random-weight ERF sizes say nothing about trained ones",
        "erf_resnets@e95f88d; erf_trained not yet computed",
    ),
    Revision(
        "trf-not-accuracy",
        "2026-11-25",
        "Reproduced by the paper's own argument, a counterexample pair (larger TRF, lower Acc@5); the Spearman "
        "rho is reported with a bootstrap CI as context instead of deciding the verdict.",
        "a non-significant correlation over nine models is a null, not evidence for the claim",
        "trf@e95f88d",
    ),
    Revision(
        "kp-accuracy",
        "2026-11-25",
        "Paired by seed with a t CI; 'inconclusive' where the CI cannot exclude either no cost or the paper's "
        "cost; judged primarily on fine-tuned Lite0 (kp_finetune), the from-scratch ResNet as a second row.",
        "a null (p = 0.88) had been labelled 'partially reproduced'",
        "classification@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "micro-object",
        "2026-11-25",
        "Paired by seed with a t CI; a CI including 0 is 'inconclusive' (with the MDE), not 'partially reproduced'.",
        "a null (p = 0.77) had been labelled 'partially reproduced'",
        "micro_object@e95f88d",
    ),
    Revision(
        "kp-lowers-l1",
        "2026-11-25",
        "Compared like for like: the raw-sum L1 (the authors' computation) and the peak-normalised L1, as paired "
        "KP/vanilla ratios on fine-tuned Lite0; the from-scratch ResNets are a second row.",
        "the paper's L1 is computed on the raw sum of per-image gradients, not on a peak-normalised map",
        "classification, imbalance_archs@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "kp-smoother",
        "2026-11-25",
        "Paired comparisons with CIs of KP against noise and against BlurPool over 8 seeds (a significantly lower "
        "alternative makes it 'not reproduced'), instead of comparing single-seed means.",
        "one seed each for noise and BlurPool, and BlurPool above vanilla was hidden by the old rule",
        "classification@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "translation",
        "2026-11-25",
        "A paired test over seeds (log ratio KP/vanilla with a CI) instead of 'any decrease'.",
        "any decrease passed, with no test",
        "classification@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "theorem1",
        "2026-11-25",
        "Judged on fine-tuned Lite0 (kp_finetune) first; the same thresholds.",
        "the from-scratch toy was the only trained evidence",
        "classification@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "table5-std",
        "2026-11-25",
        "Paired log ratios of the coefficients of variation with CIs, on fine-tuned Lite0.",
        "the old rule compared means without a test",
        "classification@e95f88d; kp_finetune not yet computed",
    ),
    Revision(
        "theorem1",
        "2026-11-26",
        "The Theorem 1 fit is claims.stats.theorem1_fits, shared with the book's tables and figures; its slope comes "
        "from scipy's linregress instead of numpy's polyfit (the same least-squares line). No threshold changed; "
        "claims.csv recomputed with the same values and verdicts.",
        "one fit for the claims, the tables and the figures, so they cannot disagree",
        "kp_finetune@cb9368d, classification@e95f88d",
    ),
    Revision(
        "table5-std",
        "2026-11-26",
        "Its coefficients of variation come from claims.stats.theorem1_fits (the same formula, moved). No "
        "threshold changed; claims.csv recomputed with the same values and verdicts.",
        "one fit for the claims, the tables and the figures, so they cannot disagree",
        "kp_finetune@cb9368d, classification@e95f88d",
    ),
)


__all__ = ["Revision", "EARLY"]
