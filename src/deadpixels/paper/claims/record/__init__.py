"""The record: the table that claims.csv is written from and its provenance (:mod:`.table`), the
rules' fingerprints (:mod:`.fingerprints`) and their append-only revision log (:mod:`.revisions`,
``revisions.jsonl``). It reads the judging's registry of claims, never a rule module directly."""
