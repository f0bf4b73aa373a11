"""The judging: the engine that evaluates a registered rule on its results (:mod:`.engine`), what a
verdict means (:mod:`.verdicts`), the outcomes and their comparison with the paper (:mod:`.outcome`),
the statistics (:mod:`.stats`, :mod:`.contrasts`, :mod:`.power`), the paper's regions
(:mod:`.regions`), the gates (:mod:`.kp_effect`), the halves' check (:mod:`.stability`) and a rerun's
agreement with the cache (:mod:`.agreement`). It knows no particular rule: it imports neither
:mod:`..rules` nor :mod:`..record`."""
