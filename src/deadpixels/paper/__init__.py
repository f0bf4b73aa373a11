"""The paper's machinery on top of the :mod:`deadpixels` core: data, models, training, the
experiments of each chapter, the results cache with provenance, the claims and their verdicts,
the book's tables and figures, the checker and the command line."""
