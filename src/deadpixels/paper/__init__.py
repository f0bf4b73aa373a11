"""The paper's machinery on top of the :mod:`deadpixels` core, in layers that import only downwards:

* :mod:`.lab`: data, models, training, perturbation probes, the paper's numbers, measurements;
* :mod:`.pipeline`: what an experiment is, the results cache with provenance, ``verify``;
* :mod:`.experiments`: one module per chapter, each a set of experiments with a config per scale;
* :mod:`.claims`: the paper's claims, their rules, statistics and verdicts;
* :mod:`.book`: what the chapters call (cached results, tables, figures, the report);
* :mod:`.cli`: the command line and the dead-pixel checker.

``tests/test_structure.py`` enforces the order.
"""
