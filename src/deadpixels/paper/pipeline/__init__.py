"""The pipeline: what an experiment is (configs per scale, tolerances), the results cache with its
provenance, and ``verify``. It imports the lab and the core, never the experiments, claims or book."""
