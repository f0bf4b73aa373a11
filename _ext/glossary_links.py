"""Sphinx extension: the first use of every glossary term on every page links to its entry.

Writing ``{term}`` by hand at each first use is what left the intro and chapters 1-3 without links.
After every page is read, the standard domain knows every term of the glossary; this transform then
walks each page's prose (not code, maths, titles or existing links) and turns the first occurrence
of each term (as a whole word; also in lower case for terms written with a capital) into a link to
the glossary entry. Terms are matched longest first, so "planned MDE" wins over "MDE"."""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes

#: Nodes whose text is never linked: code, maths, headings, links, the glossary's own terms, raw HTML.
SKIP = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.title, nodes.reference,
        nodes.term, nodes.raw, nodes.comment, addnodes.pending_xref, nodes.subtitle)


def _terms(env) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """``{term as written: (docname, anchor)}`` of the glossary."""
    std = env.get_domain("std")
    out = {}
    for (kind, name), (docname, anchor) in std.objects.items():
        if kind == "term":
            out[name] = (docname, anchor)
    return out


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, SKIP) or "dp-nolink" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def link_first_uses(app, doctree, docname):  # noqa: ANN001, ANN201
    terms = _terms(app.env)
    if not terms:
        return
    names, key_of = terms, {}
    for name in terms:
        key_of[name.lower()] = name
        if "/" in name:  # "L1/L2": each of L1 and L2 is the term
            for alias in name.split("/"):
                key_of.setdefault(alias.strip().lower(), name)
    glossary_doc = next(iter(terms.values()))[0]
    if docname == glossary_doc:
        return
    spellings = sorted({n for n in names} | {a for a in key_of if a not in {n.lower() for n in names}}, key=len,
                       reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in spellings) + r")(?![\w-])", re.IGNORECASE)
    seen: set[str] = set()
    for text in list(doctree.findall(nodes.Text)):
        if _skipped(text):
            continue
        value = str(text)
        pieces, last = [], 0
        for match in pattern.finditer(value):
            word = match.group(1)
            key = key_of.get(word.lower())
            if key is None or key in seen:
                continue
            written = next((a for a in [key, *key.split("/")] if a.strip().lower() == word.lower()), key).strip()
            if word != written and not (word == written.lower() and written[:1].isupper() and not written.isupper()):
                continue  # acronyms (TRF, MD, CV, L1) only as written; other terms also in lower case
            seen.add(key)
            target_doc, anchor = names[key]
            uri = app.builder.get_relative_uri(docname, target_doc) + "#" + anchor
            pieces.append(nodes.Text(value[last:match.start(1)]))
            pieces.append(nodes.reference(word, word, refuri=uri, classes=["dp-term"], reftitle=f"glossary: {key}"))
            last = match.end(1)
        if pieces:
            pieces.append(nodes.Text(value[last:]))
            text.parent.replace(text, pieces)


def setup(app):  # noqa: ANN001, ANN201
    app.connect("doctree-resolved", link_first_uses)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
