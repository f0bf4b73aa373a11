"""One version and one location, everywhere the artifact is cited."""

import re

from deadpixels.paper.book import citation


def test_citation_cff_has_the_version_of_pyproject():
    cff = (citation.ROOT / "CITATION.cff").read_text()
    assert re.search(r"^version:\s*(\S+)", cff, re.MULTILINE).group(1) == citation.version()


def test_the_software_bibtex_carries_the_version_and_a_url_only_where_one_is_set(monkeypatch):
    assert f"version = {{{citation.version()}}}" in citation.software_bibtex()
    monkeypatch.setattr(citation, "repository_url", lambda: None)
    assert "url" not in citation.software_bibtex()
    monkeypatch.setattr(citation, "repository_url", lambda: "https://example.org/repo")
    assert "url     = {https://example.org/repo}" in citation.software_bibtex()


def test_no_launch_buttons_without_a_published_repository():
    import yaml

    config = yaml.safe_load((citation.ROOT / "_config.yml").read_text())
    if not citation.repository_url():
        assert "launch_buttons" not in config and not config["html"]["use_repository_button"]


def test_the_artifact_is_the_preferred_citation_with_the_versions_everywhere_and_the_bibtex_names_a_commit():
    import yaml

    cff = yaml.safe_load((citation.ROOT / "CITATION.cff").read_text())
    assert cff["preferred-citation"]["type"] == "software"
    assert str(cff["preferred-citation"]["version"]) == citation.version()
    assert any(r.get("doi") == "10.1016/j.patrec.2023.02.018" for r in cff["references"])  # the paper, still cited
    sha = citation.commit().split()[0]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", sha) and f"commit {sha}" in citation.software_bibtex()
