"""The rules, one module per chapter: what each of the paper's claims says, the result it reads and
the contrast that judges it. A new rule goes here, registered with ``@claim`` from
:mod:`..judging.engine`; it may import the judging (verdicts, regions, statistics, gates) and the
layers below the claims, never the record (:mod:`..record`).

The modules are imported in chapter order by :mod:`deadpixels.paper.claims`, which is the order of
claims.csv's rows."""
