"""Sphinx extension: the book ships with its code and data, and every page says which version.

At the start of an HTML build the exact commit the book is built from is written into the output
as ``deadpixels-<version>-<short commit>.tar.gz`` (``git archive``: the code, the book's sources
and ``data/results``), with a ``.sha256`` file beside it, so that a reader who has only the rendered
book holds everything needed to rerun it. Every page's footer names the version, the commit and
the archive. All of it comes from :mod:`deadpixels.paper.book.citation`, the one source the BibTeX
entry and the "Rerun it" page read too.

The values go into ``html_context`` when the configuration is read: a new commit changes the
configuration's hash, so Sphinx rewrites every page's HTML (and its footer) without re-executing
the notebooks.
"""

from __future__ import annotations

import html
from pathlib import Path


def _facts() -> dict[str, str | None]:
    from deadpixels.paper.book import citation

    return {
        "dp_version": citation.version(),
        "dp_commit": citation.commit(),
        "dp_archive": citation.archive_name(),
        "dp_archive_sha256": citation.archive_sha256(),
    }


def add_facts(app, config):  # noqa: ANN001, ANN201
    config.html_context = {**(config.html_context or {}), **_facts()}


def write_archive(app):  # noqa: ANN001, ANN201
    if app.builder.format != "html":
        return
    from deadpixels.paper.book import citation

    facts = app.config.html_context  # the name and digest every footer shows, read once (add_facts)
    name, digest, data = facts.get("dp_archive"), facts.get("dp_archive_sha256"), citation.source_archive()
    if name is None or data is None:
        return
    out = Path(app.outdir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out / name)  # never a half-written archive under the final name
    (out / (name + ".sha256")).write_text(f"{digest}  {name}\n")


def footer_html(context: dict, link: str | None) -> str:
    """The version line of a page's footer."""
    commit = context.get("dp_commit") or "unknown"
    sha, _, rest = commit.partition(" ")
    note = html.escape(f" {rest}" if rest else "")  # "(with uncommitted changes)"
    parts = [
        f"deadpixels {html.escape(context.get('dp_version') or '?')}",
        f'commit <code title="{html.escape(sha)}">{html.escape(sha[:7])}</code>{note}',
    ]
    if link and context.get("dp_archive"):
        digest = context.get("dp_archive_sha256") or ""
        parts.append(
            f'source and data: <a class="dp-archive" href="{html.escape(link)}">'
            f"{html.escape(context['dp_archive'])}</a>"
            f' (SHA-256 <code title="{html.escape(digest)}">{html.escape(digest[:12])}…</code>)'
        )
    return '<p class="dp-version">' + " · ".join(parts) + "</p>"


def add_footer(app, pagename, templatename, context, doctree):  # noqa: ANN001, ANN201, ARG001
    archive = context.get("dp_archive")
    link = context["pathto"](archive, 1) if archive else None
    context["theme_extra_footer"] = footer_html(context, link)


def setup(app):  # noqa: ANN001, ANN201
    app.connect("config-inited", add_facts)
    app.connect("builder-inited", write_archive)
    app.connect("html-page-context", add_footer)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
